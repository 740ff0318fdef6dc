"""Dedup cost per new article against a 10k and a 1M archive (synthetic vectors).

    .venv/bin/python bench/dedup_scale.py [--small 10000] [--large 1000000] [--batch 1000] [--cache DIR]

Stored articles get clustered synthetic unit vectors (384-d, like MiniLM); a batch of
new articles is decided with the real ``dedup_batch`` (MinHash, content terms, event
keys, neighbour search, story choice).  With ``--cache DIR`` each archive's int8 usearch
index is saved there after its first build and restored on later runs (building 1M
HNSW entries takes minutes on a small machine; restoring takes seconds).  Prints JSON:
ms per new article at each size, their ratio, the vector index's memory and the RSS
growth while the large archive was held.  Not run in tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from usearch.index import Index

from reewatch.records import Article
from triage.archive import INDEX_DTYPE, Archive, ArchiveEntry
from triage.dedup import dedup_batch

DIM = 384
SEEN = datetime(2025, 6, 9, tzinfo=UTC)
ADD_CHUNK = 50_000


def _vectors(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    v = centres[rng.integers(0, len(centres), n)] + 0.35 * rng.normal(size=(n, DIM)).astype(np.float32)
    out: np.ndarray = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    return out


def _entries(n: int) -> list[ArchiveEntry]:
    return [
        ArchiveEntry(f"https://s.example/{i}", f"https://s.example/{i}", f"h{i}", f"s-{i // 4}", None, SEEN, SEEN, 800)
        for i in range(n)
    ]


def _index(n: int, seed: int, centres: np.ndarray, cache: Path | None) -> Index:
    path = cache / f"stored-{n}-{seed}.usearch" if cache is not None else None
    if path is not None and path.is_file():
        restored = Index.restore(str(path))
        if restored is not None and len(restored) == n:
            return restored
    rng = np.random.default_rng(seed)
    index = Index(ndim=DIM, metric="cos", dtype=INDEX_DTYPE)
    for start in range(0, n, ADD_CHUNK):
        m = min(ADD_CHUNK, n - start)
        index.add(np.arange(start, start + m, dtype=np.uint64), _vectors(rng, m, centres), threads=0)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        index.save(str(path))
    return index


def new_batch(rng: np.random.Generator, n: int, centres: np.ndarray) -> tuple[list[Article], np.ndarray]:
    arts = [
        Article(url=f"https://n.example/{i}", canonical_url=f"https://n.example/{i}", title=f"Story {i} on {i % 97} tonnes",
                text=f"Company {i} said on day {i % 31} that exports of {i % 13} metals changed. " * 8,
                site="n.example", lang="en", published_at=SEEN, first_seen_at=SEEN, source="bench",
                content_hash=f"n{i}")
        for i in range(n)
    ]
    return arts, _vectors(rng, n, centres)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: int, batch: int, seed: int, cache: Path | None) -> dict[str, float]:
    centres = np.random.default_rng(seed).normal(size=(max(16, size // 8), DIM)).astype(np.float32)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    arch = Archive(DIM)
    arch.adopt_index(_index(size, seed, centres, cache), _entries(size))
    built = time.perf_counter() - t0
    arts, vecs = new_batch(np.random.default_rng(seed + 1000), batch, centres)
    dedup_batch(arts[:10], vecs[:10], arch)  # warm caches (first search of a restored index)
    t1 = time.perf_counter()
    dedup_batch(arts[10:], vecs[10:], arch)
    per = 1000 * (time.perf_counter() - t1) / (batch - 10)
    return {"stored": size, "build_or_load_s": round(built, 1), "ms_per_article": round(per, 3),
            "index_mb": round(arch.memory_bytes() / 2**20, 1),
            "max_rss_mb": round(_rss_mb(), 1), "rss_growth_mb": round(_rss_mb() - rss0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1_000)
    ap.add_argument("--cache", type=Path, default=None, help="directory to save/restore the built indexes")
    a = ap.parse_args()
    small = measure(a.small, a.batch, 1, a.cache)
    large = measure(a.large, a.batch, 2, a.cache)
    print(json.dumps({"small": small, "large": large,
                      "ratio": round(large["ms_per_article"] / small["ms_per_article"], 2)}, indent=2))


if __name__ == "__main__":
    main()
