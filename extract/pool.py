"""Extraction in worker processes: each batch shared with them (``IngestPlan.extract_workers``,
on by default), or the next batch extracted ahead (``IngestPlan.extract_ahead``, off).

Shared (the default): a batch's pages are split into ``workers + 1`` shares by HTML size (this
process's share lighter, ``MAIN_SHARE_WEIGHT``); the workers extract theirs while this process
extracts its own, and the results come back
in input order, the same as ``extract_pages``.  Extraction and the model then take turns,
each with every core: extraction is single-threaded Python, the model's matrix products use
all cores (on 2 cores, one worker cuts the bench's extraction time by a third or more:
docs/benchmarks.md).

Ahead (``extract_ahead``):

trafilatura and the metadata parsers are Python-heavy and hold the GIL; in a second
*thread* extraction fights the model's Python glue for it.  With ``extract_ahead`` the ingest
extracts batch k+1 in one worker *process* while batch k is embedded, deduplicated and scored
in the main one (pipeline/batches.py); the model gets only the cores the worker leaves
(``model_threads_beside_workers``, restored after the run).  The model's speed scales with its
threads, so on 2 cores this loses (docs/benchmarks.md): it is for machines with cores to spare.

The worker is started once per process (``spawn``: no fork of a process that already
runs torch and Prefect threads) and warmed with the extraction imports while the first
batch is fetched.  It is spawned without the calling script: ``spawn`` would otherwise import
that script again in the worker, and a script that calls ``ingest_flow`` at its top level (no
``if __name__ == "__main__":``) would run a second ingest with its own Prefect server in the
worker and hang (``_submit``).  A worker that dies (a crash in a C parser) is
replaced, and the batch is extracted in this process instead: extraction results never depend
on where it ran.  Where it ran is returned beside the results (``ExtractCounts``), for the run
summary, tests and benchmarks.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

from core.records import Article, ExtractCounts, NoArticle, Page

T = TypeVar("T")
R = TypeVar("R")

# A batch's extraction results (in input order) and where it ran.
Extracted = tuple[list[Article | NoArticle], ExtractCounts]
IN_WORKER = ExtractCounts(worker_shares=1)
HERE_AFTER_DEATH = ExtractCounts(fallback_shares=1)

# Workers for ``extract_ahead``: with 2 cores, one extracting process beside torch's intra-op
# threads (bench/e2e.py, docs/benchmarks.md).
EXTRACT_WORKERS = 1
# Most workers the default (``auto_workers``) starts: each holds the extraction imports (~40 MB
# after start) and the trees of its share; on the bench's pages a worker peaked at 135-175 MB.
MAX_AUTO_WORKERS = 3
# Batches smaller than this are extracted here alone: a few pages are not worth a round trip
# to the worker (a one-article run must not wait for a worker to start).
MIN_SHARED_PAGES = 8

# The main process's share of a batch, against 1 for each worker: besides extracting, it feeds
# the workers and runs the fetch and commit threads.  Set on the bench's 600 real pages, where
# equal shares left the worker idle at the end of each batch (docs/benchmarks.md).
MAIN_SHARE_WEIGHT = 0.6

_lock = threading.Lock()
_main_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def auto_workers() -> int:
    """Extraction workers beside this process by default: one per further core (at most
    MAX_AUTO_WORKERS); none on a single core."""
    return max(0, min(MAX_AUTO_WORKERS, (os.cpu_count() or 1) - 1))


def model_threads_beside_workers() -> int:
    """Threads left for the model's matrix products while the extraction worker runs."""
    return max(1, (os.cpu_count() or 1) - EXTRACT_WORKERS)


def _warm() -> bool:
    import extract.article  # noqa: F401  (trafilatura, lxml, htmldate: ~2 s of imports)

    return True


def pool(workers: int = EXTRACT_WORKERS) -> ProcessPoolExecutor:
    """The process's extraction worker pool of ``workers`` processes (started on first use,
    restarted when another size is asked for)."""
    global _pool, _pool_size
    with _lock:
        if _pool is not None and _pool_size != workers:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            _pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            _pool_size = workers
        return _pool


@contextmanager
def _without_main_script() -> Iterator[None]:
    """While held, ``__main__`` is an empty module, so a worker spawned meanwhile imports nothing of
    the calling script (``spawn`` re-imports the module it finds there; the workers only run
    functions of this package).  Held only around ``submit``, where the executor spawns its workers."""
    with _main_lock:
        script = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if script is not None:
                sys.modules["__main__"] = script


