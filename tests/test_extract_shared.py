"""A batch's extraction shared with worker processes (extract/pool.py): the same results,
in the same order, as extracting it here alone, also when a worker has died, stalls, or got its
parts ahead; the workers run at idle priority; and an ingest with shared extraction stores what
one without it stores."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from core.records import Article, ExtractCounts, NoArticle, Page
from extract import pool as extract_pool
from extract.pool import (
    MIN_SHARED_PAGES,
    drop_submitted,
    extract_pages,
    extract_shared,
    split_parts,
    split_shares,
    submit_shares,
    submitted_batches,
)
from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings

SITE = Path(__file__).resolve().parents[1] / "reewatch" / "demo" / "site"
FETCHED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)


def _pages() -> list[Page]:
    """The demo site's pages, plus a non-article and an empty page (12 in all, ≥ MIN_SHARED_PAGES)."""
    pages = [
        Page(url=f"https://{p.parent.name}.example/{p.stem}", final_url=f"https://{p.parent.name}.example/{p.stem}",
             source="t", html=p.read_text(encoding="utf-8"), fetched_at=FETCHED)
        for p in sorted(SITE.glob("*/*.html"))
    ]
    pages.append(Page(url="https://x.example/menu", final_url="https://x.example/menu", source="t",
                      html="<html><body><a href='/a'>A</a> <a href='/b'>B</a></body></html>", fetched_at=FETCHED))
    pages.append(Page(url="https://x.example/empty", final_url="https://x.example/empty", source="t", html="",
                      fetched_at=FETCHED))
    assert len(pages) >= MIN_SHARED_PAGES
    return pages


def test_split_shares_balances_sizes_and_keeps_every_index_once() -> None:
    sizes = [100, 1, 1, 1, 60, 40, 30, 30]
    shares = split_shares(sizes, 2)
    assert sorted(i for s in shares for i in s) == list(range(len(sizes)))
    assert all(s == sorted(s) for s in shares)
    totals = sorted(sum(sizes[i] for i in s) for s in shares)
    assert totals == [131, 132]
    assert split_shares([5, 5], 4) == [[0], [1], [], []]
    light = split_shares([10] * 16, 2, first_weight=0.6)
    assert (len(light[0]), len(light[1])) == (6, 10)
    assert split_shares([], 2) == [[], []]


def _parts(pages: list[Page]) -> int:
    return len(split_parts([len(p.html) for p in pages], 1)[1])


def test_split_parts_cuts_each_worker_share_into_parts() -> None:
    sizes = [100, 1, 1, 1, 60, 40, 30, 30, 5, 5, 5, 5]
    mine, parts = split_parts(sizes, 1)
    assert sorted([*mine, *(i for part in parts for i in part)]) == list(range(len(sizes)))
    assert mine == split_shares(sizes, 2, extract_pool.MAIN_SHARE_WEIGHT)[0]
    assert len(parts) == extract_pool.PARTS_PER_WORKER and all(part == sorted(part) for part in parts)
    assert split_parts([5, 5], 1) == ([1], [[0]])  # the worker, weight 1, takes the first


def _conserved(where: ExtractCounts, pages: list[Page]) -> bool:
    """Every part of the worker's share was extracted once: by the worker, or here."""
    return where.worker_shares + where.taken_back + where.fallback_shares == _parts(pages)


def test_shared_extraction_equals_extraction_here() -> None:
    pages = _pages()
    alone = extract_pages(pages, True)
    shared, where = extract_shared(pages, True, 1)
    assert shared == alone
    assert _conserved(where, pages) and where.fallback_shares == 0
    assert [r.url for r in shared] == [p.url for p in pages]
    assert sum(isinstance(r, Article) for r in shared) >= 9 and isinstance(shared[-1], NoArticle)


def test_a_dead_worker_has_its_share_extracted_here() -> None:
    pages = _pages()
    alone = extract_pages(pages, False)
    extract_shared(pages, False, 1)  # the worker is up
    pids = extract_pool.worker_pids()
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)  # the pool notices the death and marks itself broken
    got, where = extract_shared(pages, False, 1)
    assert got == alone
    assert where.fallback_shares > 0, "the dead worker's share was extracted here"
    # the next batch gets a fresh worker
    got, where = extract_shared(pages, False, 1)
    assert got == alone and _conserved(where, pages) and where.fallback_shares == 0
    assert extract_pool.worker_pids() and not set(extract_pool.worker_pids()) & set(pids)


def test_a_stalled_worker_does_not_stall_the_batch() -> None:
    """A worker that gets no core (stopped here; at idle priority, a busy machine) has its parts
    extracted here: the ones it has not started at once, the started ones after a wait."""
    pages = _pages()
    alone = extract_pages(pages, False)
    extract_shared(pages, False, 1)  # the worker is up
    pids = extract_pool.worker_pids()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.perf_counter()
        got, where = extract_shared(pages, False, 1)
        took = time.perf_counter() - t0
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    assert got == alone
    assert where == ExtractCounts(taken_back=_parts(pages)), "every part was extracted here"
    assert took < 60, "bounded by this process's own work, not by the stalled worker"


