"""One writer at a time: a second writer waits a bounded time and fails cleanly, data intact."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from core.errors import DatabaseLockedError
from core.records import RunSummary
from flows.ingest import ingest_flow
from flows.writer import limit_name, one_writer
from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings

pytestmark = pytest.mark.slow

HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS holder_marker (x INTEGER)")
print("ready", flush=True)
time.sleep(60)
"""


def _count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def test_second_process_waits_then_names_the_holder(demo_site: str, tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    plan = IngestPlan.from_settings(load_settings(db=db), [f"{demo_site}/feed.xml"])
    run_ingest(plan, stages=DIRECT_STAGES)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        with pytest.raises(DatabaseLockedError) as info:
            run_ingest(dataclasses.replace(plan, lock_wait_s=1.5), stages=DIRECT_STAGES)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert f"process {holder.pid}" in str(info.value)
    assert 1.5 <= waited < 10
    assert _count(db, "SELECT count(*) FROM documents") == 9, "the stored articles are intact"


def test_writer_slot_is_exclusive_and_bounded(prefect_harness: None, tmp_path: Path) -> None:
    db = tmp_path / "slot.duckdb"
    assert limit_name(db) == limit_name(tmp_path / "." / "slot.duckdb")
    assert limit_name(db) != limit_name(tmp_path / "other.duckdb")
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with one_writer(db, wait_s=1.0):
                pass
        except BaseException as exc:
            errors.append(exc)

    with one_writer(db):
        t = threading.Thread(target=second)
        t.start()
        t.join(30)
    assert len(errors) == 1 and isinstance(errors[0], DatabaseLockedError)
    assert limit_name(db) in str(errors[0])
    with one_writer(db, wait_s=5.0):  # released: free again
        pass


def test_two_concurrent_ingest_flows_take_turns(prefect_harness: None, demo_site: str, tmp_path: Path) -> None:
    db = tmp_path / "turns.duckdb"
    results: list[RunSummary] = []
    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            results.append(ingest_flow(db=str(db), feeds=[f"{demo_site}/feed.xml"]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not errors
    assert sorted(r.stored for r in results) == [0, 9], "one stored everything, the other found nothing new"
    assert _count(db, "SELECT count(*) FROM documents") == 9
    assert _count(db, "SELECT count(*) - count(DISTINCT url) FROM seen_urls") == 0


HOLD_SLOT = """
import sys, time
from pathlib import Path
from flows.writer import one_writer
with one_writer(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(300)
"""
TAKE_SLOT = """
import sys
from pathlib import Path
from flows.writer import one_writer
with one_writer(Path(sys.argv[1]), wait_s=5.0):
    print("taken", flush=True)
"""


def test_a_slot_left_by_a_killed_run_is_given_back(tmp_path: Path) -> None:
    """Ephemeral mode (no Prefect server configured): a run killed while holding the writer slot
    used to leave it taken for good, and every later ingest of that file waited and failed."""
    import json
    import os

    from store.holder import holder_path

    db = tmp_path / "killed.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SLOT, str(db)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert json.loads(holder_path(db).read_text())["pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()
    taker = subprocess.run([sys.executable, "-c", TAKE_SLOT, str(db)], capture_output=True, text=True, env=env,
                           timeout=240, check=False)
    assert taker.returncode == 0 and taker.stdout.strip() == "taken", taker.stderr[-2000:]
    assert holder_path(db).read_text() == "", "the taker released the slot and cleared its record"


def test_only_a_recorded_local_holder_that_stopped_is_dead() -> None:
    from store.holder import is_dead_holder

    assert is_dead_holder({"host": "here", "pid": 41}, "here", running=False)
    assert not is_dead_holder({"host": "here", "pid": 41}, "here", running=True)
    assert not is_dead_holder({"host": "elsewhere", "pid": 41}, "here", running=False), "another machine's process"
    assert not is_dead_holder({}, "here", running=False), "no record: nothing to judge"
    assert not is_dead_holder({"host": "here", "pid": "41"}, "here", running=False)
