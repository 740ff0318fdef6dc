"""``reewatch sources --check``: read each configured source once and say what a run would get.

Per source: reachable (the status or the fault), the kind the answer looks like (RSS, Atom,
sitemap, HTML page, JSON), how many items it lists, how old the newest is, and what robots.txt
says about its item links (a Google News feed is reachable, but its links are disallowed: its
items become leads).  Nothing is stored; one request per source, plus the robots.txt of the
hosts its first links are on.  A user runs it on a real network; the tests run it on loopback.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.records import Source
from fetch.discover import (
    FEED_ACCEPT,
    HTML_TYPES,
    NO_ROBOTS_KINDS,
    SITEMAP_ACCEPT,
    allowed_link,
    parse_answer,
    source_url,
)
from fetch.feeds import looks_like_feed
from fetch.gdelt import parse_gdelt
from fetch.http import Fetcher, Response
from fetch.options import FetchOptions

# Item links whose robots verdict is asked (the first ones listed: one host per source, usually).
ROBOTS_SAMPLE = 5


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """What one read of a source showed."""

    name: str
    kind: str
    url: str
    reachable: bool
    status: str           # "200", "http_404", "timeout"…
    detected: str         # rss | atom | rdf | sitemap | sitemap index | html | json | text | ?
    items: int
    newest_age_h: float | None
    robots: str           # the verdict for its item links
    problem: str | None = None


def detected_kind(resp: Response) -> str:
    """Pure: what a body looks like."""
    head = resp.body[:4096].lstrip().lower()
    if looks_like_feed(resp.body):
        return "atom" if b"<feed" in head else "rdf" if b"rdf:rdf" in head else "rss"
    if b"<sitemapindex" in head:
        return "sitemap index"
    if b"<urlset" in head:
        return "sitemap"
    if head.startswith((b"{", b"[")):
        return "json"
    if b"<html" in head or b"<!doctype html" in head or b"<body" in head:
        return "html"
    return "text" if head else "empty"


def contact_warning(options: FetchOptions) -> str | None:
    """A warning while the User-Agent carries no contact."""
    if options.contact.strip():
        return None
    return ("fetch.contact is empty: sites may block an anonymous crawler.  Set it in reewatch.toml or "
            "REEWATCH_FETCH__CONTACT=you@example.org")


async def _robots(fetcher: Fetcher, urls: list[str]) -> str:
    if not urls:
        return "no links"
    if not fetcher.options.obey_robots:
        return "not checked (obey_robots = false)"
    refusals = [r for r in await asyncio.gather(*(fetcher.robots_refusal(u) for u in urls)) if r]
    if not refusals:
        return f"allowed ({len(urls)} checked)"
    return f"disallowed for {len(refusals)} of {len(urls)}: {refusals[0]}"


async def check_source(fetcher: Fetcher, source: Source, now: datetime | None = None) -> SourceCheck:
    """One request to the source, its items parsed as a run would, robots.txt asked for a few links."""
    now = now or datetime.now(UTC)
    url = source_url(source)
    accept = SITEMAP_ACCEPT if source.kind == "sitemap" else HTML_TYPES if source.kind == "page" else FEED_ACCEPT
    resp = await fetcher.get(url, source.name, robots=source.kind not in NO_ROBOTS_KINDS,
                             accept=None if source.kind == "gdelt" else accept)
    a = resp.attempt
    if not resp.ok:
        return SourceCheck(source.name, source.kind, url, False, a.error_class or "?", "?", 0, None, "not checked",
                           a.error)
    if source.kind == "gdelt":
        parsed, _ = parse_gdelt(resp.body, source.name)
    else:
        parsed = parse_answer(source, resp, now, timedelta(hours=fetcher.options.sitemap_window_h))
    links = [lk for lk in parsed.links if allowed_link(lk.url, source)]
    dates = [lk.published_at for lk in links if lk.published_at]
    age = round((now - max(dates)).total_seconds() / 3600, 1) if dates else None
    robots = await _robots(fetcher, [lk.url for lk in links[:ROBOTS_SAMPLE] if lk.url.startswith("http")])
    return SourceCheck(source.name, source.kind, url, True, str(a.status), detected_kind(resp), len(links), age,
                       robots, parsed.problem or parsed.warning)


async def check_sources(options: FetchOptions, sources: list[Source]) -> list[SourceCheck]:
    """Every source, concurrently within the fetcher's limits, in the order given."""
    async with Fetcher(options) as fetcher:
        return list(await asyncio.gather(*(check_source(fetcher, s) for s in sources)))
