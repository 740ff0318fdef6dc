"""Feeds and API answers → Links (pure parsing; no network)."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from reewatch.records import Link


@dataclass(frozen=True)
class ParsedLinks:
    """Links found in one source answer, with what was skipped and why."""

    links: tuple[Link, ...]
    skipped: int = 0
    problem: str | None = None


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        t = entry.get(key)
        if t:
            return datetime.fromtimestamp(calendar.timegm(t), tz=UTC)
    return None


def parse_feed(body: bytes, base_url: str, source: str) -> ParsedLinks:
    """RSS 0.9x/1.0/2.0 or Atom; relative links resolved; items without links skipped;
    duplicate items inside one feed kept once."""
    # feedparser never expands external entities.  Relative links are resolved here
    # (feedparser's own resolution mangles file:// bases).
    parsed = feedparser.parse(body, resolve_relative_uris=False, sanitize_html=False)
    links: dict[str, Link] = {}
    skipped = 0
    for e in parsed.entries:
        href = e.get("link") or next((x.get("href") for x in e.get("links", []) if x.get("href")), None)
        if not href:
            skipped += 1
            continue
        href = href.strip()
        if href.startswith("file://") and not href.startswith("file:///"):
            href = "file:///" + href[len("file://"):]  # feedparser drops the empty host of file:///path
        url = urljoin(base_url, href)
        links.setdefault(url, Link(url=url, source=source, title=(e.get("title") or None), published_at=_when(e)))
    problem = None
    if parsed.bozo and not parsed.entries:
        problem = f"not a readable feed: {type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    return ParsedLinks(tuple(links.values()), skipped, problem)


def parse_gdelt(body: bytes, source: str) -> ParsedLinks:
    """GDELT DOC 2.0 ``mode=ArtList&format=json`` answer."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace") or "{}")
    except json.JSONDecodeError as exc:
        return ParsedLinks((), 0, f"GDELT answer is not JSON: {exc}")
    links: dict[str, Link] = {}
    skipped = 0
    for art in data.get("articles", []) or []:
        url = art.get("url")
        if not url:
            skipped += 1
            continue
        seen = art.get("seendate")  # e.g. 20250609T101500Z
        when = None
        if seen:
            try:
                when = datetime.strptime(seen, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            except ValueError:
                when = None
        links.setdefault(url, Link(url=url, source=source, title=art.get("title") or None, published_at=when))
    return ParsedLinks(tuple(links.values()), skipped)
