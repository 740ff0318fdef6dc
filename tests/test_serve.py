"""End to end: `reewatch serve` starts a real Prefect server, a scheduled ingest fires by
itself and stores the demo site's articles, the API lists the completed run, and SIGTERM
stops runner and server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pytest

pytestmark = pytest.mark.slow

DEADLINE_S = 240


def _documents(db: Path) -> int:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:  # missing, or being written right now
        return -1
    try:
        row = con.execute("SELECT count(*) FROM documents").fetchone()
        return int(row[0]) if row else 0
    except duckdb.Error:
        return -1
    finally:
        con.close()


def _completed_ingests(api: str) -> list[dict[str, object]]:
    body = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}, "flows": {"name": {"any_": ["ingest"]}}}
    r = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10)
    r.raise_for_status()
    return list(r.json())


def test_serve_runs_scheduled_ingest_and_stops_on_sigterm(demo_site: str, tmp_path: Path) -> None:
    db = tmp_path / "served.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(REEWATCH_DATA_DIR=str(tmp_path / "data"), PREFECT_HOME=str(tmp_path / "data" / "prefect"),
               PYTHONPATH=str(Path(__file__).resolve().parents[1]), COLUMNS="250")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reewatch.cli", "serve", "--db", str(db), "--feed", f"{demo_site}/feed.xml",
         "--ingest-every", "5", "--no-digest", "--no-ui"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    api = None
    try:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline and proc.poll() is None:
            m = re.search(r"API\s+(http://127\.0\.0\.1:\d+/api)", "".join(lines))
            api = m.group(1) if m else None
            if api and _documents(db) == 9 and _completed_ingests(api):
                break
            time.sleep(1)
        assert proc.poll() is None, "".join(lines)
        assert api, "".join(lines)
        assert _documents(db) == 9, "".join(lines)
        runs = _completed_ingests(api)
        assert runs, "no completed scheduled ingest run:\n" + "".join(lines)
        assert runs[0]["deployment_id"], "the completed run came from the deployment"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0 or proc.returncode in (0, -signal.SIGTERM), "".join(lines)
    finally:
        if proc.poll() is None:  # failed early: SIGTERM first so the server it started is stopped too
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    reader.join(5)
    assert "stopped" in "".join(lines)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/health", timeout=3)
