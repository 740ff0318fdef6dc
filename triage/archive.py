"""What dedup and story clustering know of already-stored articles (pure, in memory).

The store loads an ``Archive`` for a time window; triage adds each new article to it
as it is decided, so articles inside one batch are compared with each other too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray


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


class Archive:
    """Brute-force cosine index over unit vectors plus exact-key maps."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.entries: list[ArchiveEntry] = []
        self._vecs: NDArray[np.float32] = np.zeros((0, dim), dtype=np.float32)
        self._pending: list[NDArray[np.float32]] = []
        self.by_canonical: dict[str, ArchiveEntry] = {}
        self.by_hash: dict[str, ArchiveEntry] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: ArchiveEntry, vec: NDArray[np.float32]) -> None:
        self.entries.append(entry)
        self._pending.append(np.asarray(vec, dtype=np.float32).reshape(1, -1))
        self.by_canonical.setdefault(entry.canonical_url, entry)
        self.by_hash.setdefault(entry.content_hash, entry)

    def _matrix(self) -> NDArray[np.float32]:
        if self._pending:
            self._vecs = np.vstack([self._vecs, *self._pending])
            self._pending = []
        return self._vecs

    def nearest(self, vec: NDArray[np.float32], k: int = 10) -> list[tuple[ArchiveEntry, float]]:
        """The k most similar entries, most similar first."""
        mat = self._matrix()
        if mat.shape[0] == 0:
            return []
        sims = mat @ np.asarray(vec, dtype=np.float32)
        k = min(k, sims.shape[0])
        idx = np.argpartition(-sims, k - 1)[:k]
        idx = idx[np.argsort(-sims[idx])]
        return [(self.entries[i], float(sims[i])) for i in idx]
