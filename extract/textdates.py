"""Dates written in plain text: full dates ("June 9, 2025", "30-06-2025"), year mentions, and
site clocks.  Pure.  Used for text captures (extract/text_capture.py), which carry no tags.

A *site clock* is the page's "current time" widget a scraper captured with the article: a
weekday-date-time line at the top ("Tuesday, 02 January 2024 12:17 GMT") whose date is far from
every date the text itself names.  It tells when the page was rendered, not when the article
appeared, so it is never taken as the publication date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

# A clock-shaped line whose date is further than this from every date the text names is a site
# clock: seed 004's stale clock is 365 days from the nearest (a year the text names); a clock
# captured live with a fresh article is days from its dates, and then near enough to be harmless.
SITE_CLOCK_DAYS = 31
# A date starting within this many characters of the text is its dateline ("WASHINGTON, Nov. 3,
# 2025 /PRNewswire/ --"): with the datelines above it, on news/dev's 144 captures, 28 dates agree
# with the labelled one and 3 disagree (the excerpts' own leading dates); the latest date named
# anywhere in the text would agree on 20 and disagree on 6 (docs/extraction.md, "Text captures").
DATELINE_LEAD_CHARS = 30

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH = (r"(?P<mon>jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?"
          r"|oct(ober)?|nov(ember)?|dec(ember)?)\b\.?")
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_FLAGS = re.IGNORECASE
# "June 9, 2025", "Jun. 9 2025", "9 June 2025", "9th of June, 2025", "2025-06-09", "30-06-2025",
# "30.06.2025", "06/30/2025" (slashes only when the order is unambiguous: one part above 12).
_PATTERNS = (
    re.compile(rf"(?<![\w]){_MONTH} {_DAY},? {_YEAR}(?!\d)", _FLAGS),
    re.compile(rf"(?<!\d){_DAY} (?:of )?{_MONTH},? {_YEAR}(?!\d)", _FLAGS),
    re.compile(rf"(?<!\d){_YEAR}-(?P<mnum>[01]?\d)-(?P<day>[0-3]?\d)(?!\d)"),
    re.compile(rf"(?<!\d)(?P<day>[0-3]?\d)[-.](?P<mnum>[01]?\d)[-.]{_YEAR}(?!\d)"),
    re.compile(rf"(?<!\d)(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)/{_YEAR}(?!\d)"),
)
# A year on its own ("the first five months of 2025"), not part of a longer number or an amount.
_YEAR_RE = re.compile(r"(?<![\w$€£.,])((?:19|20)\d\d)(?![\w%]|[.,]\d)")
_WEEKDAY_RE = re.compile(r"\b(mon|tues?|wed(nes)?|thu(rs)?|fri|sat(ur)?|sun)(day)?\b", _FLAGS)
_TIME_RE = re.compile(r"(?<!\d)(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?!\d)(\s?(?P<utc>GMT|UTC|Z)\b)?", _FLAGS)


@dataclass(frozen=True, slots=True)
class Mentions:
    """The dates a text names: full dates, and the years named on their own."""

    days: tuple[date, ...]
    years: tuple[int, ...]

    def gap_days(self, day: date) -> int | None:
        """Days from ``day`` to the nearest date named (a year counts as all of its days); None when none."""
        gaps = [abs((day - d).days) for d in self.days]
        for y in self.years:
            first, last = date(y, 1, 1), date(y, 12, 31)
            gaps.append(0 if first <= day <= last else min(abs((day - first).days), abs((day - last).days)))
        return min(gaps) if gaps else None


def _day(m: re.Match[str]) -> date | None:
    groups = m.groupdict()
    year = int(groups["year"])
    if groups.get("mon"):
        month = _MONTHS[groups["mon"][:3].lower()]
        day = int(groups["day"])
    elif groups.get("mnum"):
        month, day = int(groups["mnum"]), int(groups["day"])
    else:
        a, b = int(groups["a"]), int(groups["b"])
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            month, day = a, b
        else:
            return None  # 05/06/2025: May 6 or 5 June, the page does not say
    try:
        return date(year, month, day)
    except ValueError:
        return None


def full_dates(text: str) -> list[tuple[int, date]]:
    """(offset, date) of every full date written in ``text``, in text order."""
    found: dict[int, date] = {}
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            d = _day(m)
            if d is not None:
                found.setdefault(m.start(), d)
    return sorted(found.items())


def mentions(text: str) -> Mentions:
    """The full dates and lone years ``text`` names."""
    days = full_dates(text)
    spans = [(off, off + 24) for off, _ in days]  # a full date's own year is not a lone year
    years = [int(m.group(1)) for m in _YEAR_RE.finditer(text)
             if not any(a <= m.start() < b for a, b in spans)]
    return Mentions(tuple(d for _, d in days), tuple(sorted(set(years))))


def line_datetime(line: str) -> datetime | None:
    """The date (and the time, when given in GMT/UTC) a dateline names, else None."""
    days = full_dates(line)
    if not days:
        return None
    d = days[0][1]
    t = _TIME_RE.search(line)
    if t is not None and t.group("utc"):
        return datetime(d.year, d.month, d.day, int(t.group("hour")), int(t.group("minute")), tzinfo=UTC)
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def clock_shaped(line: str) -> bool:
    """A weekday, a date and a time of day on one line: what a site clock shows."""
    return bool(_WEEKDAY_RE.search(line) and _TIME_RE.search(line) and full_dates(line))


def is_site_clock(line: str, text_mentions: Mentions) -> bool:
    """A clock-shaped line far (``SITE_CLOCK_DAYS``) from every date the text names."""
    when = line_datetime(line)
    if when is None or not clock_shaped(line):
        return False
    gap = text_mentions.gap_days(when.date())
    return gap is not None and gap > SITE_CLOCK_DAYS


def lead_date(text: str) -> datetime | None:
    """The date a text opens with (a wire dateline glued to the first paragraph), else None."""
    days = full_dates(text[: DATELINE_LEAD_CHARS + 24])
    if not days or days[0][0] >= DATELINE_LEAD_CHARS:
        return None
    d = days[0][1]
    return datetime(d.year, d.month, d.day, tzinfo=UTC)
