"""GDELT DOC 2.0 API (``mode=ArtList&format=json``): tolerant parsing and windowed reading
that skips no window.

The API returns at most 250 records per query and asks for one request per 5 seconds
(enforced by fetch.politeness.KNOWN_HOST_DELAYS_S).  A run queues the window from the
source's cursor (or the look-back) to now behind the windows earlier runs left unread (the
source's backlog) and reads them oldest first; a window that comes back full is split in
halves, until it fits or the request budget is spent.  Whatever is left unread is the new
backlog, so the cursor may advance to now: every hour before it is read or queued.

A throttle answer (429, or GDELT's plain-text "Please limit requests…" with status 200)
stops the run's reading and sets a back-off the next runs honour; it is never retried at once.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
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
# After a throttle answer the source rests this long: GDELT users report its penalty lasting
# minutes, and one 15-minute scheduled ingest interval lets it pass unprovoked.
GDELT_BACKOFF = timedelta(minutes=15)
# Unread windows older than this are dropped (and counted): the same age limit as the link
# backlog (store.backlog.BACKLOG_WINDOW), news a weekly reader would no longer act on.
BACKLOG_MAX_AGE = timedelta(days=7)
_STAMP = "%Y%m%d%H%M%S"
# GDELT's throttle notice, e.g. "Please limit requests to one every 5 seconds or contact …".
_THROTTLE_TEXT = re.compile(r"limit requests|one every \d+ seconds|too many requests|rate limit", re.I)
# A backslash pair in a JSON string; GDELT copies titles such as ``Moody\'s`` unescaped.
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_VALID_ESCAPES = frozenset('"\\/bfnrt')
_RECORD_START = re.compile(r'\{\s*"url"\s*:')

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class GdeltRead:
    """Everything one GDELT source gave in one run."""

    links: tuple[Link, ...]
    attempts: tuple[FetchAttempt, ...]
    skipped: int
    problem: str | None
    warning: str | None
    cursor: str | None  # ISO time up to which the query was read or queued
    backlog: tuple[Window, ...] = ()  # windows left for the next runs, oldest first
    backoff_until: datetime | None = None  # set after a throttle answer
    dropped_windows: int = 0  # unread windows that aged out of BACKLOG_MAX_AGE


def _fix_escapes(text: str) -> str:
    """Pure: invalid ``\\x`` escapes doubled, so the backslash is kept as text."""
    def fix(m: re.Match[str]) -> str:
        pair = m.group(1)
        return m.group(0) if pair[0] in _VALID_ESCAPES or len(pair) == 5 else "\\\\" + pair
    return _ESCAPE.sub(fix, text)


def _salvage(text: str) -> tuple[list[Any], int]:
    """Pure: every record object that parses on its own, and how many did not."""
    decoder = json.JSONDecoder(strict=False)
    records: list[Any] = []
    bad = 0
    pos = 0
    while (m := _RECORD_START.search(text, pos)) is not None:
        try:
            obj, end = decoder.raw_decode(text, m.start())
        except json.JSONDecodeError:
            bad += 1
            pos = m.end()
            continue
        records.append(obj)
        pos = end
    return records, bad


def loads_tolerant(text: str) -> tuple[Any, int, bool]:
    """Pure: (data, records lost, repaired) of a GDELT answer; data None when it is not JSON.

    GDELT's known faults: control characters and invalid escapes inside titles (an
    ``Invalid \\escape`` for gdeltdoc users); a record that still fails is left out, the rest kept.
    """
    try:
        return json.loads(text, strict=False), 0, False
    except json.JSONDecodeError:
        pass
    fixed = _fix_escapes(text)
    try:
        return json.loads(fixed, strict=False), 0, True
    except json.JSONDecodeError:
        pass
    if not text.lstrip().startswith("{"):
        return None, 0, False
    records, bad = _salvage(fixed)
    return {"articles": records}, bad, True


def is_throttle_text(text: str) -> bool:
    return bool(_THROTTLE_TEXT.search(text[:1000]))


def parse_gdelt(body: bytes, source: str) -> tuple[ParsedLinks, int]:
    """An ArtList JSON answer → (links, number of records).  GDELT reports errors as plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    data, lost, repaired = loads_tolerant(text or "{}")
    if data is None:
        return ParsedLinks((), 0, f"GDELT answered with text, not JSON: {text[:200]!r}"), 0
    if not isinstance(data, dict):
        return ParsedLinks((), 0, "GDELT answer is not a JSON object"), 0
    articles = data.get("articles") or []
    links: dict[str, Link] = {}
    skipped = lost
    for art in articles:
        url = art.get("url") if isinstance(art, dict) else None
        if not url or not isinstance(url, str):
            skipped += 1
            continue
        when = None
        try:
            when = datetime.strptime(str(art.get("seendate", "")), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            when = None
        title = art.get("title")
        links.setdefault(url, Link(url=url, source=source, title=str(title) if title else None, published_at=when))
    warning = f"GDELT answer was malformed JSON; repaired, {lost} records lost" if repaired else None
    return ParsedLinks(tuple(links.values()), skipped, None, warning), len(articles) + lost


def window_url(base: str, start: datetime, end: datetime) -> str:
    """The source URL with its time window replaced (timespan dropped) and the record cap set."""
    p = urlsplit(base)
    drop = {"timespan", "startdatetime", "enddatetime", "maxrecords", "mode", "format"}
    query = [(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if k.lower() not in drop]
    query += [("mode", "ArtList"), ("format", "json"), ("maxrecords", str(GDELT_MAX_RECORDS)),
              ("startdatetime", start.astimezone(UTC).strftime(_STAMP)),
              ("enddatetime", end.astimezone(UTC).strftime(_STAMP))]
    return urlunsplit((p.scheme, p.netloc, p.path, urlencode(query), ""))


def first_window(cursor: str | None, now: datetime, lookback: timedelta) -> Window:
    start = now - lookback
    if cursor:
        with contextlib.suppress(ValueError):
            start = max(start, datetime.fromisoformat(cursor) - CURSOR_OVERLAP)
    return start, now


def encode_backlog(windows: tuple[Window, ...] | list[Window]) -> str:
    """The backlog as stored in ``sources.backlog`` (JSON pairs of ISO times)."""
    return json.dumps([[s.isoformat(), e.isoformat()] for s, e in windows])


def decode_backlog(stored: str | None) -> tuple[Window, ...]:
    """Pure: a stored backlog; anything unreadable counts as empty."""
    if not stored:
        return ()
    try:
        pairs = json.loads(stored)
        return tuple((datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in pairs)
    except (ValueError, TypeError):
        return ()


def _throttle(resp_status: int | None, body: bytes, ok: bool) -> bool:
    if resp_status == 429:
        return True
    return ok and not body.lstrip().startswith((b"{", b"[")) and is_throttle_text(body.decode("utf-8", "replace"))


async def read_gdelt(
    fetcher: Fetcher, source: Source, cursor: str | None = None, now: datetime | None = None,
    backlog: tuple[Window, ...] = (),
) -> GdeltRead:
    now = now or datetime.now(UTC)
    o = fetcher.options
    kept = [w for w in backlog if w[1] > now - BACKLOG_MAX_AGE]
    pending = sorted([*kept, first_window(cursor, now, timedelta(hours=o.gdelt_lookback_h))], reverse=True)
    links: dict[str, Link] = {}
    attempts: list[FetchAttempt] = []
    skipped = 0
    problem: str | None = None
    notes: list[str] = []
    backoff_until: datetime | None = None
    while pending and len(attempts) < max(1, o.gdelt_max_requests):
        start, end = pending.pop()  # the oldest unread window
        resp = await fetcher.get(window_url(source.url, start, end), source.name, robots=False, retry_throttle=False)
        attempts.append(resp.attempt)
        if _throttle(resp.attempt.status, resp.body, resp.ok):
            pending.append((start, end))
            backoff_until = now + GDELT_BACKOFF
            said = resp.attempt.error if resp.attempt.status == 429 else repr(resp.body[:120].decode("utf-8", "replace"))
            problem = f"GDELT throttled us ({said}); backing off until {backoff_until:%Y-%m-%d %H:%M} UTC"
            break
        if not resp.ok:
            pending.append((start, end))
            problem = resp.attempt.error
            break
        parsed, n = parse_gdelt(resp.body, source.name)
        if parsed.problem:
            pending.append((start, end))
            problem = parsed.problem
            break
        if parsed.warning:
            notes.append(parsed.warning)
        skipped += parsed.skipped
        for lk in parsed.links:
            links.setdefault(lk.url, lk)
        if n >= GDELT_MAX_RECORDS and end - start > MIN_WINDOW:
            mid = start + (end - start) / 2
            pending = sorted([*pending, (start, mid), (mid, end)], reverse=True)
    left = tuple(sorted(pending))
    if left:
        notes.append(f"{len(left)} GDELT windows left for the next runs (request budget {o.gdelt_max_requests})")
    dropped = len(backlog) - len(kept)
    if dropped:
        notes.append(f"{dropped} unread GDELT windows older than {BACKLOG_MAX_AGE.days} days dropped")
    if problem and links:
        notes.append(problem)
    ordered = sorted(links.values(), key=lambda lk: lk.published_at or now, reverse=True)
    return GdeltRead(
        tuple(ordered), tuple(attempts), skipped, problem if not links else None, "; ".join(notes)[:500] or None,
        now.isoformat(), left, backoff_until, dropped,
    )
