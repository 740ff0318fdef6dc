"""Extraction in worker processes: each batch shared with them (``IngestPlan.extract_workers``,
on by default), or the next batch extracted ahead (``IngestPlan.extract_ahead``, off).

Shared (the default): a batch's pages are split into ``workers + 1`` shares by HTML size (this
process's share lighter, ``MAIN_SHARE_WEIGHT``); the workers extract theirs while this process
extracts its own, and the results come back
in input order, the same as ``extract_pages``.  Extraction and the model then take turns,
each with every core: extraction is single-threaded Python, the model's matrix products use
all cores (on 2 cores, one worker cuts the bench's extraction time by a third or more:
docs/benchmarks.md).

The workers' shares, each in ``PARTS_PER_WORKER`` parts, are handed over as soon as a batch is
fetched (``submit_shares``, from the ingest's fetch thread), while this process still triages the
batch before.  The workers run at idle priority (``SCHED_IDLE``), so they take only the cycles
nobody else wants: a core that the triage's single-threaded steps (dedup decisions, scoring) and
the commits leave free.  The model's matrix products, which use every core, are not slowed.  When
this process has extracted its own share it takes back the parts no worker has started, and
extracts a started part again if the worker is late (an idle-priority worker on a busy machine
may get no core): docs/benchmarks.md, "the extraction worker fills the idle cycles".

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
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from typing import TypeVar

from core.records import Article, ExtractCounts, NoArticle, Page

T = TypeVar("T")
R = TypeVar("R")

# A batch's extraction results (in input order) and where it ran.
Extracted = tuple[list[Article | NoArticle], ExtractCounts]
IN_WORKER = ExtractCounts(worker_shares=1)
HERE_AFTER_DEATH = ExtractCounts(fallback_shares=1)
TAKEN_BACK = ExtractCounts(taken_back=1)

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
# A worker's share goes over in this many parts, so that this process can take back the parts no
# worker has started when it is done with its own (an idle-priority worker on a busy machine may
# get no core for a while).  A part of the bench's 64-page batches is ~10 pages, ~0.3 s.
PARTS_PER_WORKER = 4

_lock = threading.Lock()
_main_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0
# Batches whose workers' parts were handed over ahead (``submit_shares``), by ``_batch_key``:
# (keep_raw_html, this process's share, the workers' parts, their futures).  At most MAX_AHEAD
# are kept (a run that stops between a batch's fetch and its extraction leaves its entry behind).
_Ahead = tuple[bool, list[int], list[list[int]], list[Future[list[Article | NoArticle]]]]
_ahead: dict[tuple[tuple[str, str, int], ...], _Ahead] = {}
MAX_AHEAD = 4


def auto_workers() -> int:
    """Extraction workers beside this process by default: one per further core (at most
    MAX_AUTO_WORKERS); none on a single core."""
    return max(0, min(MAX_AUTO_WORKERS, (os.cpu_count() or 1) - 1))


def model_threads_beside_workers() -> int:
    """Threads left for the model's matrix products while the extraction worker runs."""
    return max(1, (os.cpu_count() or 1) - EXTRACT_WORKERS)


def idle_priority() -> None:
    """Run this process at idle priority: SCHED_IDLE (Linux), else nice 19.  Lowering one's own
    priority needs no privilege; where neither is possible the worker runs at normal priority."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with suppress(AttributeError, OSError):
            os.nice(19)


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
            _pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=idle_priority)
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


def _collect(future: Future[R], fn: Callable[[T], R], arg: T, wait: float | None = None) -> tuple[R, ExtractCounts]:
    """The worker's ``fn(arg)`` from ``future``, or ``fn(arg)`` run here if the worker died, or
    (``wait``: seconds) if it has not delivered by then (its late result is dropped)."""
    try:
        return future.result(timeout=wait), IN_WORKER
    except BrokenProcessPool:
        _discard()
        return fn(arg), HERE_AFTER_DEATH
    except CancelledError:  # handed over ahead to a pool since replaced (``pool`` of another size)
        return fn(arg), HERE_AFTER_DEATH
    except TimeoutError:
        return fn(arg), TAKEN_BACK


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


def _batch_key(pages: list[Page]) -> tuple[tuple[str, str, int], ...]:
    return tuple((p.stored_url, p.fetched_at.isoformat(), len(p.html)) for p in pages)


def split_parts(sizes: list[int], workers: int) -> tuple[list[int], list[list[int]]]:
    """This process's share of a batch and the workers' parts (indices into ``sizes``, the pages'
    HTML sizes): ``workers + 1`` shares by size (``MAIN_SHARE_WEIGHT``), each worker's share cut
    into ``PARTS_PER_WORKER`` parts of similar size.  Pure."""
    shares = split_shares(sizes, workers + 1, MAIN_SHARE_WEIGHT)
    parts = [
        [share[j] for j in part]
        for share in shares[1:]
        for part in split_shares([sizes[i] for i in share], PARTS_PER_WORKER)
        if part
    ]
    return shares[0], parts


def _hand_over(pages: list[Page], keep_raw_html: bool, workers: int) -> _Ahead:
    """Submit the workers' parts of a batch (raises if the pool cannot take them)."""
    mine, parts = split_parts([len(p.html) for p in pages], workers)
    p = pool(workers)
    futures = [_submit(p, _extract_args, ([pages[i] for i in part], keep_raw_html)) for part in parts]
    return keep_raw_html, mine, parts, futures


