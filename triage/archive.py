"""What dedup and story clustering know of already-stored articles (pure, in memory).

The store loads an ``Archive`` for a time window; triage adds each new article to it
as it is decided, so articles inside one batch are compared with each other too.

Vectors live in a usearch index quantised to int8 (384 bytes per 384-d vector plus the
HNSW graph), so a million stored embeddings fit in well under 1 GB and a query costs
about the same at 10k as at 1M (see bench/dedup_scale.py and docs/dedup.md).
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

# ONNX Runtime (the model runtime, triage/onnx_encoder.py) must be loaded before usearch: loaded
# after it, it dies (onnxruntime >= 1.23: segmentation fault at import) or misreads models (1.22:
# "INVALID_GRAPH"); docs/benchmarks.md.
with suppress(ImportError):
    import onnxruntime  # noqa: F401
from usearch.index import Index

from triage.events import KeyStats
from triage.lexical import DocFreq, TermVector
from triage.minhash import Signature

# Below this many entries the index is searched exhaustively (exact and deterministic);
# above it HNSW is used (approximate, ~constant cost per query). 20k exact searches of
# int8 vectors cost ~1 ms, so nothing is lost by being exact while the archive is small.
EXACT_BELOW = 20_000
# Vector storage: int8 keeps cosine within ±0.01 of float32 for unit MiniLM vectors.
INDEX_DTYPE = "i8"


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """A stored (or just-decided) article as dedup sees it."""

    url: str
    canonical_url: str
    content_hash: str
    story_id: str
    duplicate_of: str | None
    first_seen_at: datetime
    published_at: datetime | None
    text_len: int
    signature: Signature | None = None
    event_keys: frozenset[str] = field(default_factory=frozenset)
    terms: TermVector | None = None
    # Statement sentences of title + text (triage/align.py), for the sentence alignment
    # of rewrites; empty when not kept (then that evidence is skipped for this entry).
    sentences: tuple[str, ...] = ()
    # ISO 639-1 language (declared or guessed, triage/langs.py); None when unknown.
    lang: str | None = None

    @property
    def root(self) -> str:
        """The url of the original this entry stands for (itself unless a copy)."""
        return self.duplicate_of or self.url

    @property
    def when(self) -> datetime:
        """When the article appeared: its publication time, else when we first saw it."""
        return self.published_at or self.first_seen_at


class Archive:
    """Vector index plus exact-key maps and event-key statistics."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.entries: list[ArchiveEntry] = []
        self.index = Index(ndim=dim, metric="cos", dtype=INDEX_DTYPE)
        self.by_canonical: dict[str, ArchiveEntry] = {}
        self.by_url: dict[str, ArchiveEntry] = {}
        self.by_hash: dict[str, ArchiveEntry] = {}
        self.key_stats = KeyStats()
        self.doc_freq = DocFreq()
        # Multilingual vectors (triage/crosslingual.py), for the entries that have one: a second
        # index whose keys are positions in ``entries``; created with the first such vector.
        self.mindex: Index | None = None
        self.mpositions: set[int] = set()
        self.langs: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: ArchiveEntry, vec: NDArray[np.float32]) -> None:
        self.add_many([entry], np.asarray(vec, dtype=np.float32).reshape(1, -1))

    def add_many(self, entries: list[ArchiveEntry], vecs: NDArray[np.float32]) -> None:
        """Add entries with their vectors (one row each), in order."""
        if not entries:
            return
        start = len(self.entries)
        keys = np.arange(start, start + len(entries), dtype=np.uint64)
        # one thread while small (deterministic graph), all cores for bulk loads beyond that
        threads = 1 if start + len(entries) <= EXACT_BELOW else 0
        self.index.add(keys, np.asarray(vecs, dtype=np.float32).reshape(len(entries), self.dim), threads=threads)
        self._register(entries)

    def adopt_index(self, index: Index, entries: list[ArchiveEntry]) -> None:
        """Take over an already built (e.g. saved and restored) index whose keys 0..n-1
        are ``entries`` in order; the archive must be empty."""
        if self.entries or len(index) != len(entries):
            raise ValueError("adopt_index needs an empty archive and one entry per indexed vector")
        self.index = index
        self._register(entries)

    def _register(self, entries: list[ArchiveEntry]) -> None:
        for e in entries:
            self.entries.append(e)
            self.by_canonical.setdefault(e.canonical_url, e)
            self.by_url.setdefault(e.url, e)
            self.by_hash.setdefault(e.content_hash, e)
            self.key_stats.add(e.event_keys)
            if e.lang:
                self.langs[e.lang] += 1
            if e.terms is not None:
                self.doc_freq.add(e.terms)

    def nearest(self, vec: NDArray[np.float32], k: int = 10) -> list[tuple[ArchiveEntry, float]]:
        """The k most similar entries by cosine, most similar first (ties by age)."""
        if not self.entries:
            return []
        k = min(k, len(self.entries))
        m = self.index.search(np.asarray(vec, dtype=np.float32), k, exact=len(self.entries) < EXACT_BELOW, threads=1)
        hits = [(int(key), 1.0 - float(d)) for key, d in zip(m.keys, m.distances, strict=True)]
        hits.sort(key=lambda h: (-round(h[1], 6), h[0]))
        return [(self.entries[i], s) for i, s in hits]

    def add_multilingual(self, position: int, vec: NDArray[np.float32]) -> None:
        """Give ``entries[position]`` its multilingual vector."""
        v = np.asarray(vec, dtype=np.float32).reshape(1, -1)
        if self.mindex is None:
            self.mindex = Index(ndim=v.shape[1], metric="cos", dtype=INDEX_DTYPE)
        if position in self.mpositions:
            return
        self.mindex.add(np.array([position], dtype=np.uint64), v, threads=1)
        self.mpositions.add(position)

    def nearest_multilingual(self, vec: NDArray[np.float32], k: int = 10) -> list[tuple[ArchiveEntry, float]]:
        """The k entries with the most similar multilingual vector, most similar first."""
        if self.mindex is None or len(self.mindex) == 0:
            return []
        k = min(k, len(self.mindex))
        m = self.mindex.search(np.asarray(vec, dtype=np.float32), k, exact=len(self.mindex) < EXACT_BELOW, threads=1)
        hits = [(int(key), 1.0 - float(d)) for key, d in zip(m.keys, m.distances, strict=True)]
        hits.sort(key=lambda h: (-round(h[1], 6), h[0]))
        return [(self.entries[i], s) for i, s in hits]

    def memory_bytes(self) -> int:
        """Bytes held by the vector index (the part that grows with the archive)."""
        return int(self.index.memory_usage) + (int(self.mindex.memory_usage) if self.mindex is not None else 0)
