"""GDELT DOC 2.0 API (``mode=ArtList&format=json``): parsing and windowed reading.

The API returns at most 250 records per query and asks for one request per 5 seconds
(enforced by fetch.politeness.KNOWN_HOST_DELAYS_S).  A run reads the window from the
source's cursor (or the look-back) to now; a window that comes back full is split in
halves, newest first, until it fits or the request budget is spent.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.records import FetchAttempt, Link, Source
from fetch.feeds import ParsedLinks
from fetch.http import Fetcher

# The DOC API's hard cap on maxrecords (GDELT DOC 2.0 API documentation).
GDELT_MAX_RECORDS = 250
# Windows are not split below this: GDELT updates every 15 minutes.
MIN_WINDOW = timedelta(minutes=15)
# Re-read this much before the cursor: GDELT indexes articles up to ~15 min late.
CURSOR_OVERLAP = timedelta(minutes=15)
_STAMP = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class GdeltRead:
    """Everything one GDELT source gave in one run."""

    links: tuple[Link, ...]
    attempts: tuple[FetchAttempt, ...]
    skipped: int
    problem: str | None
    warning: str | None
    cursor: str | None  # ISO time up to which the query was read


def parse_gdelt(body: bytes, source: str) -> tuple[ParsedLinks, int]:
    """An ArtList JSON answer → (links, number of records).  GDELT reports errors as plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        return ParsedLinks((), 0, f"GDELT answered with text, not JSON: {text[:200]!r}"), 0
    if not isinstance(data, dict):
        return ParsedLinks((), 0, "GDELT answer is not a JSON object"), 0
    articles = data.get("articles") or []
    links: dict[str, Link] = {}
    skipped = 0
    for art in articles:
        url = art.get("url") if isinstance(art, dict) else None
        if not url:
            skipped += 1
            continue
        when = None
        try:
            when = datetime.strptime(str(art.get("seendate", "")), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            when = None
        links.setdefault(url, Link(url=url, source=source, title=art.get("title") or None, published_at=when))
    return ParsedLinks(tuple(links.values()), skipped), len(articles)


def window_url(base: str, start: datetime, end: datetime) -> str:
    """The source URL with its time window replaced (timespan dropped) and the record cap set."""
    p = urlsplit(base)
    drop = {"timespan", "startdatetime", "enddatetime", "maxrecords", "mode", "format"}
    query = [(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if k.lower() not in drop]
    query += [("mode", "ArtList"), ("format", "json"), ("maxrecords", str(GDELT_MAX_RECORDS)),
              ("startdatetime", start.astimezone(UTC).strftime(_STAMP)),
              ("enddatetime", end.astimezone(UTC).strftime(_STAMP))]
    return urlunsplit((p.scheme, p.netloc, p.path, urlencode(query), ""))


def first_window(cursor: str | None, now: datetime, lookback: timedelta) -> tuple[datetime, datetime]:
    start = now - lookback
    if cursor:
        with contextlib.suppress(ValueError):
            start = max(start, datetime.fromisoformat(cursor) - CURSOR_OVERLAP)
    return start, now


async def read_gdelt(
    fetcher: Fetcher, source: Source, cursor: str | None = None, now: datetime | None = None
) -> GdeltRead:
    now = now or datetime.now(UTC)
    o = fetcher.options
    pending = [first_window(cursor, now, timedelta(hours=o.gdelt_lookback_h))]
    links: dict[str, Link] = {}
    attempts: list[FetchAttempt] = []
    skipped = 0
    problem = None
    while pending and len(attempts) < max(1, o.gdelt_max_requests):
        start, end = pending.pop()
        resp = await fetcher.get(window_url(source.url, start, end), source.name, robots=False)
        attempts.append(resp.attempt)
        if not resp.ok:
            problem = resp.attempt.error
            break
        parsed, n = parse_gdelt(resp.body, source.name)
        if parsed.problem:
            problem = parsed.problem
            break
        skipped += parsed.skipped
        for lk in parsed.links:
            links.setdefault(lk.url, lk)
        if n >= GDELT_MAX_RECORDS and end - start > MIN_WINDOW:
            mid = start + (end - start) / 2
            pending += [(start, mid), (mid, end)]  # newest half popped first
    warning = f"{len(pending)} GDELT windows left unread (request budget {o.gdelt_max_requests})" if pending else None
    ordered = sorted(links.values(), key=lambda lk: lk.published_at or now, reverse=True)
    return GdeltRead(tuple(ordered), tuple(attempts), skipped, problem if not links else None,
                     warning or (problem if links else None), None if problem else now.isoformat())