def submit_shares(pages: list[Page], keep_raw_html: bool, workers: int) -> bool:
    """Hand the workers their parts of a batch now; ``extract_shared`` on the same pages later
    extracts this process's share and collects theirs.  Returns whether anything was handed over
    (not for a batch that ``extract_shared`` keeps here, nor when the pool cannot start)."""
    if workers < 1 or len(pages) < MIN_SHARED_PAGES:
        return False
    try:
        ahead = _hand_over(pages, keep_raw_html, workers)
    except (BrokenProcessPool, RuntimeError):
        _discard()
        return False
    with _lock:
        _ahead[_batch_key(pages)] = ahead
        evicted = [_ahead.pop(next(iter(_ahead))) for _ in range(len(_ahead) - MAX_AHEAD)]
    _cancel(evicted)
    return True


def _cancel(entries: list[_Ahead]) -> None:
    """Cancel the parts of these hand-overs that no worker has started (the others just finish)."""
    for *_, futures in entries:
        for f in futures:
            f.cancel()


def submitted_batches() -> int:
    """Batches handed over by ``submit_shares`` and not yet extracted."""
    with _lock:
        return len(_ahead)


def drop_submitted() -> None:
    """Forget the batches handed over but never extracted (end of a run)."""
    with _lock:
        stale = list(_ahead.values())
        _ahead.clear()
    _cancel(stale)


def extract_shared(pages: list[Page], keep_raw_html: bool, workers: int) -> Extracted:
    """Extract a batch with ``workers`` worker processes beside this one (the same results, in the
    same order, as ``extract_pages``).  Parts handed over earlier by ``submit_shares`` for these
    pages are collected, not submitted again; once its own share is done, this process takes back
    the parts no worker has started; a worker that dies has its parts extracted here."""
    if workers < 1 or len(pages) < MIN_SHARED_PAGES:
        return extract_pages(pages, keep_raw_html), ExtractCounts()
    with _lock:
        ahead = _ahead.pop(_batch_key(pages), None)
    if ahead is None or ahead[0] != keep_raw_html:
        try:
            ahead = _hand_over(pages, keep_raw_html, workers)
        except (BrokenProcessPool, RuntimeError):
            _discard()
            return extract_pages(pages, keep_raw_html), HERE_AFTER_DEATH
    _, mine, parts, futures = ahead
    t0 = time.perf_counter()
    out: dict[int, Article | NoArticle] = dict(zip(mine, extract_pages([pages[i] for i in mine], keep_raw_html),
                                                   strict=True))
    # A part a worker has started is waited for as long as this process took for its own share
    # (a part is smaller), then extracted here too: an idle-priority worker on a busy machine
    # may get no core for minutes.
    wait = time.perf_counter() - t0
    counts = ExtractCounts()
    # the workers take parts from the first: take back from the last, each one none has started
    taken = {k for k in reversed(range(len(parts))) if futures[k].cancel()}
    for k in sorted(taken, reverse=True):
        out.update(zip(parts[k], _extract_args(([pages[i] for i in parts[k]], keep_raw_html)), strict=True))
        counts += TAKEN_BACK
    for k in range(len(parts)):
        if k not in taken:
            res, where = _collect(futures[k], _extract_args, ([pages[i] for i in parts[k]], keep_raw_html), wait)
            out.update(zip(parts[k], res, strict=True))
            counts += where
    return [out[i] for i in range(len(pages))], counts
