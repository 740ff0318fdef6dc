"""An ingest holds the database file only while it writes: a reader in another process opens
it while the ingest is fetching (a slow loopback page), and a reader that meets a commit
window waits for it instead of failing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from core.errors import DatabaseLockedError
from store.db import connect
from tests.loopback import Site, send, serve

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
RUNNER = """
import sys
from pathlib import Path
from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings
plan = IngestPlan.from_settings(load_settings(db=Path(sys.argv[1])), [sys.argv[2]])
s = run_ingest(plan, stages=DIRECT_STAGES)
print(s.stored, s.stats.db_windows, flush=True)
"""
ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "".join(
        f"<p>Paragraph {i}: the ministry published licence rule number {i} for magnet exporters on Monday, "
        f"officials said. Exporters must now file end-user certificate form {i} for every shipment.</p>"
        for i in range(6)
    )
    + "</article></body></html>"
)


def _feed(base: str, n: int) -> bytes:
    items = "".join(
        f"<item><title>Licence story {i}</title><link>{base}/a{i}</link>"
        f"<pubDate>Mon, 02 Jun 2025 0{i}:00:00 GMT</pubDate></item>" for i in range(n)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()


def test_a_reader_opens_the_file_while_the_ingest_fetches(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    site = Site()
    in_fetch = threading.Event()
    release = threading.Event()

    def slow_page(req: BaseHTTPRequestHandler) -> None:
        in_fetch.set()
        release.wait(60)
        send(req, 200, ARTICLE.format(title="A slow licence page").encode())

    with serve(site):
        site.route("/feed.xml", lambda req: send(req, 200, _feed(site.base, 2), "application/rss+xml"))
        site.route("/a0", slow_page)
        site.route("/a1", lambda req: send(req, 200, ARTICLE.format(title="A quick licence page").encode()))
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(db), f"{site.base}/feed.xml"], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert in_fetch.wait(120), "the ingest never fetched the slow page"
            time.sleep(0.5)
            con = connect(db, read_only=True)  # no wait: the file must be free now
            try:
                assert con.execute("SELECT count(*) FROM sources").fetchall()[0][0] == 1
            finally:
                con.close()
        finally:
            release.set()
            out, errs = proc.communicate(timeout=300)
    assert proc.returncode == 0, errs[-3000:]
    stored, windows = (int(x) for x in out.split()[-2:])
    assert stored == 2
    assert windows >= 4  # sources state, seen URLs, archive, a commit, health at the end
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchall()[0][0] == 2


def test_a_reader_waits_for_a_commit_window_and_says_so(tmp_path: Path) -> None:
    db_path = tmp_path / "w.duckdb"
    connect(db_path).close()  # create and migrate
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(float(sys.argv[2])); c.close()", str(db_path), "3"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        told: list[str] = []
        started = time.monotonic()
        con = connect(db_path, read_only=True, wait_s=15, on_wait=told.append)
        con.close()
        waited = time.monotonic() - started
        assert 2.0 <= waited < 15
        assert len(told) == 1 and "being written" in told[0]
    finally:
        holder.wait(30)


def test_a_lock_longer_than_the_wait_is_still_a_clear_error(tmp_path: Path) -> None:
    db_path = tmp_path / "l.duckdb"
    connect(db_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(10); c.close()", str(db_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseLockedError, match="being written"):
            connect(db_path, read_only=True, wait_s=1.0)
    finally:
        holder.kill()
        holder.wait(30)