def _submit(executor: ProcessPoolExecutor, fn: Callable[..., R], *args: object) -> Future[R]:
    with _without_main_script():
        return executor.submit(fn, *args)


def warm_up(workers: int = EXTRACT_WORKERS) -> None:
    """Start the workers and their imports now (returns at once)."""
    try:
        p = pool(workers)
        for _ in range(workers):
            _submit(p, _warm)
    except (BrokenProcessPool, RuntimeError):
        _discard()


def worker_pids() -> list[int]:
    """Process ids of the running extraction workers (for peak-RSS accounting in bench/)."""
    with _lock:
        procs = getattr(_pool, "_processes", None) or {}
        return sorted(int(pid) for pid in procs)


def _discard() -> None:
    global _pool
    with _lock:
        old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=False, cancel_futures=True)


def _collect(future: Future[R], fn: Callable[[T], R], arg: T) -> tuple[R, ExtractCounts]:
    """The worker's ``fn(arg)`` from ``future``, or ``fn(arg)`` run here if the worker died."""
    try:
        return future.result(), IN_WORKER
    except BrokenProcessPool:
        _discard()
        return fn(arg), HERE_AFTER_DEATH


def run_in_worker(fn: Callable[[T], R], arg: T) -> tuple[R, ExtractCounts]:
    """``fn(arg)`` in the worker process (``fn`` importable, ``arg`` picklable), or here if the
    worker died; and which of the two it was."""
    return _collect(_submit(pool(), fn, arg), fn, arg)


def extract_pages(pages: list[Page], keep_raw_html: bool) -> list[Article | NoArticle]:
    """Extract a batch of pages in this process."""
    from extract.article import extract_article

    return [
        extract_article(
            p.html, url=p.stored_url, source=p.source, fetched_at=p.fetched_at, keep_raw_html=keep_raw_html,
            title_hint=p.title_hint, published_hint=p.published_hint,
        )
        for p in pages
    ]


def _extract_args(args: tuple[list[Page], bool]) -> list[Article | NoArticle]:
    return extract_pages(*args)


def extract_in_worker(pages: list[Page], keep_raw_html: bool) -> Extracted:
    """Extract a batch of pages in the worker process (the same results as ``extract_pages``)."""
    return run_in_worker(_extract_args, (pages, keep_raw_html)) if pages else ([], ExtractCounts())


def split_shares(sizes: list[int], n: int, first_weight: float = 1.0) -> list[list[int]]:
    """Indices 0..len(sizes)-1 in ``n`` shares whose total sizes are in proportion to their
    weights (the first share ``first_weight``, the others 1; largest first, each to the share
    lightest for its weight so far); each share in input order.  Pure."""
    shares: list[list[int]] = [[] for _ in range(max(1, n))]
    weights = [first_weight] + [1.0] * (len(shares) - 1)
    totals = [0] * len(shares)
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        k = min(range(len(shares)), key=lambda k: ((totals[k] + sizes[i]) / weights[k], k))
        shares[k].append(i)
        totals[k] += sizes[i]
    return [sorted(s) for s in shares]


def extract_shared(pages: list[Page], keep_raw_html: bool, workers: int) -> Extracted:
    """Extract a batch with ``workers`` worker processes beside this one (the same results, in the
    same order, as ``extract_pages``).  A worker that dies has its share extracted here."""
    if workers < 1 or len(pages) < MIN_SHARED_PAGES:
        return extract_pages(pages, keep_raw_html), ExtractCounts()
    shares = [s for s in split_shares([len(p.html) for p in pages], workers + 1, MAIN_SHARE_WEIGHT) if s]
    args = [([pages[i] for i in share], keep_raw_html) for share in shares]
    try:
        p = pool(workers)
        futures = [_submit(p, _extract_args, a) for a in args[1:]]
    except (BrokenProcessPool, RuntimeError):
        _discard()
        return extract_pages(pages, keep_raw_html), HERE_AFTER_DEATH
    # this process's share first, while the workers extract theirs
    mine = _extract_args(args[0])
    theirs = [_collect(f, _extract_args, a) for f, a in zip(futures, args[1:], strict=True)]
    out: dict[int, Article | NoArticle] = {}
    for share, res in zip(shares, [mine, *(r for r, _ in theirs)], strict=True):
        out.update(zip(share, res, strict=True))
    return [out[i] for i in range(len(pages))], sum((c for _, c in theirs), ExtractCounts())
