"""Extraction in a worker process, for ``IngestPlan.extract_ahead`` (off by default).

trafilatura and the metadata parsers are Python-heavy and hold the GIL; in a second
*thread* extraction fights the model's Python glue for it (300 real pages on 2 cores:
embed 17.3 s + extract 6.8 s one after the other, 35.0 s in two threads).  With
``extract_ahead`` the ingest extracts batch k+1 in one worker *process* while batch k is
embedded, deduplicated and scored in the main one (flows/batches.py).  On the 2-core
bench machine that oversubscribed torch's two threads and lost (300 pages: 46.0 s
against 39.5 s; 600 pages: ratio to the naive reference 0.58 against 0.94 without).  The
model now gets only the cores the worker leaves (``model_threads_beside_workers``, restored
after the run), and it still does not win on 2 cores, because the model's own speed scales
with its threads (300 texts: 14.3 s on one, 7.8 s on two; 600 pages 60.1 / 61.1 s against
69.2 / 60.2 s without, docs/benchmarks.md), so it is for machines with cores to spare.

The worker is started once per process (``spawn``: no fork of a process that already
runs torch and Prefect threads) and warmed with the extraction imports while the first
batch is fetched.  A worker that dies (a crash in a C parser) is replaced, and the batch
is extracted in this process instead: extraction results never depend on where it ran.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from reewatch.records import Article, NoArticle, Page

T = TypeVar("T")
R = TypeVar("R")

# One worker: with 2 cores, one extracting process beside torch's two intra-op threads
# keeps both cores busy without starving the model (bench/e2e.py, docs/benchmarks.md).
EXTRACT_WORKERS = 1

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_fallbacks = 0
_in_worker = 0


def model_threads_beside_workers() -> int:
    """Threads left for the model's matrix products while the extraction worker runs."""
    return max(1, (os.cpu_count() or 1) - EXTRACT_WORKERS)


def _warm() -> bool:
    import extract.article  # noqa: F401  (trafilatura, lxml, htmldate: ~2 s of imports)

    return True


def pool() -> ProcessPoolExecutor:
    """The process's extraction worker pool (started on first use)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(EXTRACT_WORKERS, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def warm_up() -> None:
    """Start the worker and its imports now (returns at once)."""
    try:
        pool().submit(_warm)
    except (BrokenProcessPool, RuntimeError):
        _discard()


def _discard() -> None:
    global _pool
    with _lock:
        old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=False, cancel_futures=True)


def worker_batches() -> int:
    """Batches this process had extracted by the worker process."""
    return _in_worker


def fallbacks() -> int:
    """Batches extracted in this process because the worker had died."""
    return _fallbacks


def run_in_worker(fn: Callable[[T], R], arg: T) -> R:
    """``fn(arg)`` in the worker process (``fn`` importable, ``arg`` picklable); here if the worker died."""
    global _fallbacks, _in_worker
    try:
        out = pool().submit(fn, arg).result()
        _in_worker += 1
        return out
    except BrokenProcessPool:
        _discard()
        _fallbacks += 1
        return fn(arg)


def article_url(page: Page) -> str:
    """The URL an article is stored under: the publisher's, when a Google News redirect led there."""
    from extract.gnews import is_redirect_link

    return page.final_url if is_redirect_link(page.url) and page.final_url != page.url else page.url


def extract_pages(pages: list[Page], keep_raw_html: bool) -> list[Article | NoArticle]:
    """Extract a batch of pages in this process."""
    from extract.article import extract_article

    return [
        extract_article(
            p.html, url=article_url(p), source=p.source, fetched_at=p.fetched_at, keep_raw_html=keep_raw_html,
            title_hint=p.title_hint, published_hint=p.published_hint,
        )
        for p in pages
    ]


def _extract_args(args: tuple[list[Page], bool]) -> list[Article | NoArticle]:
    return extract_pages(*args)


def extract_in_worker(pages: list[Page], keep_raw_html: bool) -> list[Article | NoArticle]:
    """Extract a batch of pages in the worker process (the same results as ``extract_pages``)."""
    return run_in_worker(_extract_args, (pages, keep_raw_html)) if pages else []
