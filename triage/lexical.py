"""Content-word evidence for paraphrased copies (pure).

A rewrite of one article keeps its facts — the same names, figures and rare content
words — while changing almost every 5-word sequence (so MinHash containment misses it).
Independent reports of the same event share the common vocabulary of the event but
pick different details.  We compare TF-IDF vectors of content words (stopwords and
page furniture dropped, numbers kept) whose document frequencies come from the archive
itself, so nothing is fitted to labelled data and a word every article uses counts
for nothing.

Per article we keep the ``TERMS_KEPT`` most frequent content terms as 32-bit CRC hashes
with their counts (~200 bytes); document frequencies are counted in a fixed array of
``DF_BUCKETS`` hashed buckets, so memory is bounded however large the archive grows.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.text import tokens
from triage.events import _COMMON

# Content terms kept per article (by count, ties by term): the body of a news excerpt
# has 80–300 distinct content words; the 64 most frequent carry the names, figures and
# topic words a rewrite repeats.
TERMS_KEPT = 64
# Hashed document-frequency buckets (4 MB of uint32): collisions among ~1M distinct
# terms shift a rare term's IDF by a fraction of a document on average.
DF_BUCKETS = 1 << 20
_STOP_WORDS = """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on
    once only or other our out over own same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which while who whom why
    will with would you your said says say told year years per cent percent one two three new would could
    will like s t don re ve ll m d via amid since within without across around among
"""
_STOP = frozenset(_STOP_WORDS.split()) | _COMMON
# A word shorter than this (after dropping stopwords) is too generic to tell articles apart.
MIN_WORD_CHARS = 3


@dataclass(frozen=True, slots=True)
class TermVector:
    """An article's most frequent content terms (hashes, sorted) and their counts."""

    terms: NDArray[np.uint32]
    counts: NDArray[np.uint16]


EMPTY_TERMS = TermVector(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint16))


def content_terms(title: str, text: str) -> TermVector:
    """Content words (no stopwords, ≥ MIN_WORD_CHARS) and numbers of ≥ 2 digits."""
    counts: Counter[str] = Counter()
    for w in tokens(f"{title}\n{text}"):
        if w.isdigit():
            if len(w) >= 2:
                counts[w] += 1
        elif len(w) >= MIN_WORD_CHARS and w not in _STOP:
            counts[w] += 1
    if not counts:
        return EMPTY_TERMS
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TERMS_KEPT]
    merged: Counter[int] = Counter()
    for w, n in top:  # a CRC collision inside one article merges the two terms
        merged[zlib.crc32(w.encode("utf-8"))] += n
    by_hash = sorted(merged.items())
    return TermVector(
        np.fromiter((h for h, _ in by_hash), dtype=np.uint32, count=len(by_hash)),
        np.fromiter((min(n, 0xFFFF) for _, n in by_hash), dtype=np.uint16, count=len(by_hash)),
    )


class DocFreq:
    """Hashed document frequencies of content terms over the archive."""

    def __init__(self) -> None:
        self.df = np.zeros(DF_BUCKETS, dtype=np.uint32)
        self.n = 0

    def add(self, tv: TermVector) -> None:
        np.add.at(self.df, tv.terms % DF_BUCKETS, 1)
        self.n += 1

    def idf(self, terms: NDArray[np.uint32]) -> NDArray[np.float64]:
        """Smoothed IDF; a term in every article weighs ~0."""
        df = self.df[terms % DF_BUCKETS].astype(np.float64)
        return np.log((self.n + 2) / (df + 1))


def _weights(tv: TermVector, df: DocFreq) -> NDArray[np.float64]:
    w = (1.0 + np.log(tv.counts.astype(np.float64))) * df.idf(tv.terms)
    norm = float(np.linalg.norm(w))
    return w / norm if norm > 0 else w


def tfidf_cosine(a: TermVector, b: TermVector, df: DocFreq) -> float:
    """Cosine of the two articles' TF-IDF content-term vectors (0..1)."""
    if len(a.terms) == 0 or len(b.terms) == 0:
        return 0.0
    _, ia, ib = np.intersect1d(a.terms, b.terms, assume_unique=True, return_indices=True)
    if len(ia) == 0:
        return 0.0
    return float(np.dot(_weights(a, df)[ia], _weights(b, df)[ib]))
