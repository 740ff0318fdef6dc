"""Sources → Links → Pages, over one shared async Fetcher.

Network waits overlap: every source is read concurrently, then every page, within the
Fetcher's per-host and global limits.  Faults are recorded, never raised.

Source kinds::

    rss, gnews   RSS/Atom feed (gnews: Google News search; its items are leads, pipeline/leads.py)
    sitemap      urlset, sitemap index or Google News sitemap, recent URLs only
    gdelt        GDELT DOC 2.0 ArtList query, windowed (fetch.gdelt)
    page         a section front watched for new same-site article links
    file         file:// URL or local path: a feed/sitemap file, or a directory
                 (its feed.xml if present, else every *.html below it)
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from core.records import FetchAttempt, Link, NoArticle, Page, Source, SourceOutcome
from fetch.feeds import FEED_TYPES, ParsedLinks, looks_like_feed, parse_feed
from fetch.gdelt import decode_backlog, encode_backlog, read_gdelt
from fetch.gnews import GNEWS_HOST, UNRESOLVED, interstitial, is_redirect_link, publisher_links, resolve
from fetch.http import Fetcher, Response, file_path, listing_attempt
from fetch.politeness import is_private_host
from fetch.sitemaps import parse_sitemap
from fetch.watch import parse_watch_page

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_ACCEPT = (*FEED_TYPES, "text/", "application/xhtml+xml")
SITEMAP_ACCEPT = ("application/xml", "text/xml", "application/gzip", "application/x-gzip", "text/plain")
# Bytes inspected to tell markup from binary: a NUL in the first 1 KiB never occurs in HTML.
SNIFF_BYTES = 1024
# Kinds read over the network without robots.txt: feeds and APIs configured by hand.
NO_ROBOTS_KINDS = ("rss", "gnews", "gdelt")


def allowed_link(link_url: str, source: Source) -> bool:
    """Refuse links into private networks unless their source was configured there."""
    scheme = urlsplit(link_url).scheme
    if scheme == "file":
        return source.url.startswith("file:") or source.kind == "file"
    if scheme not in ("http", "https"):
        return False
    if not is_private_host(link_url):
        return True
    return source.allow_private and urlsplit(link_url).hostname == urlsplit(source.url).hostname


def source_url(source: Source) -> str:
    """A ``file`` source may be given as a plain path."""
    if source.kind == "file" and "://" not in source.url:
        return Path(source.url).expanduser().resolve().as_uri()
    return source.url


def _directory_links(directory: Path, source: Source, limit: int) -> ParsedLinks:
    """Every *.html below a directory, newest file first."""
    pages = sorted(directory.rglob("*.htm*"), key=lambda p: p.stat().st_mtime, reverse=True)
    links = [Link(p.resolve().as_uri(), source.name, None) for p in pages if p.is_file()][: max(limit, 0) or None]
    return ParsedLinks(tuple(links), 0, None if links else f"no feed.xml and no .html files in {directory}")


def rebase_file_links(links: list[Link], root: Path) -> list[Link]:
    """A replayed site's root-relative links (``/world/x.html``) point into the corpus directory."""
    out = []
    for lk in links:
        path = file_path(lk.url) if lk.url.startswith("file:") else None
        if path is not None and not path.exists() and (root / str(path).lstrip("/")).is_file():
            lk = replace(lk, url=(root / str(path).lstrip("/")).as_uri())
        out.append(lk)
    return out


def parse_answer(source: Source, resp: Response, now: datetime, window: timedelta) -> ParsedLinks:
    if resp.refused_type:
        return ParsedLinks((), 0, f"content-type {resp.refused_type} is not a {source.kind} source")
    head = resp.body[:SNIFF_BYTES].lstrip()
    if source.kind == "page":
        if b"\0" in head:
            return ParsedLinks((), 0, "binary content, not an HTML page")
        return parse_watch_page(resp.text(), resp.final_url, source.name)
    is_sitemap = source.kind == "sitemap" or (
        source.kind == "file" and not looks_like_feed(resp.body) and (b"<urlset" in head or b"<sitemapindex" in head)
    )
    if is_sitemap:
        sm = parse_sitemap(resp.body, resp.final_url, source.name, now, window)
        return ParsedLinks(sm.links, sm.skipped, sm.problem, sm.warning)
    parsed = parse_feed(resp.body, resp.final_url, source.name)
    if source.kind == "gnews":
        host = urlsplit(resp.final_url).hostname or GNEWS_HOST
        return ParsedLinks(publisher_links(parsed.links, host), parsed.skipped, parsed.problem, parsed.warning)
    return parsed


