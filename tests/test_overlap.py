"""The overlapped ingest (fetch ahead, commit behind) stores what the strictly sequential
one stores, and a run with nothing new loads neither the archive nor the model."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import run_ingest
from pipeline.overlap import COMPUTE_NICE, OrderedWriter, Prefetch, below_normal_priority
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = {
    "documents": "SELECT canonical_url, url, title, text, content_hash, duplicate_of, story_id FROM documents ORDER BY 1",
    "relevance": "SELECT canonical_url, topic, round(score, 6), label, reasons FROM relevance ORDER BY ALL",
    "embeddings": "SELECT canonical_url, model, [round(x, 5) for x in vector] FROM embeddings ORDER BY ALL",
    "seen_urls": "SELECT url, canonical_url, source, outcome, reason FROM seen_urls ORDER BY url",
    "sources": "SELECT name, url, etag, last_modified, consecutive_failures FROM sources ORDER BY name",
}
NOOP_RUNNER = """
import json, sys
from pathlib import Path
from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings
plan = IngestPlan.from_settings(load_settings(db=Path(sys.argv[1])), [sys.argv[2]])
s = run_ingest(plan, stages=DIRECT_STAGES)
print(json.dumps({"stored": s.stored, "not_modified": sum(r.not_modified for r in s.sources),
                  "archive_loaded": s.stats.archive_loaded, "model_loaded": s.stats.model_loaded,
                  "sentence_transformers": "sentence_transformers" in sys.modules}))
"""


def _snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: con.execute(sql).fetchall() for name, sql in SNAPSHOT.items()}
    finally:
        con.close()


def test_prefetch_runs_one_item_ahead_and_keeps_order() -> None:
    started: dict[int, float] = {}

    def work(i: int) -> int:
        started[i] = time.perf_counter()
        time.sleep(0.05)
        return i * 10

    done: dict[int, float] = {}
    with Prefetch(work, range(4), ahead=1) as it:
        time.sleep(0.1)  # e.g. loading the model
        assert list(started) == [0], "entering starts the first item, before iterating"
        out = []
        for r in it:
            time.sleep(0.2)  # the consumer's CPU work on item r // 10
            done[r // 10] = time.perf_counter()
            out.append(r)
    assert out == [0, 10, 20, 30]
    assert all(started[i + 1] < done[i] for i in range(3)), "the next item is fetched while this one is worked on"
    assert all(started[i + 2] > done[i] for i in range(2)), "never more than one item ahead"


def test_prefetch_without_ahead_is_sequential() -> None:
    events: list[str] = []

    def fetch(i: int) -> int:
        events.append(f"fetch {i}")
        return i

    with Prefetch(fetch, range(3), ahead=0) as it:
        for i in it:
            events.append(f"work {i}")
    assert events == ["fetch 0", "work 0", "fetch 1", "work 1", "fetch 2", "work 2"]


def test_ordered_writer_commits_in_order_and_stops_at_a_failure() -> None:
    log: list[int] = []
    lock = threading.Lock()

    def job(i: int, delay: float) -> None:
        with lock:
            assert not log or log[-1] == i - 1, "one write at a time, in order"
        time.sleep(delay)
        log.append(i)

    with OrderedWriter() as w:
        for i, delay in enumerate((0.1, 0.0, 0.05)):
            w.submit(lambda i=i, d=delay: job(i, d))  # type: ignore[misc]
    assert log == [0, 1, 2] and w.written == 3

    def fail() -> None:
        raise RuntimeError("disk full")

    w2 = OrderedWriter()
    w2.submit(fail)
    with pytest.raises(RuntimeError, match="disk full"):
        w2.submit(lambda: log.append(99))
    assert 99 not in log, "nothing is written after a failed write"
    w2.__exit__(None, None, None)


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")
def test_cpu_work_runs_below_the_writer_priority() -> None:
    """The run's CPU work (and the fetch thread) yield to the commit window: the writer keeps
    its creator's priority although its jobs are submitted from the niced thread."""
    base = _nice()
    with OrderedWriter() as writer, Prefetch(lambda _: _nice(), [0], ahead=0) as fetched:

        def work() -> tuple[int, int]:
            seen: list[int] = []
            writer.submit(lambda: seen.append(_nice()))
            writer.drain()
            return _nice(), seen[0]

        compute, writing = below_normal_priority(work)
        fetching = next(iter(fetched))
    assert compute == max(base, COMPUTE_NICE)
    assert fetching == max(base, COMPUTE_NICE)
    assert writing == base
    assert _nice() == base  # the caller's own priority is untouched


@pytest.mark.slow
def test_overlapped_ingest_stores_the_same_as_sequential(demo_site: str, tmp_path: Path) -> None:
    feed = f"{demo_site}/feed.xml"
    plans = {
        mode: IngestPlan.from_settings(
            load_settings(db=tmp_path / f"{mode}.duckdb", batch_size=2, extract_ahead=mode == "ahead"), [feed])
        for mode in ("overlap", "sequential", "ahead")
    }
    plans["sequential"] = dataclasses.replace(plans["sequential"], overlap=False)
    summaries = {mode: run_ingest(plan, stages=DIRECT_STAGES) for mode, plan in plans.items()}
    in_worker = {mode: s.stats.extract.worker_shares for mode, s in summaries.items()}
    assert in_worker == {"overlap": 0, "sequential": 0, "ahead": 5}, \
        "extract_ahead: each batch of 2 (9 pages) extracted in the worker process; batches of 2 are not shared"
    assert summaries["overlap"].stored == summaries["sequential"].stored == summaries["ahead"].stored == 9
    assert summaries["overlap"].copies == summaries["sequential"].copies == summaries["ahead"].copies >= 1
    ref = _snapshot(plans["sequential"].db)
    for mode in ("overlap", "ahead"):
        got = _snapshot(plans[mode].db)
        for table in SNAPSHOT:
            assert got[table] == ref[table], (mode, table)


@pytest.mark.slow
def test_noop_run_stores_nothing_and_loads_no_model(demo_site: str, tmp_path: Path) -> None:
    db = tmp_path / "noop.duckdb"
    feed = f"{demo_site}/feed.xml"
    first = run_ingest(IngestPlan.from_settings(load_settings(db=db), [feed]), stages=DIRECT_STAGES)
    assert first.stored == 9
    proc = subprocess.run([sys.executable, "-c", NOOP_RUNNER, str(db), feed], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["stored"] == 0
    assert got == {**got, "archive_loaded": False, "model_loaded": False, "sentence_transformers": False}
    # The same runner on a fresh database does load them (the run summary can tell).
    proc = subprocess.run([sys.executable, "-c", NOOP_RUNNER, str(tmp_path / "fresh.duckdb"), feed], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    fresh = json.loads(proc.stdout.strip().splitlines()[-1])
    assert fresh["stored"] == 9 and fresh["archive_loaded"] and fresh["model_loaded"]
