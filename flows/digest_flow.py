"""The ``digest`` flow: what is new per channel → rank → render → deliver → record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from digest.compose import rank, render_markdown
from digest.deliver import deliver_apprise, deliver_file, redact
from reewatch.errors import DeliveryError
from reewatch.settings import load_settings
from store.db import connect
from store.digests import pending_stories, record_digest

FILE_CHANNEL = "file"


@dataclass(frozen=True)
class DeliveryResult:
    channel: str
    target: str
    stories: int
    outcome: str  # sent | failed | nothing-new
    error: str | None = None


@task(name="deliver", cache_policy=NO_CACHE, retries=0)
def deliver_task(target: str, title: str, markdown: str, digest_dir: Path, now: datetime) -> str:
    if target == FILE_CHANNEL:
        return str(deliver_file(markdown, digest_dir, now))
    deliver_apprise(target, title, markdown)
    return redact(target)


def run_digest(db: Path, digest_dir: Path, targets: list[str], min_label: str = "relevant", max_items: int = 50) -> list[DeliveryResult]:
    """Compose and deliver one digest per target; only successful deliveries are recorded as sent."""
    now = datetime.now(UTC)
    results = []
    con = connect(db, wait_s=30.0)
    try:
        for target in targets or [FILE_CHANNEL]:
            channel = FILE_CHANNEL if target == FILE_CHANNEL else redact(target)
            items = rank(pending_stories(con, channel, min_label), now)[:max_items]
            if not items:
                results.append(DeliveryResult(channel, channel, 0, "nothing-new"))
                continue
            markdown = render_markdown(items, now)
            digest_id = uuid.uuid4().hex[:12]
            try:
                where = deliver_task(target, f"reewatch: {len(items)} new stories", markdown, digest_dir, now)
            except DeliveryError as exc:
                record_digest(con, digest_id, channel, items, channel, "failed")
                results.append(DeliveryResult(channel, channel, len(items), "failed", str(exc)))
                continue
            record_digest(con, digest_id, channel, items, where, "sent")
            results.append(DeliveryResult(channel, where, len(items), "sent"))
    finally:
        con.close()
    return results


@flow(name="digest", log_prints=False, validate_parameters=False)
def digest_flow(config: str | None = None, db: str | None = None, to: list[str] | None = None) -> list[DeliveryResult]:
    """Deliver the digest of what is new since the last one, per target."""
    s = load_settings(Path(config) if config else None, db=Path(db) if db else None)
    return run_digest(s.db, s.digest.dir, list(to or []), s.digest.min_label, s.digest.max_items)
