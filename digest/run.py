"""A digest run: what is new per channel → rank → render → deliver → record; and breaking alerts.

Exactly once: a story is marked sent to a channel only when the delivery to that channel
succeeded; a failed delivery is recorded (with its error) and the next run retries it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from core.errors import ConfigError, DeliveryError
from digest.alerts import select_alerts, send_alerts
from digest.channels import FILE_TARGET, Channel, is_due
from digest.compose import CHART_DAYS, compose
from digest.deliver import deliver_apprise, deliver_files, redact
from digest.model import Digest
from digest.render_html import to_html
from digest.render_text import to_markdown, to_text
from digest.settings import ChannelSettings, DigestSettings
from store.db import WRITE_WAIT_S, connect
from store.digests import (
    StoryFilter,
    alert_times,
    daily_relevant_volume,
    last_success,
    pending_stories,
    record_digest,
    updated_stories,
)

FILE_CHANNEL = FILE_TARGET
_RENDER = {"markdown": to_markdown, "html": to_html, "text": to_text}


@dataclass(frozen=True)
class DeliveryResult:
    channel: str
    target: str
    stories: int
    outcome: str  # sent | failed | nothing-new | preview | not-due
    error: str | None = None
    updates: int = 0
    kind: str = "digest"  # digest | alert


@dataclass(frozen=True)
class DigestOptions:
    """How one digest run behaves: the ``[digest]`` settings, and what the caller asks for now."""

    settings: DigestSettings = field(default_factory=DigestSettings)
    preview: bool = False
    force: bool = True  # ignore channel schedules
    formats: tuple[str, ...] = ()  # override every channel's formats
    title: str = "reewatch digest"
    base_url: str = ""  # the reading room's address ([ui] base_url): story links in the digest


def channel_for_target(target: str, min_label: str = "relevant") -> Channel:
    """An ad-hoc channel for ``--to URL`` (keyed by the redacted URL) or ``file``."""
    name = FILE_CHANNEL if target == FILE_CHANNEL else redact(target)
    return Channel(name=name, url=target, min_label=min_label)


def channel_from_settings(c: ChannelSettings, ds: DigestSettings) -> Channel:
    return Channel(
        name=c.name, url=c.url, schedule=c.schedule, min_score=c.min_score, min_label=c.min_label,
        topics=tuple(c.topics), formats=tuple(c.formats), alerts=c.alerts,
        nothing_new=ds.nothing_new if c.nothing_new is None else c.nothing_new,
    )


def channels_from_settings(ds: DigestSettings) -> list[Channel]:
    return [channel_from_settings(c, ds) for c in ds.channels]


def run_digest(
    db: Path,
    digest_dir: Path,
    targets: list[str],
    *,
    channels: list[Channel] | None = None,
    options: DigestOptions | None = None,
    now: datetime | None = None,
) -> list[DeliveryResult]:
    """Compose and deliver one digest per channel (``targets`` are ad-hoc ones); default: a file."""
    opts = options or DigestOptions()
    now = now or datetime.now(UTC)
    min_label = opts.settings.min_label
    chans = list(channels or []) + [channel_for_target(t, min_label) for t in targets]
    if not chans:
        chans = [channel_for_target(FILE_CHANNEL, min_label)]
    con = connect(db, wait_s=WRITE_WAIT_S)
    try:
        return [_run_channel(con, ch, digest_dir, opts, now) for ch in chans]
    finally:
        con.close()


def _story_filter(ch: Channel, opts: DigestOptions, now: datetime) -> StoryFilter:
    return StoryFilter(
        min_label=ch.min_label, min_score=ch.min_score, topics=ch.topics,
        since=now - timedelta(days=opts.settings.lookback_days) if opts.settings.lookback_days > 0 else None,
    )


def compose_for(con: duckdb.DuckDBPyConnection, ch: Channel, opts: DigestOptions, now: datetime) -> Digest:
    """The digest ``ch`` would get now (reads only)."""
    f = _story_filter(ch, opts, now)
    volume = daily_relevant_volume(con, (now - timedelta(days=CHART_DAYS - 1)).date(), now.date(), ch.topics)
    d = compose(
        pending_stories(con, ch.name, story_filter=f), now, updates=updated_stories(con, ch.name, f),
        max_items=opts.settings.max_items, volume=volume, title=opts.title, channel=ch.name,
    )
    return replace(d, base_url=opts.base_url) if opts.base_url else d


def _run_channel(
    con: duckdb.DuckDBPyConnection, ch: Channel, digest_dir: Path, opts: DigestOptions, now: datetime
) -> DeliveryResult:
    if not opts.force and not opts.preview and not is_due(ch.schedule, last_success(con, ch.name), now):
        return DeliveryResult(ch.name, ch.name, 0, "not-due")
    d = compose_for(con, ch, opts, now)
    digest_id = uuid.uuid4().hex[:12]
    new, upd = [e.item for e in d.new], [e.item for e in d.updates]
    if opts.preview:
        path = deliver_files({"html": to_html(d)}, digest_dir, now, stem="preview")[0]
        record_digest(con, digest_id, ch.name, new, str(path), "preview", kind="preview", updates=upd, now=now)
        return DeliveryResult(ch.name, str(path), len(new), "preview", updates=len(upd))
    if d.empty and not ch.nothing_new:
        record_digest(con, digest_id, ch.name, [], ch.name, "nothing-new", now=now)
        return DeliveryResult(ch.name, ch.name, 0, "nothing-new")
    formats = opts.formats or ch.delivery_formats()
    try:
        where = _deliver(ch, d, formats, digest_dir, now)
    except DeliveryError as exc:
        record_digest(con, digest_id, ch.name, new, redact(ch.url), "failed", updates=upd, error=str(exc), now=now)
        return DeliveryResult(ch.name, redact(ch.url), len(new), "failed", str(exc), updates=len(upd))
    outcome = "nothing-new" if d.empty else "sent"
    record_digest(con, digest_id, ch.name, new, where, outcome, updates=upd, now=now)
    return DeliveryResult(ch.name, where, len(new), outcome, updates=len(upd))


def _deliver(ch: Channel, d: Digest, formats: tuple[str, ...], digest_dir: Path, now: datetime) -> str:
    """Deliver ``d`` in ``formats``; returns where it went (first file, or the redacted URL)."""
    rendered = {fmt: _RENDER[fmt](d) for fmt in formats}
    if ch.is_file:
        return str(deliver_files(rendered, ch.file_dir(digest_dir), now)[0])
    fmt, body = next(iter(rendered.items()))
    deliver_apprise(ch.url, d.subject, body, fmt)
    return redact(ch.url)


def run_alerts(db: Path, ds: DigestSettings, now: datetime | None = None) -> list[DeliveryResult]:
    """Send breaking alerts to every channel with ``alerts = true``; each story at most once per channel."""
    alert_channels = [c for c in channels_from_settings(ds) if c.alerts]
    if not alert_channels:
        return []
    now = now or datetime.now(UTC)
    results = []
    con = connect(db, wait_s=WRITE_WAIT_S)
    try:
        for ch in alert_channels:
            f = StoryFilter(min_label="relevant", min_score=max(ch.min_score, ds.alert_threshold), topics=ch.topics,
                            since=now - timedelta(hours=ds.alert_window_h))
            candidates = [it for it in pending_stories(con, ch.name, story_filter=f)
                          if now - it.first_seen_at <= timedelta(hours=ds.alert_window_h)]
            recent = alert_times(con, ch.name, now - timedelta(hours=1))
            chosen = select_alerts(candidates, ds.alert_threshold, recent, ds.alert_max_per_hour, now)
            for out in send_alerts(ch, chosen, now, ds.dir):
                outcome = "sent" if out.sent else "failed"
                record_digest(con, uuid.uuid4().hex[:12], ch.name, [out.item], out.target, outcome, kind="alert",
                              error=out.error, now=now)
                results.append(DeliveryResult(ch.name, out.target, 1, outcome, out.error, kind="alert"))
    finally:
        con.close()
    return results


def run_configured_digest(db: Path, ds: DigestSettings, *, targets: list[str] | None = None,
                          only: list[str] | None = None, options: DigestOptions | None = None,
                          base_url: str = "") -> list[DeliveryResult]:
    """Digest for the configured channels (those named in ``only``, if given) plus ad-hoc ``targets``.

    Without channels or targets, the digest goes to a file under ``[digest] dir``.  ``base_url``
    (the reading room's, when ``options`` are not given) links each story to its page there.
    """
    chans = channels_from_settings(ds)
    if only:
        unknown = set(only) - {c.name for c in chans}
        if unknown:
            raise ConfigError(f"no digest channel named {sorted(unknown)}; configured: {[c.name for c in chans]}")
        chans = [c for c in chans if c.name in only]
    if targets:
        chans = [c for c in chans if only] + [channel_for_target(t, ds.min_label) for t in targets]
    opts = options or DigestOptions(settings=ds, force=False, base_url=base_url)
    return run_digest(db, ds.dir, [], channels=chans, options=opts)