def test_shares_handed_over_ahead_are_collected_by_the_batch_extraction() -> None:
    pages = _pages()
    alone = extract_pages(pages, True)
    assert submit_shares(pages, True, 1)
    assert submitted_batches() == 1
    got, where = extract_shared(pages, True, 1)
    assert got == alone and _conserved(where, pages)
    assert submitted_batches() == 0, "the handed-over parts were used, not submitted again"


def test_a_later_fetch_of_the_same_pages_is_not_served_earlier_results() -> None:
    pages = _pages()
    assert submit_shares(pages, False, 1)
    later = [replace(p, fetched_at=FETCHED + timedelta(hours=1)) for p in pages]
    got, _ = extract_shared(later, False, 1)
    assert got == extract_pages(later, False)
    assert {r.first_seen_at for r in got if isinstance(r, Article)} == {FETCHED + timedelta(hours=1)}
    assert submitted_batches() == 1, "the earlier batch's parts are still waiting"
    drop_submitted()
    assert submitted_batches() == 0
    assert not submit_shares(pages[: MIN_SHARED_PAGES - 1], False, 1), "a small batch stays here"
    assert not submit_shares(pages, False, 0)


def test_the_workers_run_at_idle_priority() -> None:
    extract_shared(_pages(), False, 1)
    pids = extract_pool.worker_pids()
    assert pids
    for pid in pids:
        assert os.sched_getscheduler(pid) == os.SCHED_IDLE, "the workers take only cycles nobody else wants"


def test_small_batches_and_zero_workers_stay_here() -> None:
    pages = _pages()
    here = ExtractCounts()
    assert extract_shared(pages[: MIN_SHARED_PAGES - 1], False, 1) == (extract_pages(pages[: MIN_SHARED_PAGES - 1], False), here)
    assert extract_shared(pages, False, 0) == (extract_pages(pages, False), here)


SNAPSHOT = (
    "SELECT canonical_url, url, title, text, content_hash, duplicate_of, story_id, raw_html_z FROM documents ORDER BY 1",
    "SELECT canonical_url, topic, round(score, 6), label FROM relevance ORDER BY ALL",
    "SELECT url, canonical_url, outcome, reason FROM seen_urls ORDER BY url",
)


@pytest.mark.slow
def test_ingest_with_shared_extraction_stores_the_same(demo_site: str, tmp_path: Path) -> None:
    feed = f"{demo_site}/feed.xml"
    plans = {name: IngestPlan.from_settings(
        load_settings(db=tmp_path / f"{name}.duckdb", batch_size=16, extract_workers=workers), [feed])
        for name, workers in (("alone", 0), ("shared", 1))}
    summaries = {name: run_ingest(plan, stages=DIRECT_STAGES) for name, plan in plans.items()}
    assert summaries["alone"].stats.extract == ExtractCounts()
    shared = summaries["shared"].stats.extract
    assert shared.worker_shares + shared.taken_back >= 1 and not shared.fallback_shares, \
        "the one batch (9 pages) was shared with the worker"
    assert summaries["alone"].stored == summaries["shared"].stored == 9
    snaps = {}
    for name, plan in plans.items():
        con = duckdb.connect(str(plan.db), read_only=True)
        snaps[name] = [con.execute(q).fetchall() for q in SNAPSHOT]
        con.close()
    assert snaps["shared"] == snaps["alone"]


UNGUARDED_SCRIPT = """
import os, sys
sys.path.insert(0, {repo!r})
with open(sys.argv[1], "a") as marker:  # every run of this script's top level leaves a line
    marker.write(f"{{os.getpid()}}\\n")
from extract.pool import run_in_worker
out, where = run_in_worker(abs, -3)
print(out, where.worker_shares, where.fallback_shares)
"""


def test_a_worker_does_not_run_the_calling_script_again(tmp_path: Path) -> None:
    """A script without ``if __name__ == "__main__":`` that uses the workers: ``spawn`` would run it
    again in the worker (an unguarded ``ingest_flow`` call there started a second ingest and hung)."""
    import subprocess
    import sys

    script, marker = tmp_path / "unguarded.py", tmp_path / "runs.txt"
    script.write_text(UNGUARDED_SCRIPT.format(repo=str(Path(__file__).resolve().parents[1])))
    done = subprocess.run([sys.executable, str(script), str(marker)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "1", "0"], "abs(-3) ran in the worker, with no fallback here"
    assert len(marker.read_text().splitlines()) == 1, "the script's top level ran once, not again in the worker"
