"""Writes from the reading room: one writer thread that takes the database's writer slot
(flows/writer.py, as every command that writes does) for each job, and a background thread for
the slow reads of a retrain preview.

A click never fails because an ingest is writing: the job waits in the queue for the slot, the
page says "queued", and it is written when the ingest ends.  Label jobs are also kept in
``<db>.ui-pending`` until written, so a server stopped with labels still queued writes them at
its next start.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from core.errors import DatabaseLockedError, ReewatchError
from reewatch.ui.gate import Gate
from store.db import WRITE_WAIT_S, connect, transaction
from store.holder import holder_path

log = logging.getLogger("reewatch.ui")

# How long a label click waits for its write before the page says "queued" instead of "saved":
# a label takes a few ms once the slot is free; taking the slot costs a Prefect API round trip.
SAVE_WAIT_S = 3.0
# After the slot or the file stayed busy past its own wait (flows/writer.py, 600 s), try again
# after this long: a queued label is never dropped.
RETRY_S = 5.0
# Finished jobs kept for their pages (status of a click, a retrain's result), newest last.
KEEP_JOBS = 500
PENDING_SUFFIX = ".ui-pending"

JobFn = Callable[[duckdb.DuckDBPyConnection], tuple[str, Any]]
SlotFactory = Callable[[Path], AbstractContextManager[object]]


@dataclass
class Job:
    """One write (or retrain preview) and what became of it."""

    id: str
    kind: str  # label | retrain | retrain-preview
    what: str  # said on the page while it waits
    status: str = "queued"  # queued | running | done | failed
    note: str = ""  # why it waits
    message: str = ""
    result: Any = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class Jobs:
    """Jobs by id (the last KEEP_JOBS)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def new(self, kind: str, what: str, job_id: str | None = None) -> Job:
        job = Job(job_id or uuid.uuid4().hex, kind, what)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                oldest = next(iter(self._jobs))
                if not self._jobs[oldest].finished:
                    break
                del self._jobs[oldest]
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)


class PendingLabels:
    """Label jobs not yet written, one JSON object per line beside the database."""

    def __init__(self, db: Path) -> None:
        db = db.expanduser().resolve()
        self.path = db.with_name(db.name + PENDING_SUFFIX)
        self._lock = threading.Lock()

    def load(self) -> list[dict[str, Any]]:
        with self._lock:
            if not self.path.exists():
                return []
            out = []
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    log.warning("%s: unreadable line skipped", self.path)
            return out

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")

    def remove(self, job_id: str) -> None:
        with self._lock:
            if not self.path.exists():
                return
            keep = [ln for ln in self.path.read_text(encoding="utf-8").splitlines() if _entry_id(ln) != job_id]
            if keep:
                self.path.write_text("".join(ln + "\n" for ln in keep), encoding="utf-8")
            else:
                self.path.unlink()


def _entry_id(line: str) -> object:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry.get("id") if isinstance(entry, dict) else None


def writer_slot(db: Path) -> AbstractContextManager[object]:
    """The database's writer slot, as ingests and commands take it (Prefect: imported on first write)."""
    from flows.writer import one_writer

    return one_writer(db)


def warm_writer_slot(db: Path) -> None:
    """Start Prefect's client (an ephemeral server unless PREFECT_API_URL is set: 5-25 s) and create
    the slot's limit before the first click needs it."""
    from flows.writer import ensure_limit, limit_name

    ensure_limit(limit_name(db))


