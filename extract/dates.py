"""Publication dates: parse, normalise to aware UTC, and check plausibility.  Pure.

A date is *plausible* when it is not before the web news era (``EARLIEST``) and not in
the future relative to when we fetched the page (a little clock skew allowed, since
sites publish in their own time zone and clocks drift).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# Nothing we monitor predates 1995 (the first news sites went online in 1994-95);
# earlier dates on pages are copyright lines or historical references.
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
# A page dated up to this far after our fetch time is still accepted: time zones reach
# UTC+14 and a midnight date-only stamp in such a zone reads as the "next day".
CLOCK_SKEW = timedelta(hours=26)

_DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 (``2025-06-09``, ``2025-06-09T07:42:00Z``, offsets) → aware UTC, else None."""
    local = parse_local(value)
    return to_utc(local) if local is not None else None


def parse_local(value: str | None) -> datetime | None:
    """Like :func:`parse_datetime` but in the page's own offset (naive → UTC): the local day it names."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        head = text[:10]
        if not _DATE_ONLY_RE.match(head):
            return None
        try:
            dt = datetime.fromisoformat(head)
        except ValueError:
            return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def to_utc(dt: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def plausible(dt: datetime | None, fetched_at: datetime) -> datetime | None:
    """``dt`` when it could be a real publication time for a page fetched at ``fetched_at``."""
    if dt is None:
        return None
    dt = to_utc(dt)
    if dt < EARLIEST or dt > to_utc(fetched_at) + CLOCK_SKEW:
        return None
    return dt


def first_plausible(candidates: list[datetime | None], fetched_at: datetime) -> datetime | None:
    """The first candidate that passes :func:`plausible`."""
    for candidate in candidates:
        ok = plausible(candidate, fetched_at)
        if ok is not None:
            return ok
    return None
