"""Digest channels: where a digest goes, when, with which stories, in which format (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

FORMATS = ("markdown", "html", "text")
FILE_EXT = {"markdown": "md", "html": "html", "text": "txt"}
# Apprise schemes that are e-mail: they get the HTML digest with the chart.
EMAIL_SCHEMES = ("mailto", "mailtos", "email", "o365", "ses", "sendgrid", "mailgun", "sparkpost", "resend", "brevo")
FILE_TARGET = "file"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EVERY_RE = re.compile(r"^every\s+(\d+)\s*([mhd])$")
_AT_RE = re.compile(r"^(daily|weekdays|mon|tue|wed|thu|fri|sat|sun)\s+(\d{1,2}):(\d{2})$")
_UNITS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Channel:
    """One place digests go (``[[digest.channels]]``), as plain values."""

    name: str
    url: str
    schedule: str = ""
    min_score: float = 0.0
    min_label: str = "relevant"
    topics: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    alerts: bool = False
    nothing_new: bool = False

    @property
    def is_file(self) -> bool:
        return self.url == FILE_TARGET or self.url.startswith("file://")

    def file_dir(self, default: Path) -> Path:
        """Directory a file channel writes to: ``file`` → the digest dir, ``file:///x`` → /x."""
        return default if self.url == FILE_TARGET else Path(self.url.removeprefix("file://"))

    def delivery_formats(self) -> tuple[str, ...]:
        """Formats to render: configured ones, else HTML for e-mail, Markdown+HTML for files, Markdown otherwise."""
        if self.formats:
            return self.formats
        if self.is_file:
            return ("markdown", "html")
        scheme = self.url.split("://", 1)[0].lower()
        return ("html",) if scheme in EMAIL_SCHEMES else ("markdown",)


def check_format(fmt: str) -> str:
    f = {"md": "markdown", "txt": "text", "plain": "text"}.get(fmt.lower(), fmt.lower())
    if f not in FORMATS:
        raise ValueError(f"unknown digest format {fmt!r}; use one of {', '.join(FORMATS)}")
    return f


def check_schedule(schedule: str) -> str:
    """Validate a schedule string; returns it normalised."""
    s = " ".join(schedule.lower().split())
    if s in ("", "always") or _EVERY_RE.match(s) or _AT_RE.match(s):
        return s
    raise ValueError(
        f"unknown digest schedule {schedule!r}; use 'always', 'every 6h' / 'every 30m' / 'every 1d', "
        "'daily 07:00', 'weekdays 07:00' or 'mon 07:00' (times in UTC)"
    )


def last_slot(schedule: str, now: datetime) -> datetime | None:
    """The latest scheduled time at or before ``now`` for an ``at`` schedule (None for the others)."""
    m = _AT_RE.match(check_schedule(schedule))
    if not m:
        return None
    kind, hh, mm = m.group(1), int(m.group(2)), int(m.group(3))
    for back in range(8):
        day = now - timedelta(days=back)
        slot = day.replace(hour=hh, minute=mm, second=0, microsecond=0)
        wd = slot.weekday()
        ok = kind == "daily" or (kind == "weekdays" and wd < 5) or (kind in _WEEKDAYS and _WEEKDAYS.index(kind) == wd)
        if ok and slot <= now:
            return slot
    return None


def is_due(schedule: str, last_success: datetime | None, now: datetime) -> bool:
    """Whether a channel on ``schedule`` should get a digest now, given its last successful run."""
    s = check_schedule(schedule)
    if s in ("", "always") or last_success is None:
        return True
    every = _EVERY_RE.match(s)
    if every:
        return (now - last_success).total_seconds() >= int(every.group(1)) * _UNITS[every.group(2)]
    slot = last_slot(s, now)
    return slot is not None and last_success < slot
