"""Kill -9 an ingest at several points, run again: the database equals an uninterrupted run's.

The ingest runs in a subprocess against a slow loopback copy of the demo site (each page
answers after a delay), with two links per batch; the test kills it when the site has
served a given number of pages (mid-fetch, between commits, after the last page while
triage and the store are working), re-runs, and compares every durable table without
timestamps and run ids.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings
from reewatch.demo.server import site_dir
from tests.loopback import Site, send, serve

pytestmark = pytest.mark.slow

PAGE_DELAY_S = 0.4
BATCH = 2
# (pages the site has served, extra seconds) before the kill: before any page, mid-batch
# after the first commit, and after the last page (triage/store at work).
KILL_POINTS = ((0, 0.0), (3, 0.0), (9, 0.3))
RUNNER = """
import sys
from pathlib import Path
from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings
plan = IngestPlan.from_settings(load_settings(db=Path(sys.argv[1]), batch_size=int(sys.argv[3])), [sys.argv[2]])
print(run_ingest(plan, stages=DIRECT_STAGES).stored, flush=True)
"""
SNAPSHOT = {
    "documents": "SELECT canonical_url, url, title, text, site, lang, published_at, source, content_hash, "
                 "duplicate_of, story_id FROM documents ORDER BY canonical_url",
    "relevance": "SELECT canonical_url, topic, round(score, 6), label, reasons FROM relevance ORDER BY ALL",
    "embeddings": "SELECT canonical_url, model, len(vector) FROM embeddings ORDER BY ALL",
    "seen_urls": "SELECT url, canonical_url, source, outcome, reason FROM seen_urls ORDER BY url",
    "sources": "SELECT name, kind, url, etag, last_modified, consecutive_failures FROM sources ORDER BY name",
}


@pytest.fixture(scope="module")
def slow_site() -> Iterator[Site]:
    root = site_dir()
    site = Site()

    def page(body: bytes) -> object:
        def h(req: BaseHTTPRequestHandler) -> None:
            time.sleep(PAGE_DELAY_S)
            send(req, 200, body)
        return h

    with serve(site):
        feed = (root / "feed.xml").read_text(encoding="utf-8").replace("{base}", site.base)
        site.route("/feed.xml", lambda req: send(req, 200, feed.encode("utf-8"), "application/rss+xml"))
        for f in root.rglob("*.html"):
            site.route("/" + f.relative_to(root).as_posix(), page(f.read_bytes()))  # type: ignore[arg-type]
        yield site


def _pages_served(site: Site) -> int:
    with site.lock:
        return sum(n for path, n in site.hits.items() if path.endswith(".html"))


def _snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: con.execute(sql).fetchall() for name, sql in SNAPSHOT.items()}
    finally:
        con.close()


def _run_and_kill(db: Path, feed: str, site: Site, pages: int, extra_s: float) -> bool:
    """Start an ingest subprocess; SIGKILL it once the site served ``pages`` more pages."""
    start = _pages_served(site)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(db), feed, str(BATCH)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while proc.poll() is None and _pages_served(site) - start < pages and time.monotonic() < deadline:
        time.sleep(0.02)
    if pages == 0:  # kill as soon as the feed was read
        while proc.poll() is None and site.hits.get("/feed.xml", 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    time.sleep(extra_s)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return killed


def test_kill_minus_nine_then_rerun_equals_a_clean_run(slow_site: Site, tmp_path: Path) -> None:
    feed = f"{slow_site.base}/feed.xml"
    clean_db = tmp_path / "clean.duckdb"
    plan = IngestPlan.from_settings(load_settings(db=clean_db, batch_size=BATCH), [feed])
    assert run_ingest(plan, stages=DIRECT_STAGES).stored == 9
    clean = _snapshot(clean_db)

    crashed_db = tmp_path / "crashed.duckdb"
    kills = 0
    stored_after: list[int] = []
    for pages, extra in KILL_POINTS:
        slow_site.hits.clear()
        kills += _run_and_kill(crashed_db, feed, slow_site, pages, extra)
        stored_after.append(len(_snapshot(crashed_db)["documents"]))
    assert kills >= 2, "the ingest was killed mid-run at least twice"
    assert stored_after[1] < 9, f"the kills interrupted the work (stored after each kill: {stored_after})"
    run_ingest(IngestPlan.from_settings(load_settings(db=crashed_db, batch_size=BATCH), [feed]), stages=DIRECT_STAGES)
    assert _snapshot(crashed_db) == clean