def holder_note(db: Path) -> str:
    """Who holds the writer slot, from its record beside the database (store/holder.py)."""
    try:
        holder = json.loads(holder_path(db).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return ""
    pid = holder.get("pid") if isinstance(holder, dict) else None
    if isinstance(pid, int) and pid != os.getpid():
        return f"an ingest (process {pid}) is writing; it will be saved when it finishes"
    return ""


def label_job(urls: list[str], topic: str, label: str) -> JobFn:
    """Store (or replace) the analyst's label of each article, in one transaction."""
    from store.labels import add_label

    def run(con: duckdb.DuckDBPyConnection) -> tuple[str, Any]:
        with transaction(con):
            stored = [add_label(con, u, topic, label) for u in urls]
        what = "1 article" if len(stored) == 1 else f"{len(stored)} articles"
        return f"saved: {label} for {topic} on {what}", stored

    return run


class Writer:
    """The one thread that writes the database, a job at a time, each under the writer slot."""

    def __init__(self, db: Path, gate: Gate, jobs: Jobs, slot: SlotFactory = writer_slot,
                 warm: Callable[[Path], None] | None = warm_writer_slot) -> None:
        self.db = db
        self.gate = gate
        self.jobs = jobs
        self.pending = PendingLabels(db)
        self._slot = slot
        self._warm = warm
        self._queue: queue.Queue[tuple[Job, JobFn] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="reewatch-ui-writer", daemon=True)
        self.ready = threading.Event()

    def start(self) -> None:
        for entry in self.pending.load():
            job = self.jobs.new("label", entry.get("what", "label"), entry.get("id"))
            self._queue.put((job, label_job(list(entry["urls"]), str(entry["topic"]), str(entry["label"]))))
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout_s)

    def submit_label(self, urls: list[str], topic: str, label: str, what: str) -> Job:
        job = self.jobs.new("label", what)
        self.pending.add({"id": job.id, "urls": urls, "topic": topic, "label": label, "what": what})
        self._queue.put((job, label_job(urls, topic, label)))
        return job

    def submit(self, kind: str, what: str, fn: JobFn) -> Job:
        job = self.jobs.new(kind, what)
        self._queue.put((job, fn))
        return job

    def queued_note(self, job: Job) -> str:
        """Why ``job`` has not been written yet, for the page."""
        if job.note:
            return job.note
        if not self.ready.is_set():
            return "the writer is starting (Prefect); it will be saved in a moment"
        return holder_note(self.db) or "another write is in progress; it will be saved when it finishes"

    def _loop(self) -> None:
        if self._warm is not None:
            try:
                self._warm(self.db)
            except Exception:  # the first job reports what is wrong
                log.exception("could not prepare the writer slot")
        self.ready.set()
        while (item := self._queue.get()) is not None:
            job, fn = item
            self._run(job, fn)

    def _run(self, job: Job, fn: JobFn) -> None:
        while True:
            job.note = holder_note(self.db)
            try:
                with self._slot(self.db):
                    job.status, job.note = "running", ""
                    with self.gate.write():
                        con = connect(self.db, wait_s=WRITE_WAIT_S)
                        try:
                            job.message, job.result = fn(con)
                        finally:
                            con.close()
                job.status = "done"
            except DatabaseLockedError as exc:
                job.status, job.note = "queued", f"{exc}; trying again"
                time.sleep(RETRY_S)
                continue
            except ReewatchError as exc:
                job.status, job.message = "failed", str(exc)
            except Exception as exc:
                log.exception("write %s failed", job.id)
                job.status, job.message = "failed", f"{type(exc).__name__}: {exc}"
            break
        if job.kind == "label":
            self.pending.remove(job.id)
        job.done.set()


class Background:
    """One thread for slow reads (a retrain preview embeds and scores every stored article)."""

    def __init__(self, jobs: Jobs) -> None:
        self.jobs = jobs
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reewatch-ui-compute")

    def submit(self, kind: str, what: str, fn: Callable[[], tuple[str, Any]]) -> Job:
        job = self.jobs.new(kind, what)

        def run() -> None:
            job.status = "running"
            try:
                job.message, job.result = fn()
                job.status = "done"
            except ReewatchError as exc:
                job.status, job.message = "failed", str(exc)
            except Exception as exc:
                log.exception("%s %s failed", kind, job.id)
                job.status, job.message = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                job.done.set()

        self._pool.submit(run)
        return job

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
