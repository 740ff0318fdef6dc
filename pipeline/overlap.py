"""Overlap the waits of an ingest run with its CPU work, without changing what it stores.

* ``Prefetch``: the next batch's pages are fetched in one background thread while the
  current batch is extracted, triaged and stored (the fetch is async I/O; its thread
  needs the GIL only to parse responses).  At most ``ahead`` batches wait fetched.
* ``OrderedWriter``: a batch's commit runs in one background thread while the next batch
  is extracted and triaged; each commit waits for the previous one, so batches are
  committed one at a time and in order, as without the overlap (crash safety: a batch is
  either fully stored or absent, and a kill leaves a prefix of the batches stored).

* ``below_normal_priority``: the run's CPU work (extraction, triage) runs in a thread one
  step below normal scheduling priority (the fetch thread too), started after the writer, so
  that the writer's commit window, which other processes wait on, is not slowed by the run's
  own CPU work, nor are queries on the same machine.

Extraction runs in that thread (``IngestPlan.extract_ahead`` moves it into the prefetch, in a
worker process: extract/pool.py, off by default on 2 cores).

Both run their callables in a copy of the caller's context, so Prefect tasks called from
them belong to the caller's flow run.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Batches fetched ahead of the one being worked on.  One keeps the fetch off the critical
# path (a 256-page loopback batch fetches in ~1 s against ~20 s of extract + triage,
# bench/e2e.py) and bounds the pages held in memory to two batches.
FETCH_AHEAD = 1
# The niceness of a run's CPU work and fetching (Linux, per thread).  Set on the e2e bench's
# 600 real pages: at 10 the commit windows held the file 2.4 s instead of 3.5 s per pass, no
# slower (docs/benchmarks.md, "Held share and priority"); raising niceness needs no privilege.
COMPUTE_NICE = 10


def _in_context(fn: Callable[..., R]) -> Callable[..., R]:
    ctx = contextvars.copy_context()

    def run(*args: object) -> R:
        return ctx.run(fn, *args)

    return run


class Prefetch(Generic[T, R]):
    """``fn`` over ``items`` in one background thread; iterate the results in order.

    Use as a context manager: entering starts the first item; leaving early cancels items
    not yet started and waits for the one in flight (a fetch never outlives its run)."""

    def __init__(self, fn: Callable[[T], R], items: Iterable[T], ahead: int = FETCH_AHEAD) -> None:
        self._fn = _in_context(fn)
        self._items = iter(items)
        self._ahead = max(0, ahead)
        self._pending: deque[Future[R]] = deque()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reewatch-prefetch",
                                        initializer=_lower_priority, initargs=(COMPUTE_NICE,))
        self.started = 0

    def _submit_next(self) -> bool:
        for item in self._items:
            self._pending.append(self._pool.submit(self._fn, item))
            self.started += 1
            return True
        return False

    def __iter__(self) -> Iterator[R]:
        if not self.started:
            self._submit_next()
        while self._pending:
            fut = self._pending.popleft()
            while len(self._pending) < self._ahead and self._submit_next():
                pass
            yield fut.result()
            if not self._pending:
                self._submit_next()

    def __enter__(self) -> Prefetch[T, R]:
        self._submit_next()  # the first item starts now, before the caller iterates
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class OrderedWriter:
    """Run write jobs one at a time, in submission order, in one background thread.

    ``submit`` first waits for the previous job (re-raising its error), so at most one
    write is in flight and a failed write stops the run before the next is started;
    ``drain`` waits for the last one."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reewatch-writer")
        # The thread starts now, not at the first submit, so that it has its creator's priority
        # rather than that of a ``below_normal_priority`` thread submitting to it.
        self._pool.submit(lambda: None).result()
        self._last: Future[object] | None = None
        self.written = 0

    def submit(self, fn: Callable[[], object]) -> None:
        self.drain()
        self._last = self._pool.submit(_in_context(fn))

    def drain(self) -> None:
        last, self._last = self._last, None
        if last is not None:
            last.result()
            self.written += 1

    def __enter__(self) -> OrderedWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if et is None:
                self.drain()
        finally:
            self._pool.shutdown(wait=True)


def _lower_priority(nice: int) -> None:
    # Linux applies niceness per thread, and threads started here (OpenMP's team for torch)
    # inherit it; elsewhere setpriority would renice the whole process, so it is left alone.
    if sys.platform == "linux" and nice > 0:
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
        except OSError:
            pass  # a sandbox that forbids it: the run works at normal priority


def below_normal_priority(fn: Callable[[], R], nice: int = COMPUTE_NICE) -> R:
    """``fn()`` in a new thread at niceness ``nice`` (Linux; elsewhere at normal priority),
    in a copy of the caller's context; its result or error is returned here."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reewatch-compute",
                            initializer=_lower_priority, initargs=(nice,)) as pool:
        return pool.submit(_in_context(fn)).result()