async def _sitemap_children(
    fetcher: Fetcher, source: Source, children: tuple[str, ...], now: datetime, window: timedelta
) -> tuple[list[Link], list[FetchAttempt], int, list[str]]:
    """Read an index's child sitemaps (one level; a nested index is not followed)."""
    resps = await asyncio.gather(*(fetcher.get(u, source.name, accept=SITEMAP_ACCEPT) for u in children))
    links: list[Link] = []
    skipped = 0
    notes: list[str] = []
    for resp in resps:
        if not resp.ok:
            notes.append(f"{resp.url}: {resp.attempt.error_class}")
            continue
        sm = parse_sitemap(resp.body, resp.final_url, source.name, now, window)
        links += sm.links
        skipped += sm.skipped + len(sm.children)
        if sm.problem or sm.warning:
            notes.append(f"{resp.url}: {sm.problem or sm.warning}")
    links.sort(key=lambda lk: lk.published_at or now, reverse=True)
    return links, [r.attempt for r in resps], skipped, notes


async def read_source(
    fetcher: Fetcher, source: Source, etag: str | None = None, last_modified: str | None = None, limit: int = 100,
    cursor: str | None = None, backlog: str | None = None,
) -> SourceOutcome:
    """One source's links: the newest ``limit`` in ``links``, the rest in ``overflow`` (kept
    for later runs, never dropped); ``cursor``/``backlog``: a GDELT source's stored state."""
    if source.kind == "gdelt":
        g = await read_gdelt(fetcher, source, cursor, backlog=decode_backlog(backlog))
        links = [lk for lk in g.links if allowed_link(lk.url, source)]
        return SourceOutcome(source, tuple(links[:limit]), g.attempts[0], skipped=g.skipped + len(g.links) - len(links),
                             problem=g.problem, warning=g.warning, extra_attempts=g.attempts[1:], cursor=g.cursor,
                             backlog=encode_backlog(g.backlog), backoff_until=g.backoff_until,
                             overflow=tuple(links[limit:]))
    url = source_url(source)
    if source.kind == "file" and file_path(url).is_dir() and not (file_path(url) / "feed.xml").is_file():
        parsed = await asyncio.to_thread(_directory_links, file_path(url), source, 0)
        return SourceOutcome(source, parsed.links[:limit], listing_attempt(url, source.name, len(parsed.links)),
                             problem=parsed.problem, overflow=parsed.links[limit:])
    if source.kind == "file" and file_path(url).is_dir():
        url = (file_path(url) / "feed.xml").as_uri()
    accept = SITEMAP_ACCEPT if source.kind == "sitemap" else HTML_TYPES if source.kind == "page" else FEED_ACCEPT
    resp = await fetcher.get(url, source.name, etag=etag, last_modified=last_modified,
                             robots=source.kind not in NO_ROBOTS_KINDS, accept=accept)
    if resp.not_modified:
        return SourceOutcome(source, (), resp.attempt, not_modified=True, etag=etag, last_modified=last_modified)
    if not resp.ok:
        return SourceOutcome(source, (), resp.attempt, problem=None)
    now = datetime.now(UTC)
    window = timedelta(hours=fetcher.options.sitemap_window_h)
    parsed = parse_answer(source, resp, now, window)
    found, skipped, warning = list(parsed.links), parsed.skipped, parsed.warning
    extra: tuple[FetchAttempt, ...] = ()
    if source.kind in ("sitemap", "file") and not parsed.problem and not found:
        sm = parse_sitemap(resp.body, resp.final_url, source.name, now, window) if source.kind == "sitemap" else None
        if sm is not None and sm.children:
            found, attempts, more, notes = await _sitemap_children(fetcher, source, sm.children, now, window)
            extra, skipped = tuple(attempts), skipped + more
            warning = "; ".join(notes)[:500] or warning
    links = [lk for lk in found if allowed_link(lk.url, source)]
    if url.startswith("file:"):
        links = rebase_file_links(links, file_path(url).parent)
    return SourceOutcome(
        source, tuple(links[:limit]), resp.attempt, skipped=skipped + len(found) - len(links), problem=parsed.problem,
        etag=resp.headers.get("etag"), last_modified=resp.headers.get("last-modified"), warning=warning,
        extra_attempts=extra, overflow=tuple(links[limit:]),
    )


