"""Choose, rank and render a digest (pure: no database, no network)."""

from __future__ import annotations

import math
import re
from datetime import datetime

from reewatch.records import StoryDigestItem

# Half-life-like decay of a story's rank with age (hours); a day-old story with three
# outlets still outranks a fresh single-outlet one of equal score.
RECENCY_SCALE_H = 48.0
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“‘'(])")


def rank(items: list[StoryDigestItem], now: datetime) -> list[StoryDigestItem]:
    """Relevance × recency × number of outlets, best first."""

    def key(it: StoryDigestItem) -> float:
        age_h = max(0.0, (now - it.first_seen_at).total_seconds() / 3600)
        outlets = len({o.site for o in it.outlets})
        return it.score * math.exp(-age_h / RECENCY_SCALE_H) * (1 + math.log1p(outlets))

    return sorted(items, key=lambda it: (-key(it), it.story_id))


def summarize(text: str, sentences: int = 3, max_chars: int = 480) -> str:
    """The first sentences of the lead: an extractive summary."""
    flat = " ".join(text.split())
    out: list[str] = []
    for sent in _SENT_RE.split(flat):
        if out and len(" ".join([*out, sent])) > max_chars:
            break
        out.append(sent)
        if len(out) >= sentences:
            break
    summary = " ".join(out)
    return summary if len(summary) <= max_chars else summary[: max_chars - 1].rstrip() + "…"


def render_markdown(items: list[StoryDigestItem], now: datetime, title: str = "reewatch digest") -> str:
    lines = [f"# {title} — {now:%Y-%m-%d %H:%M} UTC", ""]
    if not items:
        lines.append("Nothing new since the last digest.")
        return "\n".join(lines) + "\n"
    lines.append(f"{len(items)} new stor{'y' if len(items) == 1 else 'ies'}, most important first.")
    lines.append("")
    for i, it in enumerate(items, 1):
        lines.append(f"## {i}. {it.headline}")
        lines.append("")
        lines.append(
            f"*{it.label}, score {it.score:.2f} · first seen {it.first_seen_at:%Y-%m-%d %H:%M} UTC · "
            f"{len(it.outlets)} article{'s' if len(it.outlets) != 1 else ''}*"
        )
        lines.append("")
        lines.append(summarize(it.lead))
        lines.append("")
        for o in it.outlets:
            lines.append(f"- [{o.site}]({o.url}) — {o.title}")
        if it.reasons:
            lines.append("")
            lines.append("Why: " + "; ".join(it.reasons[:4]))
        lines.append("")
    return "\n".join(lines)
