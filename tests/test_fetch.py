"""The HTTP client and source reading against a real loopback server."""

from __future__ import annotations

import asyncio
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from core.errors import ErrorClass, FetchRefusedError, ReewatchError
from core.records import Link, NoArticle, Page, Source
from fetch.discover import allowed_link, fetch_page, read_source
from fetch.http import Fetcher, Response, read_file_url
from fetch.options import FetchOptions
from tests.loopback import Site, send, serve, slow, static

OPTS = FetchOptions(read_timeout_s=1.0, connect_timeout_s=1.0, total_timeout_s=3.0, max_bytes=50_000, retries=2)
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>One</title><link>/a/one.html</link><pubDate>Mon, 09 Jun 2025 10:00:00 GMT</pubDate></item>
<item><title>One again</title><link>/a/one.html</link></item>
<item><title>No link</title></item>
<item><title>Two</title><link>{base}/a/two.html</link></item>
<item><title>Elsewhere private</title><link>http://10.1.2.3/x.html</link></item>
</channel></rss>"""


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _get(url: str, opts: FetchOptions = OPTS) -> Response:
    async with Fetcher(opts) as f:
        return await f.get(url, "test")


def test_feed_links_resolved_deduplicated_and_counted() -> None:
    site = Site()
    with serve(site):
        site.route("/feed.xml", static(RSS.replace("{base}", site.base), "application/rss+xml"))
        src = Source("s", "rss", f"{site.base}/feed.xml", allow_private=True)

        async def go() -> Any:
            async with Fetcher(OPTS) as f:
                return await read_source(f, src)

        out = run(go())
    urls = [lk.url for lk in out.links]
    assert urls == [f"{site.base}/a/one.html", f"{site.base}/a/two.html"]
    assert out.skipped == 2  # the item without a link, and the private address on another host
    assert out.links[0].published_at is not None and out.links[0].published_at.year == 2025
    assert out.ok


def test_404_is_not_retried_and_503_is() -> None:
    site = Site()
    calls = {"n": 0}

    def flaky(req: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        if calls["n"] < 2:
            send(req, 503, b"busy", "text/plain", {"Retry-After": "0"})
        else:
            send(req, 200, b"<html><body>ok</body></html>")

    with serve(site):
        site.route("/flaky", flaky)
        missing = run(_get(f"{site.base}/missing"))
        ok = run(_get(f"{site.base}/flaky"))
    assert not missing.ok and missing.attempt.error_class == "http_404" and missing.attempt.attempts == 1
    assert site.hits["/missing"] == 1
    assert ok.ok and ok.attempt.attempts == 2


def test_oversized_body_is_cut_off_not_loaded() -> None:
    site = Site()
    with serve(site):
        site.route("/big", static(b"<html>" + b"x" * 200_000 + b"</html>"))
        r = run(_get(f"{site.base}/big"))
    assert not r.ok and r.attempt.error_class == "too_large" and r.body == b""


def test_a_refusal_is_a_reewatch_error_and_logs_its_class(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    big.write_bytes(b"x" * (OPTS.max_bytes + 1))
    with pytest.raises(FetchRefusedError) as refused:
        read_file_url(big.as_uri(), OPTS.max_bytes)
    assert isinstance(refused.value, ReewatchError)
    assert refused.value.error_class is ErrorClass.TOO_LARGE and refused.value.url == big.as_uri()
    r = run(_get(big.as_uri()))
    # the client catches it: a failed attempt whose class is the member, equal to its plain name
    assert not r.ok and r.attempt.error_class is ErrorClass.TOO_LARGE and r.attempt.error_class == "too_large"
    assert r.attempt.error == f"file larger than {OPTS.max_bytes} bytes; cut off"


def test_timeout_is_recorded() -> None:
    site = Site()
    with serve(site):
        site.route("/slow", slow(2.5))
        r = run(_get(f"{site.base}/slow", FetchOptions(read_timeout_s=0.5, connect_timeout_s=0.5, total_timeout_s=1, retries=0)))
    assert not r.ok and r.attempt.error_class == "timeout"


def test_unreachable_host_is_a_connect_error_not_an_exception() -> None:
    r = run(_get("http://127.0.0.1:9/nothing", FetchOptions(retries=0, connect_timeout_s=1)))
    assert not r.ok and r.attempt.error_class in ("connect", "timeout")


def test_binary_served_as_page_is_no_article() -> None:
    site = Site()
    with serve(site):
        site.route("/img", static(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png"))
        site.route("/page", static("<html><head><meta charset='latin-1'></head><body>caf\xe9</body></html>".encode("latin-1"), "text/html"))

        async def go() -> Any:
            async with Fetcher(OPTS) as f:
                return (await fetch_page(f, Link(f"{site.base}/img", "s")), await fetch_page(f, Link(f"{site.base}/page", "s")))

        (img, _), (page, _) = run(go())
    assert isinstance(img, NoArticle) and "image/png" in img.reason
    assert isinstance(page, Page) and "café" in page.html


def test_file_urls_replay_offline(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(RSS.replace("{base}", f"file://{tmp_path}"), encoding="utf-8")
    src = Source("replay", "file", f"file://{tmp_path}/feed.xml")

    async def go() -> Any:
        async with Fetcher(OPTS) as f:
            return await read_source(f, src)

    out = run(go())
    assert out.ok
    assert f"file://{tmp_path}/a/two.html" in [lk.url for lk in out.links]


def test_private_links_refused_unless_source_is_there() -> None:
    public = Source("p", "rss", "https://example.org/feed")
    local = Source("l", "rss", "http://127.0.0.1:8000/feed.xml", allow_private=True)
    assert allowed_link("https://news.example.com/a", public)
    assert not allowed_link("http://127.0.0.1:8000/a", public)
    assert not allowed_link("http://169.254.169.254/latest/meta-data", public)
    assert not allowed_link("ftp://example.org/a", public)
    assert allowed_link("http://127.0.0.1:8000/a", local)
    assert not allowed_link("http://192.168.1.1/a", local)


def _loopback_alias() -> str | None:
    """A host name other than localhost that /etc/hosts maps to a loopback address (no DNS traffic)."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split("#")[0].split()
        if len(parts) >= 2 and parts[0].startswith(("127.", "::1")):
            for name in parts[1:]:
                if name != "localhost" and not name.endswith(".localhost") and "." not in name.strip("."):
                    return name
    return None


def test_discovered_name_resolving_to_loopback_is_refused() -> None:
    import pytest

    name = _loopback_alias()
    if name is None:
        pytest.skip("no loopback alias in /etc/hosts")
    site = Site()
    with serve(site):
        site.route("/a", static("<html><body>inside</body></html>"))
        port = site.base.rsplit(":", 1)[1]

        async def go() -> Any:
            async with Fetcher(OPTS) as f:
                return await fetch_page(f, Link(f"http://{name}:{port}/a", "s"))

        page, attempt = run(go())
    assert page is None and attempt.error_class == "private_address" and "/a" not in site.hits
