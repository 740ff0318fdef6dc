"""Same-story decision (pure): which stored story, if any, a new article reports.

Candidates are the stories of the article's nearest stored neighbours.  A story's
score is the best cosine between the article and one of its members (title + lead
embeddings) plus a bonus for shared *rare* event keys (names, numbers, dates; see
triage/events.py) and one for the best content-word TF-IDF cosine (triage/lexical.py), so two admissions of different celebrities to rehab, or two export
bans on different metals, stay apart while differently worded reports of one event
join.  Members published more than ``STORY_WINDOW`` apart are not the same event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from triage.archive import ArchiveEntry
from triage.events import KeyStats, overlap
from triage.lexical import DocFreq, TermVector, tfidf_cosine

# score = best member cosine + EVENT_WEIGHT × rarity-weighted event-key overlap.
# Set on ../shared/data (B-cubed F1, title+lead MiniLM embeddings, leader clustering in
# file order): news/dev stories and clustering/ecbplus-dev; see STORY_JOIN.
EVENT_WEIGHT = 0.7
# Join the best-scoring story when its score reaches this.  Grid EVENT_WEIGHT {.3, .5, .7}
# × TERMS_WEIGHT {0, .3, .5, .8} × STORY_JOIN {.8 … 1.0} (B-cubed F1 news / ECB+):
# without content terms the best is 0.865 / 0.890 (0.5, join 0.8); 0.7 / 0.5 / 1.0 gives
# 0.882 / 0.895 and its neighbours 0.878 / 0.896 (0.7/0.3/0.95), 0.882 / 0.887 (0.5/0.5/0.95).
STORY_JOIN = 1.0
# score += TERMS_WEIGHT × best content-word TF-IDF cosine with a member (triage/lexical.py):
# shared rare content words and figures, which a same-kind different event lacks.
TERMS_WEIGHT = 0.5
# Reports of one event appear within days of each other; an article published more
# than this after (or before) every candidate member starts a new story.
STORY_WINDOW = timedelta(days=4)


@dataclass(frozen=True, slots=True)
class StoryMatch:
    story_id: str
    score: float
    cosine: float
    event_overlap: float


def within_window(when: datetime | None, members: list[ArchiveEntry]) -> bool:
    if when is None:
        return True
    times = [m.when for m in members]
    try:
        return any(abs(when - t) <= STORY_WINDOW for t in times)
    except TypeError:  # naive vs aware: cannot compare, do not veto
        return True


Member = tuple[ArchiveEntry, float]
StoryScore = Callable[[list[Member], frozenset[str], KeyStats, TermVector | None, DocFreq | None],
                      tuple[float, float, float]]


def story_score(
    members: list[Member], keys: frozenset[str], stats: KeyStats, terms: TermVector | None, doc_freq: DocFreq | None,
) -> tuple[float, float, float]:
    """(score, cosine, event overlap) of one candidate story, from its neighbouring members."""
    cos = max(s for _, s in members)
    ov = overlap(keys, frozenset().union(*(m.event_keys for m, _ in members)), stats)
    score = cos + EVENT_WEIGHT * ov
    if TERMS_WEIGHT and terms is not None and doc_freq is not None:
        score += TERMS_WEIGHT * max(
            (tfidf_cosine(terms, m.terms, doc_freq) for m, _ in members if m.terms is not None), default=0.0
        )
    return score, cos, ov


def best_story(
    keys: frozenset[str],
    when: datetime | None,
    neighbours: list[Member],
    stats: KeyStats,
    terms: TermVector | None = None,
    doc_freq: DocFreq | None = None,
    *,
    score: StoryScore = story_score,
    join: float = STORY_JOIN,
) -> StoryMatch | None:
    """The best story among the neighbours' stories, or None if none reaches ``join``
    (``score`` and ``join`` are parameters so bench/story_rules.py can measure other rules)."""
    groups: dict[str, list[Member]] = {}
    for entry, sim in neighbours:
        groups.setdefault(entry.story_id, []).append((entry, sim))
    best: StoryMatch | None = None
    for story_id, members in groups.items():  # insertion order: most similar first
        if not within_window(when, [m for m, _ in members]):
            continue
        s, cos, ov = score(members, keys, stats, terms, doc_freq)
        if s >= join and (best is None or s > best.score):
            best = StoryMatch(story_id, s, cos, ov)
    return best
