"""The digest as data: what the renderers (text, Markdown, HTML) and deliverers receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote, urlsplit

from core.records import StoryDigestItem, StoryOutlet


def outlet_note(o: StoryOutlet) -> str:
    """What a reader should know before following an outlet's link: a lead (a headline without its
    page's text; an aggregator's link when the link's host is not the outlet's) or a paywalled
    teaser; "" for a full article."""
    notes = ([f"lead: headline only{', link via the aggregator' if _via_aggregator(o) else ''}"] if o.kind == "lead"
             else []) + (["paywalled: teaser only"] if o.paywalled else [])
    return "; ".join(notes)


def _via_aggregator(o: StoryOutlet) -> bool:
    host = (urlsplit(o.url).hostname or "").removeprefix("www.")
    return bool(o.site) and host != o.site.removeprefix("www.")


@dataclass(frozen=True, slots=True)
class Entry:
    """One story in a digest: the story, its extractive summary, and (for updates) what is new."""

    item: StoryDigestItem
    summary: str
    rank_score: float
    # Member URLs the channel has not been sent yet (non-empty only for updates).
    new_urls: frozenset[str] = frozenset()

    @property
    def outlet_count(self) -> int:
        return len({o.site for o in self.item.outlets})

    @property
    def also_in(self) -> str:
        """The story's other languages ("de, ja"), shown above its outlets; "" for one language."""
        return ", ".join(self.item.languages[1:])


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
    # The reading room's address (``[ui] base_url``): when set, each story links to its page there
    # and to a "not relevant" confirmation page (docs/ui.md).
    base_url: str = ""

    def story_url(self, story_id: str) -> str:
        return f"{self.base_url}/story/{quote(story_id, safe='')}" if self.base_url else ""

    def dismiss_url(self, story_id: str) -> str:
        return f"{self.base_url}/dismiss/{quote(story_id, safe='')}" if self.base_url else ""

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
