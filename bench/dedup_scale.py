"""Dedup cost per new article against a 10k, 100k and 1M archive (synthetic vectors).

    .venv/bin/python bench/dedup_scale.py [--sizes 10000,100000,1000000] [--batch 1000] [--cache DIR]

Stored articles get clustered synthetic unit vectors (384-d, like MiniLM); a batch of
new articles is decided with the real ``dedup_batch`` (MinHash, content terms, event
keys, neighbour search, story choice).  With ``--cache DIR`` each archive's int8 usearch
index is saved there after its first build and restored on later runs (building 1M
HNSW entries takes minutes on a small machine; restoring takes seconds).  Prints JSON:
ms per new article at each size, each size's ratio to the first, the vector index's memory,
the build rate (bulk ``Index.add(threads=0)`` in chunks, then ``Archive.adopt_index``) and
the process's resident memory while that archive was held.  Not run in tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np

from core.records import Article
from triage.archive import INDEX_DTYPE, Archive, ArchiveEntry
from triage.dedup import dedup_batch

# isort: split
# usearch after triage.archive, which loads onnxruntime first (see there)
from usearch.index import Index

DIM = 384
SEEN = datetime(2025, 6, 9, tzinfo=UTC)
ADD_CHUNK = 50_000
# usearch's default HNSW build breadth, which triage.archive.Archive's index uses.
USEARCH_EXPANSION_ADD = 128


def _vectors(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    v = centres[rng.integers(0, len(centres), n)] + 0.35 * rng.normal(size=(n, DIM)).astype(np.float32)
    out: np.ndarray = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    return out


def _entries(n: int) -> list[ArchiveEntry]:
    out = []
    for i in range(n):
        url = f"https://s.example/{i}"  # one string for url and canonical_url, as a real load shares them
        out.append(ArchiveEntry(url, url, f"h{i}", f"s-{i // 4}", None, SEEN, SEEN, 800))
    return out


def _index(n: int, seed: int, centres: np.ndarray, cache: Path | None, expansion_add: int | None) -> Index:
    path = cache / f"stored-{n}-{seed}-{expansion_add}.usearch" if cache is not None else None
    if path is not None and path.is_file():
        restored = Index.restore(str(path))
        if restored is not None and len(restored) == n:
            return restored
    rng = np.random.default_rng(seed)
    index = Index(ndim=DIM, metric="cos", dtype=INDEX_DTYPE, expansion_add=expansion_add or USEARCH_EXPANSION_ADD)
    t = time.perf_counter()
    for start in range(0, n, ADD_CHUNK):
        m = min(ADD_CHUNK, n - start)
        index.add(np.arange(start, start + m, dtype=np.uint64), _vectors(rng, m, centres), threads=0)
        if n >= 10 * ADD_CHUNK:
            print(f"  built {start + m} of {n} in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
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
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


# Timed chunks of the new batch (after 10 warm-up articles).
CHUNKS = 10


def _chunk_bounds(start: int, stop: int, chunks: int) -> list[tuple[int, int]]:
    edges = np.linspace(start, stop, chunks + 1).astype(int)
    return [(int(a), int(b)) for a, b in pairwise(edges) if b > a]


def measure(size: int, batch: int, seed: int, cache: Path | None, expansion_add: int | None = None) -> dict[str, float]:
    centres = np.random.default_rng(seed).normal(size=(max(16, size // 8), DIM)).astype(np.float32)
    rss0 = _current_rss_mb()
    t0 = time.perf_counter()
    index = _index(size, seed, centres, cache, expansion_add)
    built = time.perf_counter() - t0
    arch = Archive(DIM)
    arch.adopt_index(index, _entries(size))
    arts, vecs = new_batch(np.random.default_rng(seed + 1000), batch, centres)
    dedup_batch(arts[:10], vecs[:10], arch)  # warm caches (first search of a restored index)
    # The rest in CHUNKS consecutive batches, each timed (wall and CPU): one batch timed once swung
    # 3.1-4.4 ms per article at 1M between runs on the shared machine; the median chunk is steadier.
    walls: list[float] = []
    cpus: list[float] = []
    t1 = time.perf_counter()
    for lo, hi in _chunk_bounds(10, batch, CHUNKS):
        w, c = time.perf_counter(), time.process_time()
        dedup_batch(arts[lo:hi], vecs[lo:hi], arch)
        walls.append(1000 * (time.perf_counter() - w) / (hi - lo))
        cpus.append(1000 * (time.process_time() - c) / (hi - lo))
    per = 1000 * (time.perf_counter() - t1) / (batch - 10)
    return {"stored": size, "expansion_add": expansion_add or USEARCH_EXPANSION_ADD, "index_build_or_load_s": round(built, 1),
            "inserts_per_s": round(size / max(built, 1e-9)), "ms_per_article": round(per, 3),
            "ms_per_article_median_chunk": round(float(np.median(walls)), 3),
            "cpu_ms_per_article_median_chunk": round(float(np.median(cpus)), 3),
            "index_mb": round(arch.memory_bytes() / 2**20, 1),
            "rss_held_mb": round(_current_rss_mb(), 1), "rss_growth_mb": round(_current_rss_mb() - rss0, 1),
            "max_rss_mb": round(_rss_mb(), 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000", help="stored archive sizes, comma-separated")
    ap.add_argument("--batch", type=int, default=1_000)
    ap.add_argument("--cache", type=Path, default=None, help="directory to save/restore the built indexes")
    ap.add_argument("--expansion-add", type=int, default=None,
                    help="HNSW build breadth (usearch default 128, as triage.archive.Archive builds); lower builds "
                         "faster, with a less exact graph")
    a = ap.parse_args()
    points = []
    for size in (int(x) for x in a.sizes.split(",")):
        points.append(measure(size, a.batch, 1, a.cache, a.expansion_add))  # one archive held at a time
        print(json.dumps(points[-1]), flush=True)
    def ratios(key: str) -> list[float]:
        return [round(p[key] / points[0][key], 2) for p in points]

    print(json.dumps({"points": points, "ratio_to_first": ratios("ms_per_article"),
                      "ratio_to_first_median_chunk": ratios("ms_per_article_median_chunk"),
                      "cpu_ratio_to_first_median_chunk": ratios("cpu_ms_per_article_median_chunk")}, indent=2))


if __name__ == "__main__":
    main()
