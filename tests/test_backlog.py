"""Nothing dropped at the link cap, and a per-URL retry budget: the link backlog
(store/backlog.py) with a loopback feed through the real ingest, and the retry schedule
with an injected clock on a real DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import duckdb
import pytest

from core.records import FetchAttempt, Link, Source, SourceOutcome
from fetch.options import FetchOptions
from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings
from store import articles as store_articles
from store import backlog as store_backlog
from store import sources as store_sources
from store.db import connect, transaction
from tests.loopback import Site, conditional, send, serve, static
from tests.test_gdelt import article_html, page

FAST = FetchOptions(read_timeout_s=2.0, connect_timeout_s=1.0, total_timeout_s=5.0, retries=0)


def _feed(base: str, n: int, now: datetime) -> bytes:
    items = "".join(
        f"<item><title>Export licence report {i}</title><link>{base}/news/a{i}.html</link>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=10 * i))}</pubDate></item>"
        for i in range(n)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>busy</title>{items}</channel></rss>'.encode()


def _plan(db: Path, feed: str, cap: int) -> IngestPlan:
    opts = FetchOptions(read_timeout_s=2.0, connect_timeout_s=1.0, total_timeout_s=5.0, retries=0,
                        max_links_per_source=cap)
    settings = load_settings(db=db, fetch=opts, extract_workers=0, batch_size=128)
    return IngestPlan(settings=settings, sources=(Source("busy", "rss", feed, allow_private=True),))


def _one(db: Path, sql: str) -> object:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        return row[0] if row else None
    finally:
        con.close()


@pytest.mark.slow
def test_a_feed_of_300_new_items_with_a_cap_of_100_is_stored_in_three_runs(tmp_path: Path) -> None:
    site = Site()
    db = tmp_path / "b.duckdb"
    now = datetime.now(UTC)
    with serve(site):
        for i in range(300):
            site.route(f"/news/a{i}.html", page(i))
        site.route("/feed.xml", conditional(_feed(site.base, 300, now), '"v1"', format_datetime(now, usegmt=True)))
        plan = _plan(db, f"{site.base}/feed.xml", 100)
        reports = [run_ingest(plan, stages=DIRECT_STAGES).sources[0] for _ in range(3)]
        pages = sum(n for p, n in site.hits.items() if p.startswith("/news/"))
        fourth = run_ingest(plan, stages=DIRECT_STAGES).sources[0]
    # Newest first: the first run takes items 0-99, the next ones the older items the feed
    # no longer offers (it answers 304 from the second run on).
    assert [r.new_links for r in reports] == [100, 100, 100]
    assert [r.backlog for r in reports] == [200, 100, 0]
    assert [r.not_modified for r in reports] == [False, True, True]
    assert _one(db, "SELECT count(*) FROM documents") == 300 and pages == 300
    assert _one(db, "SELECT max(url) FROM documents WHERE url LIKE '%/a99.html'") is not None
    assert fourth.new_links == 0 and fourth.backlog == 0


def test_a_link_older_than_the_window_ages_out_of_the_backlog_and_is_counted(tmp_path: Path) -> None:
    con = connect(tmp_path / "a.duckdb")
    src = Source("s", "rss", "https://feed.example/rss")
    t0 = datetime(2025, 6, 9, 12, tzinfo=UTC)
    links = tuple(Link(f"https://a.example/{i}", "s", None, t0 - timedelta(days=i)) for i in range(10))
    ok = FetchAttempt("s", src.url, 200, True, None, None, 100, 1.0, 1, t0)
    try:
        store_sources.register(con, [src])
        pick = store_backlog.select(con, [SourceOutcome(src, links[:2], ok, overflow=links[2:])], 2, now=t0)
        assert [lk.url for lk in pick.todo] == [lk.url for lk in links[:2]]  # newest first
        with transaction(con):
            counts = store_backlog.save(con, pick, now=t0)
        # 0 and 1 were not fetched (no batch ran): they wait too; days 8 and 9 are past the window.
        assert counts == {"s": (8, 2)}
    finally:
        con.close()


def _fail(con: duckdb.DuckDBPyConnection, url: str, when: datetime) -> None:
    store_articles.record_fetches(con, [FetchAttempt("s", url, 503, False, "http_503", "HTTP 503", 0, 1.0, 1, when)],
                                  "run")


def test_a_failing_page_is_retried_after_1_6_24_hours_then_given_up(tmp_path: Path) -> None:
    assert [store_backlog.retry_wait(n) for n in range(5)] == [
        timedelta(0), timedelta(hours=1), timedelta(hours=6), timedelta(hours=24), None]
    con = connect(tmp_path / "r.duckdb")
    src = Source("s", "rss", "https://feed.example/rss")
    link = Link("https://a.example/dead", "s", "A page that fails")
    t0 = datetime.now(UTC).replace(microsecond=0)
    ok = FetchAttempt("s", src.url, 200, True, None, None, 100, 1.0, 1, t0)
    listed = SourceOutcome(src, (link,), ok)
    gone = SourceOutcome(src, (), ok)  # the feed moved on: the backlog alone keeps the page

    def run_at(now: datetime, outcome: SourceOutcome, fails: bool = True) -> bool:
        pick = store_backlog.select(con, [outcome], 100, now=now)
        tried = link in pick.todo
        with transaction(con):
            if tried and fails:
                _fail(con, link.url, now)
            store_backlog.save(con, pick, now=now)
        return tried

    try:
        store_sources.register(con, [src])
        schedule = [
            (t0, listed, True),                                       # 1st failure
            (t0 + timedelta(minutes=59), listed, False),              # 1 h not yet passed
            (t0 + timedelta(hours=1), gone, True),                    # 2nd failure
            (t0 + timedelta(hours=6, minutes=59), gone, False),       # 6 h not yet passed
            (t0 + timedelta(hours=7), gone, True),                    # 3rd failure
            (t0 + timedelta(hours=30), listed, False),                # 24 h not yet passed
            (t0 + timedelta(hours=31), gone, True),                   # 4th failure: given up
            (t0 + timedelta(hours=60), listed, False),                # never again
        ]
        assert [run_at(now, o) for now, o, _ in schedule] == [tried for _, _, tried in schedule]
        row = con.execute("SELECT outcome, reason FROM seen_urls WHERE url = ?", [link.url]).fetchone()
        view = con.execute("SELECT failures, gave_up, last_error_class FROM failed_links").fetchall()
        waiting = con.execute("SELECT count(*) FROM link_backlog").fetchone()
    finally:
        con.close()
    assert row is not None and row[0] == "gave_up" and "4 failed fetches" in row[1]
    assert view == [(4, True, "http_503")] and waiting == (0,)


def test_failed_page_waits_in_the_backlog_through_the_real_ingest(tmp_path: Path) -> None:
    site = Site()
    db = tmp_path / "f.duckdb"
    now = datetime.now(UTC)
    with serve(site):
        site.route("/news/a0.html", static(b"busy", "text/plain", 503))
        site.route("/news/a1.html", lambda req: send(req, 200, article_html(1, "Export licence report 1")))
        site.route("/feed.xml", static(_feed(site.base, 2, now), "application/rss+xml"))
        plan = _plan(db, f"{site.base}/feed.xml", 100)
        first = run_ingest(plan, stages=DIRECT_STAGES).sources[0]
        second = run_ingest(plan, stages=DIRECT_STAGES).sources[0]  # within the hour: no retry
        hits = site.hits.get("/news/a0.html")
        con = duckdb.connect(str(db))
        con.execute("UPDATE fetches SET fetched_at = fetched_at - INTERVAL 61 MINUTE")  # an hour passes
        con.close()
        third = run_ingest(plan, stages=DIRECT_STAGES).sources[0]
    assert first.stored == 1 and first.errors == 1 and first.backlog == 1
    assert hits == 1 and second.new_links == 0 and second.backlog == 1
    assert site.hits["/news/a0.html"] == 2 and third.new_links == 1 and third.backlog == 1
    assert _one(db, "SELECT failures FROM failed_links") == 2
