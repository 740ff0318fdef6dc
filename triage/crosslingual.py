"""Copies and stories across languages (pure decisions over an Archive).

MiniLM (the dedup model) is English-only: across languages its cosine is that of unrelated
pages.  An article whose language differs from stored ones is also compared through the
multilingual encoder (triage/embed.py ``MULTILINGUAL_MODEL``), with the language-independent
evidence of its event keys (numbers, dates, Latin-script names; triage/events.py, weighted by
rarity).  Only entries of *another* language are looked at here: same-language pairs are the
monolingual layers' business, where the sharper English model decides.

  - translation: multilingual cosine ≥ ``XCOPY_SIM`` and an order-keeping alignment of the two
    articles' sentences through the multilingual encoder ≥ ``XALIGN_MIN`` (a translation
    restates its original sentence by sentence; triage/align.py): a copy of kind ``translation``;
  - story: the best story by multilingual cosine + ``XEVENT_WEIGHT`` × event-key overlap
    ≥ ``XSTORY_JOIN``, members within the story window when dated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from triage.align import SentenceVectors, monotone_alignment
from triage.archive import Archive, ArchiveEntry
from triage.embed import USE_LANGUAGES
from triage.events import overlap
from triage.stories import STORY_WINDOW, within_window

# news/dev, title + 600-char lead, USE multilingual v3: the it/de/ja translation
# triple 0.76–0.80; the closest cross-language pairs of different stories 0.70–0.74 (ru/de
# Nexperia reports vs English ones of another Nexperia event), independent same-story reports
# across languages 0.61–0.66.  The cosine only gates the alignment, which separates.
XCOPY_SIM = 0.70
# Sentence alignment (USE sentence vectors, a pair counts at cosine ≥ XSENT_MATCH) a translation
# reaches.  news/dev: the translation triple 0.62–0.77; every other cross-language pair with
# cosine ≥ 0.60 aligns ≤ 0.37 (same-story reports of 2 sentences), ≤ 0.19 otherwise.
XALIGN_MIN = 0.50
XSENT_MATCH = 0.5
# Translations need this many sentences each (2-sentence texts align by chance, triage/align.py).
XALIGN_MIN_SENTENCES = 3
# Story across languages: multilingual cosine + XEVENT_WEIGHT × rarity-weighted overlap of event
# keys (only numbers and Latin-script names can be shared across languages) ≥ XSTORY_JOIN.
# news/dev: the pl Nissan report joins its English story at 0.62 + 0.7 × 0.41; the ru and de
# Nexperia reports of other events reach 0.67–0.74 with overlap ≤ 0.69 (kept apart by dates only).
XEVENT_WEIGHT = 0.7
XSTORY_JOIN = 0.85
NEIGHBOURS = 20
# Languages whose articles take part (the multilingual encoder's); the others are decided by
# the monolingual layers only (their vectors would be noise).
COVERED = USE_LANGUAGES


@dataclass(frozen=True, slots=True)
class CrossMatch:
    entry: ArchiveEntry
    story_id: str
    cosine: float
    event_overlap: float
    score: float
    alignment: float = 0.0


def other_language(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a != b


def candidates(lang: str | None, mvec: NDArray[np.float32], archive: Archive) -> list[tuple[ArchiveEntry, float]]:
    """Entries in another language the encoder covers, nearest by multilingual cosine."""
    if lang is None:
        return []
    return [(e, s) for e, s in archive.nearest_multilingual(mvec, NEIGHBOURS)
            if other_language(lang, e.lang) and e.lang in COVERED]


def best_cross(
    url: str, sentences: tuple[str, ...], keys: frozenset[str], when: datetime | None,
    near: list[tuple[ArchiveEntry, float]], archive: Archive, sents: SentenceVectors | None,
) -> tuple[CrossMatch | None, CrossMatch | None]:
    """(translation copy, best story) among other-language neighbours; either may be None.
    ``sents`` embeds sentences with the multilingual encoder (None: no translation layer)."""
    copy: CrossMatch | None = None
    story: CrossMatch | None = None
    for entry, sim in near:
        if not within_window(when, [entry]):
            continue
        ov = overlap(keys, entry.event_keys, archive.key_stats)
        m = CrossMatch(entry, entry.story_id, sim, ov, sim + XEVENT_WEIGHT * ov)
        if (copy is None and sents is not None and sim >= XCOPY_SIM
                and min(len(sentences), len(entry.sentences)) >= XALIGN_MIN_SENTENCES):
            a, b = sents.get_many([(url, sentences), (entry.url, entry.sentences)])
            al = monotone_alignment(a, b, XSENT_MATCH)
            if al >= XALIGN_MIN:
                copy = CrossMatch(entry, entry.story_id, sim, ov, m.score, al)
        if m.score >= XSTORY_JOIN and (story is None or m.score > story.score):
            story = m
    return copy, story


def has_vector(mvecs: NDArray[np.float32] | None, i: int) -> bool:
    """Whether row ``i`` of a batch's multilingual vectors was embedded (rows no decision reads are
    zero, triage.pipeline.multilingual_vectors)."""
    return mvecs is not None and bool(mvecs[i].any())


def _stamp(t: datetime) -> float:
    try:
        return t.timestamp()
    except (OverflowError, ValueError, OSError):
        return 0.0


def _near(stamps: NDArray[np.float64], pool: NDArray[np.float64]) -> NDArray[np.bool_]:
    """For each stamp: is some stamp of the sorted ``pool`` within the story window of it?"""
    if not len(pool) or not len(stamps):
        return np.zeros(len(stamps), dtype=bool)
    w = STORY_WINDOW.total_seconds()
    i = np.searchsorted(pool, stamps - w)
    return (i < len(pool)) & (pool[np.minimum(i, len(pool) - 1)] <= stamps + w)


def cross_language_rows(
    langs: list[str | None], times: list[datetime], archive: Archive
) -> tuple[list[int], list[int]]:
    """(the batch rows, the archive positions lacking one) whose multilingual vector a decision of
    this batch can read: an article in a covered language with an article of another covered
    language (in the batch or the archive) within the story window of it.  ``best_cross`` compares
    only such pairs, so the other vectors would never be read; the decisions are the same as with
    every vector, and an archive of one language in any week pays no second encoder for it."""
    batch = [(i, lang, _stamp(t)) for i, (lang, t) in enumerate(zip(langs, times, strict=True)) if lang in COVERED]
    stored = [(p, e.lang, _stamp(e.when)) for p, e in enumerate(archive.entries) if e.lang in COVERED]
    rows: list[int] = []
    positions: list[int] = []
    for lang in {x[1] for x in batch} | {x[1] for x in stored}:
        others_all = np.sort(np.array([t for _, lg, t in batch + stored if lg != lang], dtype=np.float64))
        others_batch = np.sort(np.array([t for _, lg, t in batch if lg != lang], dtype=np.float64))
        mine = [(i, t) for i, lg, t in batch if lg == lang]
        near = _near(np.array([t for _, t in mine], dtype=np.float64), others_all)
        rows += [i for (i, _), n in zip(mine, near, strict=True) if n]
        lacking = [(p, t) for p, lg, t in stored if lg == lang and p not in archive.mpositions]
        near = _near(np.array([t for _, t in lacking], dtype=np.float64), others_batch)
        positions += [p for (p, _), n in zip(lacking, near, strict=True) if n]
    return sorted(rows), sorted(positions)
