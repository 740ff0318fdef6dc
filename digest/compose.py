"""Choose, rank and summarise a digest (pure: no database, no network)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from core.records import StoryDigestItem
from core.text import sentences_of
from digest.model import Digest, Entry

# Decay of a story's rank with age, e-folding time in hours (a design choice, not fitted:
# there is no ranked-digest ground truth in ../shared/data).  At 72 h a day-old story
# carried by three outlets (e^-1/3 × (1+ln 4) = 1.71) still edges out a fresh
# single-outlet one of equal score (1+ln 2 = 1.69); a week-old story keeps 10 %.
RECENCY_SCALE_H = 72.0
# Summary: 2–3 sentences of the lead, at most this many characters (a phone screen's worth).
SUMMARY_SENTENCES = 3
SUMMARY_MAX_CHARS = 480
# Sentences shorter than this are bylines, datelines or photo credits, not facts.
MIN_SENTENCE_CHARS = 25
# Days of relevant-article volume shown in the chart.
CHART_DAYS = 30


def rank_score(it: StoryDigestItem, now: datetime) -> float:
    """Relevance × recency × number of outlets."""
    age_h = max(0.0, (now - it.first_seen_at).total_seconds() / 3600)
    outlets = len({o.site for o in it.outlets})
    return it.score * math.exp(-age_h / RECENCY_SCALE_H) * (1 + math.log1p(outlets))


def rank(items: list[StoryDigestItem], now: datetime) -> list[StoryDigestItem]:
    """Best first (ties broken by story id, so the order is stable)."""
    return sorted(items, key=lambda it: (-rank_score(it, now), it.story_id))


def summarize(text: str, sentences: int = SUMMARY_SENTENCES, max_chars: int = SUMMARY_MAX_CHARS) -> str:
    """The first informative sentences of the lead: an extractive summary."""
    parts = sentences_of(" ".join(text.split()), capital_start=True)
    informative = [s for s in parts if len(s) >= MIN_SENTENCE_CHARS] or parts
    out: list[str] = []
    for sent in informative:
        if out and len(" ".join([*out, sent])) > max_chars:
            break
        out.append(sent)
        if len(out) >= sentences:
            break
    summary = " ".join(out)
    return summary if len(summary) <= max_chars else summary[: max_chars - 1].rstrip() + "…"


def fill_days(volume: dict[date, int], end: date, days: int = CHART_DAYS) -> tuple[tuple[date, int], ...]:
    """``days`` consecutive days ending at ``end``, zero where nothing was counted."""
    start = end - timedelta(days=days - 1)
    return tuple((start + timedelta(days=i), int(volume.get(start + timedelta(days=i), 0))) for i in range(days))


def compose(
    items: list[StoryDigestItem],
    now: datetime,
    *,
    updates: list[tuple[StoryDigestItem, frozenset[str]]] | None = None,
    max_items: int = 50,
    volume: dict[date, int] | None = None,
    title: str = "reewatch digest",
    channel: str = "",
) -> Digest:
    """Rank new stories and updates, cut to ``max_items`` in all (new stories first)."""
    new = [Entry(it, summarize(it.lead), rank_score(it, now)) for it in rank(items, now)][:max_items]
    upd: list[Entry] = []
    for it, known in updates or []:
        fresh = frozenset(o.url for o in it.outlets if o.url not in known)
        if fresh:
            upd.append(Entry(it, summarize(it.lead), rank_score(it, now), fresh))
    upd.sort(key=lambda e: (-e.rank_score, e.item.story_id))
    upd = upd[: max(0, max_items - len(new))]
    series = fill_days(volume, now.date()) if volume is not None else ()
    return Digest(title=title, now=now, new=tuple(new), updates=tuple(upd), volume=series, channel=channel)
