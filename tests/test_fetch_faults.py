"""Every fault a server can throw at the fetcher, against a real loopback server.

Each fault is recorded (source, URL, error class, attempts) and never stops the other
sources or pages; nothing half-fetched becomes a Page.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from core.records import Link, NoArticle, Page, Source
from fetch.discover import fetch_page, fetch_pages, read_source, read_sources
from fetch.feeds import parse_feed
from fetch.http import Fetcher, Response
from fetch.options import FetchOptions
from store import articles as store_articles
from store import sources as store_sources
from store.db import connect, transaction
from tests.loopback import Site, endless, fixture, redirect, reset_mid_body, send, serve, slow, static

FAST = FetchOptions(read_timeout_s=1.0, connect_timeout_s=1.0, total_timeout_s=3.0, max_bytes=200_000, retries=2,
                   backoff_base_s=0.05)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _get(url: str, opts: FetchOptions = FAST) -> Response:
    async with Fetcher(opts) as f:
        return await f.get(url, "faults")


async def _page(url: str, opts: FetchOptions = FAST) -> tuple[Any, Any]:
    async with Fetcher(opts) as f:
        return await fetch_page(f, Link(url, "faults"))


async def _read(src: Source, opts: FetchOptions = FAST) -> Any:
    async with Fetcher(opts) as f:
        return await read_source(f, src)


def test_reset_mid_body_is_retried_then_recorded_and_never_a_page() -> None:
    site = Site()
    with serve(site):
        site.route("/cut", reset_mid_body())
        page, attempt = run(_page(f"{site.base}/cut"))
    assert page is None
    assert attempt.error_class == "reset" and attempt.attempts == 3 and attempt.nbytes == 0
    assert site.hits["/cut"] == 3


@pytest.mark.parametrize("status", [404, 410, 403])
def test_client_errors_are_not_retried(status: int) -> None:
    site = Site()
    with serve(site):
        site.route("/x", static(b"gone", "text/plain", status))
        r = run(_get(f"{site.base}/x"))
    assert not r.ok and r.attempt.error_class == f"http_{status}" and r.attempt.attempts == 1
    assert site.hits["/x"] == 1


def test_5xx_is_retried_with_backoff_then_given_up() -> None:
    site = Site()
    with serve(site):
        site.route("/down", static(b"oops", "text/plain", 502))
        r = run(_get(f"{site.base}/down"))
    assert not r.ok and r.attempt.error_class == "http_502" and r.attempt.attempts == 3
    assert site.hits["/down"] == 3


def test_429_honours_retry_after_then_succeeds() -> None:
    site = Site()
    calls = {"n": 0}

    def limited(req: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            send(req, 429, b"slow down", "text/plain", {"Retry-After": "1"})
        else:
            send(req, 200, b"<html><body>fine</body></html>")

    with serve(site):
        site.route("/limited", limited)
        t0 = time.monotonic()
        r = run(_get(f"{site.base}/limited"))
        waited = time.monotonic() - t0
        times = [t for p, t in site.log if p == "/limited"]
    assert r.ok and r.attempt.attempts == 2
    assert times[1] - times[0] >= 0.9 and waited >= 0.9


def test_retry_after_too_long_is_not_waited_for() -> None:
    site = Site()
    with serve(site):
        site.route("/later", lambda req: send(req, 503, b"", "text/plain", {"Retry-After": "3600"}))
        t0 = time.monotonic()
        r = run(_get(f"{site.base}/later"))
    assert time.monotonic() - t0 < 2
    assert not r.ok and r.attempt.error_class == "http_503" and "Retry-After" in (r.attempt.error or "")
    assert r.attempt.attempts == 1


@pytest.mark.parametrize(
    ("routes", "start", "error_class"),
    [
        ({"/a": "/b", "/b": "/a"}, "/a", "redirect_loop"),
        ({f"/r{i}": f"/r{i + 1}" for i in range(10)}, "/r0", "redirect_loop"),
        ({"/ftp": "ftp://127.0.0.1/file.txt"}, "/ftp", "bad_scheme"),
        ({"/file": "file:///etc/passwd"}, "/file", "bad_scheme"),
        ({"/meta": "http://169.254.169.254/latest/meta-data/"}, "/meta", "private_redirect"),
        ({"/lan": "http://10.0.0.7/admin"}, "/lan", "private_redirect"),
    ],
)
def test_bad_redirects_are_refused(routes: dict[str, str], start: str, error_class: str) -> None:
    site = Site()
    with serve(site):
        for path, target in routes.items():
            site.route(path, redirect(target))
        r = run(_get(site.base + start))
    assert not r.ok and r.attempt.error_class == error_class
    assert r.attempt.attempts == 1  # final: not retried


def test_same_host_redirect_is_followed_and_final_url_kept() -> None:
    site = Site()
    with serve(site):
        site.route("/old", redirect("/new/story-moved-here.html", 301))
        site.route("/new/story-moved-here.html", static("<html><body>moved</body></html>"))
        page, attempt = run(_page(f"{site.base}/old"))
    assert isinstance(page, Page) and page.final_url.endswith("/new/story-moved-here.html")
    assert page.url.endswith("/old") and attempt.ok


def test_a_100_mb_page_is_cut_off_not_loaded() -> None:
    site = Site()
    with serve(site):
        site.route("/huge", endless())
        site.route("/declared", lambda req: send(req, 200, b"x" * 300_000))
        t0 = time.monotonic()
        huge, attempt = run(_page(f"{site.base}/huge"))
        declared = run(_get(f"{site.base}/declared"))
    assert huge is None and attempt.error_class == "too_large" and attempt.attempts == 1
    assert time.monotonic() - t0 < 5
    assert declared.attempt.error_class == "too_large" and declared.body == b""


def test_gzip_bomb_is_cut_off_by_its_inflated_size() -> None:
    bomb = gzip.compress(b"<html>" + b"\0" * 10_000_000, compresslevel=1)
    site = Site()
    with serve(site):
        site.route("/z", lambda req: send(req, 200, bomb, "text/html", {"Content-Encoding": "gzip"}))
        r = run(_get(f"{site.base}/z"))
    assert len(bomb) < FAST.max_bytes
    assert not r.ok and r.attempt.error_class == "too_large"


def test_binary_served_as_html_is_no_article() -> None:
    site = Site()
    with serve(site):
        site.route("/fake.html", static(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "text/html"))
        site.route("/pdf", static(b"%PDF-1.7" + b"\x00" * 200, "application/pdf"))
        fake, a1 = run(_page(f"{site.base}/fake.html"))
        pdf, _ = run(_page(f"{site.base}/pdf"))
    assert isinstance(fake, NoArticle) and "binary" in fake.reason and a1.ok
    assert isinstance(pdf, NoArticle) and "application/pdf" in pdf.reason


@pytest.mark.parametrize(
    ("name", "ctype", "expected"),
    [
        ("gb2312.html", "text/html", "稀土出口管制新规发布"),  # charset only in <meta http-equiv>
        ("shift_jis.html", "text/html; charset=Shift_JIS", "レアアース磁石の調達に遅れ"),  # header only
        ("latin1.html", "text/html", "réserve stratégique"),  # no declaration: detected
        ("latin1.html", "text/html; charset=utf-8", "réserve stratégique"),  # wrong declaration
    ],
)
def test_charsets_decode_correctly(name: str, ctype: str, expected: str) -> None:
    site = Site()
    with serve(site):
        site.route("/p", static(fixture(name), ctype))
        page, _ = run(_page(f"{site.base}/p"))
    assert isinstance(page, Page) and expected in page.html and "\ufffd" not in page.html


def test_utf8_page_behind_a_latin1_server_default_reads_as_utf8() -> None:
    body = "<html><body><p>Préfecture de Tōkyō: 稀土</p></body></html>".encode()
    site = Site()
    with serve(site):
        site.route("/p", static(body, "text/html; charset=ISO-8859-1"))
        page, _ = run(_page(f"{site.base}/p"))
    assert isinstance(page, Page) and "Tōkyō: 稀土" in page.html


def test_malformed_feed_keeps_what_parses_and_reports_the_rest() -> None:
    site = Site()
    with serve(site):
        site.route("/broken.xml", static(fixture("malformed.xml"), "application/rss+xml"))
        out = run(_read(Source("broken", "rss", f"{site.base}/broken.xml", allow_private=True)))
    urls = [lk.url for lk in out.links]
    assert f"{site.base}/broken/first-story-survives.html" in urls
    assert out.ok and out.warning and "malformed" in out.warning


def test_xml_bomb_is_refused_unexpanded_quickly() -> None:
    site = Site()
    with serve(site):
        site.route("/bomb.xml", static(fixture("bomb.xml"), "application/rss+xml"))
        site.route("/bomb-map.xml", static(fixture("bomb.xml").replace(b"rss", b"urlset"), "application/xml"))
        t0 = time.monotonic()
        feed = run(_read(Source("bomb", "rss", f"{site.base}/bomb.xml", allow_private=True)))
        smap = run(_read(Source("bomb-map", "sitemap", f"{site.base}/bomb-map.xml", allow_private=True)))
    assert time.monotonic() - t0 < 5
    for out in (feed, smap):
        assert not out.ok and out.links == () and "entit" in (out.problem or "")


ENTITY_FEED = """<?xml version="1.0"?><!DOCTYPE rss [ {decl} ]>
<rss version="2.0"><channel><title>t</title>
<item><title>Caf&eacute;{use}</title><link>/e/entity-feed-item.html</link></item></channel></rss>"""


@pytest.mark.parametrize(
    ("decl", "use", "refused"),
    [
        ('<!ENTITY eacute "&#233;">', "", False),  # a character entity, as real feeds declare
        ('<!ENTITY eacute "&#233;"> <!ENTITY big "' + "x" * 5000 + '">', "&big;" * 200, True),  # quadratic
        ('<!ENTITY eacute SYSTEM "file:///etc/passwd">', "", True),  # external
        ('<!ENTITY % p "x"> <!ENTITY eacute "&#233;">', "", True),  # parameter entity
    ],
)
def test_entity_declarations_policy(decl: str, use: str, refused: bool) -> None:
    body = ENTITY_FEED.format(decl=decl, use=use).encode()
    out = parse_feed(body, "https://example.org/feed.xml", "s")
    if refused:
        assert out.problem and "entit" in out.problem and out.links == ()
    else:
        assert out.problem is None and out.links[0].title == "Café"


def test_empty_feed_is_fine_and_html_or_binary_at_a_feed_url_is_a_problem() -> None:
    site = Site()
    with serve(site):
        site.route("/empty.xml", static(fixture("empty.xml"), "application/rss+xml"))
        site.route("/html", static("<html><body><p>Not a feed</p></body></html>"))
        site.route("/png", static(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"))
        empty = run(_read(Source("e", "rss", f"{site.base}/empty.xml", allow_private=True)))
        html = run(_read(Source("h", "rss", f"{site.base}/html", allow_private=True)))
        png = run(_read(Source("p", "rss", f"{site.base}/png", allow_private=True)))
    assert empty.ok and empty.links == ()
    assert not html.ok and "feed" in (html.problem or "")
    assert not png.ok and "image/png" in (png.problem or "")


def test_faults_are_logged_and_never_stop_other_sources(tmp_path: Path) -> None:
    site = Site()
    with serve(site):
        site.route("/good.xml", static(fixture("rss20.xml"), "application/rss+xml"))
        site.route("/500.xml", static(b"", "text/plain", 500))
        site.route("/slow.xml", slow(2.0))
        site.route("/bomb.xml", static(fixture("bomb.xml"), "application/rss+xml"))
        srcs = [Source(n, "rss", f"{site.base}/{n}.xml", allow_private=True) for n in ("good", "500", "slow", "bomb")]
        opts = FetchOptions(read_timeout_s=0.5, connect_timeout_s=0.5, total_timeout_s=1.0, retries=1,
                           backoff_base_s=0.05)

        async def go() -> Any:
            async with Fetcher(opts) as f:
                outs = await read_sources(f, srcs, {}, 100)
                local = [lk for o in outs for lk in o.links if lk.url.startswith(site.base)]  # no traffic elsewhere
                pages = await fetch_pages(f, local)
                return outs, pages

        outcomes, pages = run(go())
    by = {o.source.name: o for o in outcomes}
    assert by["good"].ok and len(by["good"].links) == 2 and by["good"].skipped == 1
    assert [o.attempt.error_class for o in outcomes[1:]] == ["http_500", "timeout", None]
    con = connect(tmp_path / "t.duckdb")
    try:
        store_sources.register(con, srcs)
        with transaction(con):
            for o in outcomes:
                store_sources.record_outcome(con, o)
            store_articles.record_fetches(con, [a for o in outcomes for a in o.attempts] + [a for _, a in pages], "r1")
        rows = con.execute("SELECT source, url, error_class, attempts FROM fetches ORDER BY source").fetchall()
        health = store_sources.health(con)
    finally:
        con.close()
    logged = {r[0]: r for r in rows if r[1].endswith(".xml")}
    assert logged["500"][2:] == ("http_500", 2) and logged["slow"][2:] == ("timeout", 2)
    assert health["bomb"][1] == 1 and health["bomb"][2] == "bad_feed"
    assert health["good"][1] == 0 and health["good"][0] is not None


def test_failing_source_waits_a_growing_interval(tmp_path: Path) -> None:
    assert [store_sources.retry_interval(n) for n in (1, 2, 3, 4)] == [
        timedelta(0), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]
    assert store_sources.retry_interval(40) == timedelta(hours=24)
    site = Site()
    with serve(site):
        src = Source("dead", "rss", f"{site.base}/dead.xml", allow_private=True)
        out = run(_read(src))
    con = connect(tmp_path / "t.duckdb")
    try:
        store_sources.register(con, [src])
        now = datetime(2025, 6, 9, 12, tzinfo=UTC)
        store_sources.record_outcome(con, out, now)
        assert store_sources.due(con, [src], now) == [src]  # first failure: try again next run
        store_sources.record_outcome(con, out, now)
        assert store_sources.due(con, [src], now + timedelta(minutes=29)) == []
        assert store_sources.due(con, [src], now + timedelta(minutes=31)) == [src]
        store_sources.record_outcome(con, out, now)
        assert store_sources.due(con, [src], now + timedelta(minutes=59)) == []
    finally:
        con.close()
