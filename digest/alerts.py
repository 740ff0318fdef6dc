"""Breaking alerts: a story that crosses a high threshold goes out at once, rate-limited.

Choosing is pure (``select_alerts``); ``send_alerts`` delivers one message per story and
reports each outcome, so the caller records exactly what went out (and the next digest
for that channel leaves those stories out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.errors import DeliveryError
from core.records import StoryDigestItem
from digest.channels import Channel
from digest.compose import compose, rank
from digest.deliver import deliver_apprise, deliver_files, redact
from digest.render_html import to_html
from digest.render_text import to_markdown, to_text

RATE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    item: StoryDigestItem
    target: str
    error: str | None = None

    @property
    def sent(self) -> bool:
        return self.error is None


def select_alerts(
    items: list[StoryDigestItem], threshold: float, sent_times: list[datetime], max_per_hour: int, now: datetime
) -> list[StoryDigestItem]:
    """Stories at or above ``threshold``, best first, within what the hourly rate limit leaves."""
    recent = sum(1 for t in sent_times if now - t < RATE_WINDOW)
    budget = max(0, max_per_hour - recent)
    return [it for it in rank(items, now) if it.score >= threshold][:budget]


def render_alert(item: StoryDigestItem, now: datetime, fmt: str) -> tuple[str, str]:
    """(title, body) of a one-story alert."""
    d = compose([item], now, title="reewatch breaking")
    title = f"Breaking: {item.headline}"
    body = {"html": to_html, "text": to_text}.get(fmt, to_markdown)(d)
    return title, body


def send_alerts(channel: Channel, items: list[StoryDigestItem], now: datetime, file_dir: Path) -> list[AlertOutcome]:
    """Deliver each story as its own alert to ``channel``; one outcome per story, failures included."""
    out = []
    fmt = channel.delivery_formats()[0]
    for it in items:
        title, body = render_alert(it, now, fmt)
        try:
            if channel.is_file:
                paths = deliver_files({fmt: body}, channel.file_dir(file_dir), now, stem="alert")
                out.append(AlertOutcome(it, str(paths[0])))
            else:
                deliver_apprise(channel.url, title, body, fmt)
                out.append(AlertOutcome(it, redact(channel.url)))
        except DeliveryError as exc:
            out.append(AlertOutcome(it, redact(channel.url), str(exc)))
    return out
