"""robots.txt, per-host and global limits, minimum delay, conditional GET, and a re-run
that fetches no stored page — observed on the server side."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from core.records import Link, NoArticle, Page, Source
from fetch.discover import fetch_pages, read_source, read_sources
from fetch.http import Fetcher
from fetch.options import FetchOptions
from fetch.robots import RobotsCache
from store import articles as store_articles
from store import sources as store_sources
from store.db import connect, transaction
from tests.loopback import Gauge, Site, conditional, fixture, serve, slow, static

OPTS = FetchOptions(read_timeout_s=2.0, connect_timeout_s=1.0, total_timeout_s=5.0, retries=0,
                   user_agent="reewatch/0.1 (news monitoring; ops@example.org)")
PAGE = b"<html><body><p>A story.</p></body></html>"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _pages(urls: list[str], opts: FetchOptions = OPTS, robots: RobotsCache | None = None) -> list[Any]:
    async with Fetcher(opts, robots=robots or RobotsCache()) as f:
        return await fetch_pages(f, [Link(u, "s") for u in urls])


def test_robots_disallow_is_obeyed_and_robots_txt_read_once() -> None:
    site = Site()
    with serve(site):
        site.route("/robots.txt", static("User-agent: *\nDisallow: /private/\n", "text/plain"))
        for p in ("/open/a", "/open/b", "/private/secret"):
            site.route(p, static(PAGE))
        cache = RobotsCache()
        got = run(_pages([f"{site.base}/open/a", f"{site.base}/private/secret", f"{site.base}/open/b"], robots=cache))
        again = run(_pages([f"{site.base}/private/secret"], robots=cache))  # a second Fetcher, same run
    assert [type(p).__name__ for p, _ in got] == ["Page", "NoneType", "Page"]
    assert got[1][1].error_class == "robots" and again[0][1].error_class == "robots"
    assert "/private/secret" not in site.hits
    assert site.hits["/robots.txt"] == 1


def test_robots_for_our_agent_and_unreachable_robots() -> None:
    site = Site()
    down = Site()
    with serve(site), serve(down):
        site.route("/robots.txt", static("User-agent: reewatch\nDisallow: /\n\nUser-agent: *\nAllow: /\n", "text/plain"))
        site.route("/a", static(PAGE))
        down.route("/robots.txt", static(b"", "text/plain", 503))
        down.route("/a", static(PAGE))
        (ours, a1), = run(_pages([f"{site.base}/a"]))
        (unreach, a2), = run(_pages([f"{down.base}/a"]))
    assert ours is None and a1.error_class == "robots"
    assert unreach is None and a2.error_class == "http_503" and "/a" not in down.hits


def test_feeds_are_read_despite_robots_but_sitemaps_and_pages_are_not() -> None:
    site = Site()
    with serve(site):
        site.route("/robots.txt", static("User-agent: *\nDisallow: /\n", "text/plain"))
        site.route("/feed.xml", static(fixture("rss20.xml"), "application/rss+xml"))
        site.route("/sitemap.xml", static(fixture("sitemap.xml", BASE=site.base, RECENT="", NEWEST="", OLD=""),
                                          "application/xml"))

        async def go() -> Any:
            async with Fetcher(OPTS) as f:
                return await read_sources(f, [Source("f", "rss", f"{site.base}/feed.xml", allow_private=True),
                                              Source("m", "sitemap", f"{site.base}/sitemap.xml", allow_private=True)],
                                          {}, 100)

        feed, smap = run(go())
    assert feed.ok and feed.links
    assert not smap.ok and smap.attempt.error_class == "robots" and "/sitemap.xml" not in site.hits


def test_per_host_concurrency_never_exceeds_the_limit() -> None:
    site = Site()
    with serve(site):
        for i in range(12):
            site.route(f"/p{i}", slow(0.15, PAGE))
        got = run(_pages([f"{site.base}/p{i}" for i in range(12)], FetchOptions(per_host=2, retries=0)))
    assert all(isinstance(p, Page) for p, _ in got)
    assert site.gauge.peak == 2  # the limit is reached (so it is real) and never passed


def test_global_limit_holds_across_hosts() -> None:
    gauge = Gauge()
    sites = [Site(gauge=gauge) for _ in range(3)]
    with serve(sites[0]), serve(sites[1]), serve(sites[2]):
        urls = []
        for s in sites:
            for i in range(5):
                s.route(f"/p{i}", slow(0.15, PAGE))
                urls.append(f"{s.base}/p{i}")
        got = run(_pages(urls, FetchOptions(per_host=3, max_connections=4, retries=0)))
    assert all(isinstance(p, Page) for p, _ in got)
    assert gauge.peak == 4


def test_minimum_delay_and_crawl_delay_space_requests() -> None:
    site = Site()
    with serve(site):
        for i in range(4):
            site.route(f"/p{i}", static(PAGE))
        run(_pages([f"{site.base}/p{i}" for i in range(4)],
                   FetchOptions(min_delay_s=0.25, throttle_private=True, per_host=4, retries=0)))
        starts = [t for p, t in site.log if p.startswith("/p")]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4 and min(gaps) >= 0.2
    crawl = Site()
    with serve(crawl):
        crawl.route("/robots.txt", static("User-agent: *\nCrawl-delay: 1\n", "text/plain"))
        for i in range(3):
            crawl.route(f"/p{i}", static(PAGE))
        run(_pages([f"{crawl.base}/p{i}" for i in range(3)],
                   FetchOptions(min_delay_s=0.0, throttle_private=True, per_host=3, retries=0)))
        starts = [t for p, t in crawl.log if p.startswith("/p")]
    assert starts[-1] - starts[0] >= 1.9


def test_user_agent_names_us_and_a_contact() -> None:
    site = Site()
    with serve(site):
        site.route("/a", static(PAGE))
        run(_pages([f"{site.base}/a"]))
    assert site.headers_seen["/a"][0]["user-agent"] == OPTS.user_agent
    assert site.headers_seen["/robots.txt"][0]["user-agent"] == OPTS.user_agent


def _cycle(db: Path, src: Source) -> tuple[Any, list[Any]]:
    """One ingest cycle without extraction: read the source, fetch unseen pages, remember them."""
    con = connect(db)
    try:
        store_sources.register(con, [src])

        async def read() -> Any:
            async with Fetcher(OPTS) as f:
                return await read_sources(f, [src], store_sources.load_validators(con), 100)

        (outcome,) = run(read())
        fresh = store_articles.unseen(con, [lk.url for lk in outcome.links])
        todo = [lk for lk in outcome.links if lk.url in fresh]

        async def fetch() -> Any:
            async with Fetcher(OPTS) as f:
                return await fetch_pages(f, todo)

        fetched = run(fetch())
        seen = [NoArticle(lk.url, lk.source, "stored") for lk, (p, _) in zip(todo, fetched, strict=True) if p]
        store_articles.save_batch(con, [], seen, [a for _, a in fetched], model="none", run_id="r")
        with transaction(con):
            store_sources.record_outcome(con, outcome)
            store_articles.record_fetches(con, list(outcome.attempts), "r")
        return outcome, fetched
    finally:
        con.close()


def test_conditional_get_and_a_rerun_fetch_no_stored_page(tmp_path: Path) -> None:
    site = Site()
    with serve(site):
        feed = fixture("rss20.xml").replace(b"https://other.example.org", site.base.encode())
        site.route("/feed.xml", conditional(feed, '"v1"', "Mon, 09 Jun 2025 10:00:00 GMT"))
        site.route("/wire/carmaker-idles-plant-magnets.html", static(PAGE))
        site.route("/news/texas-processing-plant-ground.html", static(PAGE))
        src = Source("wire", "rss", f"{site.base}/feed.xml", allow_private=True)
        first, pages1 = _cycle(tmp_path / "t.duckdb", src)
        hits_after_first = site.page_hits()
        second, pages2 = _cycle(tmp_path / "t.duckdb", src)
        # the feed changes (new ETag), but its pages are all stored: still no page fetched
        site.route("/feed.xml", conditional(feed, '"v2"', "Tue, 10 Jun 2025 10:00:00 GMT"))
        third, pages3 = _cycle(tmp_path / "t.duckdb", src)
    assert first.ok and len(pages1) == 2 and first.etag == '"v1"'
    assert site.headers_seen["/feed.xml"][1]["if-none-match"] == '"v1"'
    assert second.not_modified and second.ok and second.links == () and pages2 == []
    assert site.page_hits() - hits_after_first == 2  # two feed requests, zero pages
    assert third.ok and len(third.links) == 2 and pages3 == []
    con = connect(tmp_path / "t.duckdb", read_only=True)
    try:
        row = con.execute("SELECT etag, consecutive_failures FROM sources WHERE name = 'wire'").fetchone()
        statuses = [r[0] for r in con.execute("SELECT status FROM fetches WHERE url LIKE '%feed.xml' ORDER BY fetched_at").fetchall()]
    finally:
        con.close()
    assert row == ('"v2"', 0) and statuses == [200, 304, 200]


def test_direct_read_sends_validators() -> None:
    site = Site()
    with serve(site):
        site.route("/f", conditional(fixture("atom.xml"), '"abc"', "Mon, 09 Jun 2025 10:00:00 GMT"))

        async def go() -> Any:
            async with Fetcher(OPTS) as f:
                src = Source("a", "rss", f"{site.base}/f", allow_private=True)
                return await read_source(f, src, last_modified="Mon, 09 Jun 2025 10:00:00 GMT")

        out = run(go())
    assert out.not_modified and out.attempt.status == 304 and site.hits["/f"] == 1


def test_minimum_delay_holds_across_fetchers_sharing_a_clock() -> None:
    site = Site()
    opts = FetchOptions(min_delay_s=0.3, throttle_private=True, retries=0)
    clock: dict[str, float] = {}
    cache = RobotsCache()

    async def one(path: str) -> None:
        async with Fetcher(opts, robots=cache, host_clock=clock) as f:
            await fetch_pages(f, [Link(site.base + path, "s")])

    with serve(site):
        site.route("/a", static(PAGE))
        site.route("/b", static(PAGE))
        run(one("/a"))
        run(one("/b"))  # a second batch, a new event loop: still spaced
        starts = dict(site.log)
    assert starts["/b"] - starts["/a"] >= 0.25 and site.hits["/robots.txt"] == 1


def test_crawl_delay_groups_and_fractions() -> None:
    from fetch.robots import rules_from

    text = b"User-agent: *\nCrawl-delay: 0.5\nDisallow: /tmp/\n\nUser-agent: otherbot\nUser-agent: reewatch\nCrawl-delay: 7\n"
    rules = rules_from(200, text)
    assert rules.crawl_delay("reewatch/0.1 (news monitoring)") == 7.0
    assert rules.crawl_delay("somebot/2") == 0.5
    assert rules_from(404, b"").crawl_delay("reewatch") is None
    assert rules_from(503, b"").unreachable


def test_unreachable_robots_names_its_fault() -> None:
    from fetch.robots import rules_from

    assert rules_from(503, b"").fault == "http_503"
    assert rules_from(None, b"", "timeout").fault == "timeout"
    # no status and no fault: the client refuses the host's pages as robots_unreachable
    assert rules_from(None, b"").unreachable and rules_from(None, b"").fault is None
