"""Sentence alignment evidence for rewritten copies (pure but for the injected embedder).

A rewrite of one article restates the original sentence by sentence, in the original's
order, while changing almost every word sequence; an independent report of the same
event tells the facts in its own order and adds its own.  We split both texts into
sentences, embed them (only for candidate pairs that already look alike, see
triage/dedup.py), and score the best *monotone* alignment: matched sentence pairs must
keep their order in both texts (dynamic programming, like a sequence alignment), each
pair counts its cosine if at least ``SENT_MATCH``, and the sum is divided by the
shorter text's sentence count.  A text that follows another's structure sentence by
sentence scores near its share of restated sentences; reordered or new material scores
little.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from core.text import sentences_of

_WORD_RE = re.compile(r"\w+")
# Han, kana and hangul: no spaces between words; two characters count as one word.
_CJK_RE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")
# Shorter pieces are menus, bylines, captions and dates, not statements of the article.
MIN_SENT_WORDS = 6
# Sentences kept per article (from the top): bounds embedding cost; 12 gives the same news/dev and
# ecbplus-dev copies and stories as 24 with a quarter fewer sentences embedded (docs/dedup.md).
MAX_SENTENCES = 12
# Cosine (all-MiniLM-L6-v2) at which two sentences state the same thing.  news/dev:
# restated sentences of rewrites score 0.6–0.9; unrelated sentences of one event's
# reports mostly score below 0.6.
SENT_MATCH = 0.6

SentenceEmbedder = Callable[[list[str]], NDArray[np.float32]]


def split_sentences(title: str, text: str) -> tuple[str, ...]:
    """The statement-like sentences of title + text, in order (at most MAX_SENTENCES).  CJK text
    is cut at 。！？ too (a Japanese translation must have sentences to align, triage/crosslingual.py)."""
    out: list[str] = []
    for s in sentences_of(f"{title}\n{text}", cjk_stops=True):
        cjk = len(_CJK_RE.findall(s))
        words = len(_WORD_RE.findall(_CJK_RE.sub(" ", s))) if cjk else len(_WORD_RE.findall(s))
        if words + cjk // 2 >= MIN_SENT_WORDS:
            out.append(s)
            if len(out) >= MAX_SENTENCES:
                break
    return tuple(out)


def monotone_alignment(a: NDArray[np.float32], b: NDArray[np.float32], match: float = SENT_MATCH) -> float:
    """Best order-keeping alignment of two sentence-vector sequences (unit rows), as the
    sum of matched cosines over the shorter sequence's length (0..1)."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    sims = np.asarray(a, dtype=np.float32) @ np.asarray(b, dtype=np.float32).T
    gain = np.where(sims >= match, sims, 0.0).astype(np.float64)
    n, m = gain.shape
    prev = np.zeros(m + 1)
    for i in range(n):
        cur = np.zeros(m + 1)
        for j in range(m):
            cur[j + 1] = max(prev[j + 1], cur[j], prev[j] + gain[i, j])
        prev = cur
    return float(prev[m] / min(n, m))


class SentenceVectors:
    """Sentence vectors per article url, embedded on first need (one batch per call)."""

    def __init__(self, embed: SentenceEmbedder) -> None:
        self.embed = embed
        self._vecs: dict[str, NDArray[np.float32]] = {}

    def get_many(self, items: list[tuple[str, tuple[str, ...]]]) -> list[NDArray[np.float32]]:
        """Vectors for each (url, sentences), embedding the missing ones in one batch."""
        missing = [(u, s) for u, s in dict(items).items() if u not in self._vecs and s]
        if missing:
            flat = [x for _, s in missing for x in s]
            vecs = np.asarray(self.embed(flat), dtype=np.float32)
            start = 0
            for u, s in missing:
                self._vecs[u] = vecs[start : start + len(s)]
                start += len(s)
        empty = np.zeros((0, 1), dtype=np.float32)
        return [self._vecs.get(u, empty) for u, _ in items]
