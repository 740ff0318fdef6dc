"""Sources → Links → Pages, over one shared async Fetcher.

Network waits overlap: every source is read concurrently, then every page, within the
Fetcher's per-host and global limits.  Faults are recorded, never raised.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from extract.feeds import ParsedLinks, parse_feed, parse_gdelt
from extract.http import Fetcher, Response
from reewatch.records import FetchAttempt, Link, NoArticle, Page, Source

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Kinds read as RSS/Atom.  sitemap and page sources arrive with issue #3.
FEED_KINDS = ("rss", "gnews", "file")


@dataclass(frozen=True)
class SourceOutcome:
    """What reading one source gave (for source health and the run summary)."""

    source: Source
    links: tuple[Link, ...]
    attempt: FetchAttempt
    skipped: int = 0
    not_modified: bool = False
    problem: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def ok(self) -> bool:
        return self.attempt.ok and self.problem is None


def is_private_host(url: str) -> bool:
    """True for loopback, private, link-local or unspecified literal addresses and localhost."""
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_reserved


def allowed_link(link_url: str, source: Source) -> bool:
    """Refuse links into private networks unless their source was configured there."""
    scheme = urlsplit(link_url).scheme
    if scheme == "file":
        return source.url.startswith("file:")
    if scheme not in ("http", "https"):
        return False
    if not is_private_host(link_url):
        return True
    return source.allow_private and urlsplit(link_url).hostname == urlsplit(source.url).hostname


def _parse(source: Source, resp: Response) -> ParsedLinks:
    if source.kind == "gdelt":
        return parse_gdelt(resp.body, source.name)
    if source.kind in FEED_KINDS:
        return parse_feed(resp.body, resp.final_url, source.name)
    return ParsedLinks((), 0, f"source kind {source.kind!r} is not supported yet (rss, gnews, gdelt, file are)")


async def read_source(
    fetcher: Fetcher, source: Source, etag: str | None = None, last_modified: str | None = None, limit: int = 100
) -> SourceOutcome:
    resp = await fetcher.get(source.url, source.name, etag=etag, last_modified=last_modified)
    if resp.not_modified:
        return SourceOutcome(source, (), resp.attempt, not_modified=True, etag=etag, last_modified=last_modified)
    if not resp.ok:
        return SourceOutcome(source, (), resp.attempt)
    parsed = _parse(source, resp)
    links = [lk for lk in parsed.links if allowed_link(lk.url, source)]
    refused = len(parsed.links) - len(links)
    return SourceOutcome(
        source, tuple(links[:limit]), resp.attempt, skipped=parsed.skipped + refused, problem=parsed.problem,
        etag=resp.headers.get("etag"), last_modified=resp.headers.get("last-modified"),
    )


async def read_sources(
    fetcher: Fetcher, sources: list[Source], state: dict[str, tuple[str | None, str | None]], limit: int
) -> list[SourceOutcome]:
    """Read every source concurrently; ``state`` maps source name → (etag, last_modified)."""
    return list(
        await asyncio.gather(*(read_source(fetcher, s, *state.get(s.name, (None, None)), limit=limit) for s in sources))
    )


async def fetch_page(fetcher: Fetcher, link: Link) -> tuple[Page | NoArticle | None, FetchAttempt]:
    """One page: a Page, a NoArticle (fetched but not HTML), or None (fetch failed)."""
    resp = await fetcher.get(link.url, link.source)
    if not resp.ok:
        return None, resp.attempt
    ctype = resp.content_type
    head = resp.body[:512].lstrip().lower()
    looks_html = head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head
    if ctype and ctype not in HTML_TYPES and not (ctype in ("text/plain", "application/octet-stream") and looks_html):
        return NoArticle(link.url, link.source, f"not an HTML page (content-type {ctype})"), resp.attempt
    if not ctype and not looks_html:
        return NoArticle(link.url, link.source, "not an HTML page (no content-type, no HTML markup)"), resp.attempt
    page = Page(
        url=link.url, final_url=resp.final_url, source=link.source, html=resp.text(),
        fetched_at=resp.attempt.fetched_at, content_type=ctype or "text/html",
        title_hint=link.title, published_hint=link.published_at,
    )
    return page, resp.attempt


async def fetch_pages(fetcher: Fetcher, links: list[Link]) -> list[tuple[Page | NoArticle | None, FetchAttempt]]:
    return list(await asyncio.gather(*(fetch_page(fetcher, lk) for lk in links)))
