"""A read-only command started while another process writes the file waits for the write
window to close, says so on stderr once, and then answers (what `reewatch query` meets while
`serve` ingests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from store.db import READ_WAIT_S, connect

REPO = Path(__file__).resolve().parents[1]
# The writer keeps the file this long after the reader has said it waits (a commit window).
HOLD_AFTER_NOTICE_S = 2.0
HOLDER = """
import duckdb, sys
c = duckdb.connect(sys.argv[1])
print('held', flush=True)
sys.stdin.readline()  # until the test says the reader waits (or closes the pipe)
c.close()
"""


def test_query_waits_for_a_writer_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    connect(db).close()  # create and migrate
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "250"}
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        reader = subprocess.Popen(
            [sys.executable, "-m", "reewatch.cli", "query", "--db", str(db), "--format", "csv",
             "SELECT count(*) AS n FROM sources"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        )
        assert reader.stderr is not None
        notice = reader.stderr.readline()  # the reader blocks on the lock until it prints this
        noticed = time.monotonic()
        time.sleep(HOLD_AFTER_NOTICE_S)
        assert holder.stdin is not None
        holder.stdin.close()
        out, rest = reader.communicate(timeout=60)
        waited_after = time.monotonic() - noticed
    finally:
        if holder.stdin is not None and not holder.stdin.closed:
            holder.stdin.close()  # a failed step: let the holder go
        holder.wait(30)
    assert reader.returncode == 0, notice + rest
    assert out.split() == ["n", "0"]
    assert "being written" in notice and f"waiting up to {READ_WAIT_S:.0f} s" in notice, notice
    assert "being written" not in rest  # said once
    assert waited_after < READ_WAIT_S