async def read_sources(
    fetcher: Fetcher, sources: list[Source], state: dict[str, tuple[str | None, str | None]], limit: int,
    cursors: dict[str, str | None] | None = None, backlogs: dict[str, str | None] | None = None,
) -> list[SourceOutcome]:
    """Read every source concurrently; ``state`` maps source name → (etag, last_modified),
    ``cursors`` and ``backlogs`` source name → GDELT cursor and unread windows."""
    cursors = cursors or {}
    backlogs = backlogs or {}
    return list(await asyncio.gather(*(
        read_source(fetcher, s, *state.get(s.name, (None, None)), limit=limit, cursor=cursors.get(s.name),
                    backlog=backlogs.get(s.name))
        for s in sources
    )))


def _page_refusal(resp: Response) -> str | None:
    """Pure: why a fetched body is not an HTML page, or None."""
    ctype = resp.content_type
    if resp.refused_type:
        return f"not an HTML page (content-type {resp.refused_type})"
    head = resp.body[:SNIFF_BYTES]
    if b"\0" in head:
        return f"binary content served as {ctype or 'no content-type'}"
    low = head.lstrip().lower()
    looks_html = low.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in low or b"<body" in low
    if ctype and ctype not in HTML_TYPES and not (ctype in ("text/plain", "application/octet-stream") and looks_html):
        return f"not an HTML page (content-type {ctype})"
    if not ctype and not looks_html:
        return "not an HTML page (no content-type, no HTML markup)"
    if not resp.body.strip():
        return "empty page"
    return None


async def fetch_page(fetcher: Fetcher, link: Link) -> tuple[Page | NoArticle | None, FetchAttempt]:
    """One page: a Page, a NoArticle (fetched but not HTML), or None (fetch failed).

    A ``redirect`` link (a Google News item of a ``resolve = true`` source) is resolved to the
    publisher's page first (fetch.gnews.resolve); when that fails, or the publisher's answer is
    a consent or "sorry" page, a NoArticle whose reason starts with ``UNRESOLVED`` (kept as a lead).
    """
    if link.redirect:
        return await _fetch_resolved(fetcher, link)
    resp = await fetcher.get(link.url, link.source, accept=HTML_TYPES, refuse_private_names=True)
    if not resp.ok:
        return None, resp.attempt
    reason = _page_refusal(resp)
    if reason is not None:
        return NoArticle(link.url, link.source, reason), resp.attempt
    page = Page(
        url=link.url, final_url=resp.final_url, source=link.source, html=resp.text(),
        fetched_at=resp.attempt.fetched_at, content_type=resp.content_type or "text/html",
        title_hint=link.title, published_hint=link.published_at,
        article_url=resp.final_url if is_redirect_link(link.url) and resp.final_url != link.url else None,
    )
    return page, resp.attempt


async def fetch_pages(fetcher: Fetcher, links: list[Link]) -> list[tuple[Page | NoArticle | None, FetchAttempt]]:
    return list(await asyncio.gather(*(fetch_page(fetcher, lk) for lk in links)))


async def _fetch_resolved(fetcher: Fetcher, link: Link) -> tuple[Page | NoArticle | None, FetchAttempt]:
    target, why, attempt = await resolve(fetcher, link)
    if target is None:
        return NoArticle(link.url, link.source, f"{UNRESOLVED}: {why}"[:500]), attempt
    resp = await fetcher.get(target, link.source, accept=HTML_TYPES, refuse_private_names=True)
    blocked = interstitial(resp.final_url, urlsplit(link.url).netloc) if resp.ok else None
    reason = blocked or (_page_refusal(resp) if resp.ok else f"publisher page: {resp.attempt.error_class}")
    if reason is not None:
        return NoArticle(link.url, link.source, f"{UNRESOLVED}: {reason}"[:500]), resp.attempt
    page = Page(
        url=link.url, final_url=resp.final_url, source=link.source, html=resp.text(),
        fetched_at=resp.attempt.fetched_at, content_type=resp.content_type or "text/html",
        title_hint=link.title, published_hint=link.published_at, article_url=resp.final_url,
    )
    return page, resp.attempt
