"""The digest as data: what the renderers (text, Markdown, HTML) and deliverers receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from core.records import StoryDigestItem


@dataclass(frozen=True, slots=True)
class Entry:
    """One story in a digest: the story, its extractive summary, and (for updates) what is new."""

    item: StoryDigestItem
    summary: str
    rank_score: float
    # Member URLs the channel has not been sent yet (non-empty only for updates).
    new_urls: frozenset[str] = frozenset()

    @property
    def is_update(self) -> bool:
        return bool(self.new_urls)

    @property
    def outlet_count(self) -> int:
        return len({o.site for o in self.item.outlets})


@dataclass(frozen=True, slots=True)
class Digest:
    """A composed digest for one channel."""

    title: str
    now: datetime
    new: tuple[Entry, ...]
    updates: tuple[Entry, ...] = ()
    # (day, relevant articles) for the chart, oldest first.
    volume: tuple[tuple[date, int], ...] = field(default_factory=tuple)
    channel: str = ""

    @property
    def empty(self) -> bool:
        return not self.new and not self.updates

    @property
    def subject(self) -> str:
        parts = []
        if self.new:
            parts.append(f"{len(self.new)} new stor{'y' if len(self.new) == 1 else 'ies'}")
        if self.updates:
            parts.append(f"{len(self.updates)} update{'' if len(self.updates) == 1 else 's'}")
        return f"{self.title}: " + (", ".join(parts) if parts else "nothing new")
