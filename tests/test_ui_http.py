"""``reewatch ui`` as a real server process on loopback, spoken to over HTTP: the guards (CSRF,
token beyond loopback, Host and Origin checks, the Content-Security-Policy), the pages, and the
digest's links into it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from digest.render_html import to_html
from digest.render_text import to_markdown, to_text
from digest.run import DigestOptions, channel_for_target, compose_for
from digest.settings import DigestSettings
from reewatch.ui.routes import ROUTES
from reewatch.ui.writes import PendingLabels
from store.db import connect
from tests.test_ui_support import TOPIC, UiServer, build_ui_db, rows, ui_server, wait_for

pytestmark = pytest.mark.slow

PAGES = ["/stories", "/stories?lang=de&order=relevant&since=30d", "/story/s-licences", "/dismiss/s-licences",
         "/sources", "/volume?days=90", "/retrain"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    work = tmp_path_factory.mktemp("ui-http")
    db = build_ui_db(work / "ui.duckdb")
    # a label a previous server queued and could not write before it stopped
    PendingLabels(db).add({"id": "left-over", "urls": ["https://metals.example/gallium"], "topic": TOPIC,
                           "label": "relevant", "what": "label gallium relevant"})
    with ui_server(db, work) as s:
        yield s


@contextmanager
def _session(server: UiServer) -> Iterator[tuple[httpx.Client, str]]:
    """A client that has visited a page: it holds the session's CSRF cookie."""
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as client:
        assert client.get("/stories").status_code == 200
        csrf = client.cookies.get("reewatch_csrf")
        assert csrf
        yield client, csrf


def _labels(db: Path) -> list[tuple[object, ...]]:
    return rows(db, "SELECT canonical_url, topic, label FROM labels ORDER BY 1")


def test_pages_answer_under_a_policy_that_allows_no_script(server: UiServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for path in PAGES:
            r = client.get(path)
            assert r.status_code == 200, (path, r.text[:500])
            policy = r.headers["content-security-policy"]
            assert "default-src 'self'" in policy and "script-src 'none'" in policy and "unsafe-inline" not in policy
            assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
            assert "<script" not in r.text.lower() and "http://" not in r.text.split("<body>")[0]
            assert re.search(r"app;dur=[0-9.]+", r.headers["server-timing"])
        css = client.get("/static/style.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert client.get("/story/no-such-story").status_code == 404
        assert client.get("/stories?label=maybe").status_code == 400
        assert client.get("/stories?since=yesterday").status_code == 400


def test_every_post_needs_the_sessions_csrf_token(server: UiServer) -> None:
    posts = sorted({r.path for r in ROUTES if "POST" in (getattr(r, "methods", None) or ())})
    assert posts == ["/label", "/retrain", "/retrain/confirm"]
    form = {"story": "s-talks", "url": "https://trade.example/talks", "label": "irrelevant", "topic": TOPIC,
            "next": "/stories"}
    with _session(server) as (client, csrf):
        for path in posts:
            assert client.post(path, data=form).status_code == 403, path
            assert client.post(path, data={**form, "csrf": "not-the-token"}).status_code == 403, path
            stranger = httpx.post(f"{server.url}{path}", data={**form, "csrf": csrf}, timeout=30)  # no cookie
            assert stranger.status_code == 403, path
        assert "CSRF" in client.post("/label", data=form).text
        huge = client.post("/label", content=b"csrf=" + csrf.encode() + b"&x=" + b"y" * 20_000,
                           headers={"content-type": "application/x-www-form-urlencoded"})
        assert huge.status_code == 413
        assert client.post("/label", data={**form, "csrf": csrf},
                           headers={"Origin": "https://evil.example"}).status_code == 403
    assert _labels(server.db) == [], "nothing refused was written"


def test_a_request_for_another_host_name_is_refused(server: UiServer) -> None:
    # a page elsewhere that rebinds its own name to 127.0.0.1 sends that name
    r = httpx.get(f"{server.url}/stories", headers={"Host": "evil.example"}, timeout=30)
    assert r.status_code == 421 and "Beijing" not in r.text


def test_a_digest_with_base_url_links_to_story_pages_that_exist(server: UiServer) -> None:
    con = connect(server.db, read_only=True)
    try:
        settings = DigestSettings(lookback_days=30)
        d = compose_for(con, channel_for_target("file"), DigestOptions(settings=settings, base_url=server.url),
                        datetime.now(UTC))
        plain = compose_for(con, channel_for_target("file"), DigestOptions(settings=settings), datetime.now(UTC))
    finally:
        con.close()
    html = to_html(d)
    stories = re.findall(r'class="story-page" href="([^"]+)"', html)
    dismiss = re.findall(r'class="not-relevant" href="([^"]+)"', html)
    assert len(stories) == len(dismiss) == len(d.new) + len(d.updates) >= 5
    assert all(u in to_markdown(d) and u in to_text(d) for u in stories + dismiss)
    with httpx.Client(timeout=30) as client:
        for entry, url in zip(d.new, stories, strict=False):
            page = client.get(url)
            assert page.status_code == 200 and f'data-url="{entry.item.outlets[0].url}"' in page.text, url
        for url in dismiss:
            page = client.get(url)
            assert page.status_code == 200 and "Mark this story not relevant?" in page.text
            assert 'action="/label"' in page.text and 'value="irrelevant"' in page.text
    assert _labels(server.db) == [], "following a digest link changes nothing"
    assert "story-page" not in to_html(plain) and "Story page" not in to_markdown(plain)


def test_the_dismiss_confirmation_labels_the_story_when_posted(server: UiServer) -> None:
    with _session(server) as (client, csrf):
        page = client.get("/dismiss/s-tram")
        assert page.status_code == 200
        r = client.post("/label", data={"csrf": csrf, "story": "s-tram", "label": "irrelevant", "topic": TOPIC,
                                        "next": "/story/s-tram"})
        assert r.status_code == 303 and r.headers["location"].startswith("/story/s-tram?job=")
        shown = client.get(r.headers["location"]).text
    assert ("saved: irrelevant" in shown and "your label" in shown) or "queued:" in shown
    wait_labels(server.db, [("https://city.example/tram", TOPIC, "irrelevant")])


def wait_labels(db: Path, expected: list[tuple[object, ...]], timeout_s: float = 300) -> None:
    wait_for(lambda: all(e in _labels(db) for e in expected), timeout_s, f"labels {expected}")


def test_a_label_left_queued_by_a_stopped_server_is_written_at_the_next_start(server: UiServer) -> None:
    wait_labels(server.db, [("https://metals.example/gallium", TOPIC, "relevant")])
    wait_for(lambda: not PendingLabels(server.db).path.exists(), 30, "the pending file to empty")


def test_beyond_loopback_every_request_needs_the_token(tmp_path: Path) -> None:
    db = build_ui_db(tmp_path / "token.duckdb")
    # bound to every interface, reached through loopback: the token is generated and printed once
    with ui_server(db, tmp_path, host="0.0.0.0") as s:
        printed = re.findall(r"\?token=([A-Za-z0-9_-]+)", s.output())
        assert len(printed) == 1, s.output()
        token = printed[0]
        with httpx.Client(base_url=s.url, follow_redirects=False, timeout=30) as client:
            for path in ("/stories", "/story/s-licences", "/static/style.css", "/healthz"):
                r = client.get(path)
                assert r.status_code == 401 and "Beijing" not in r.text, path
            assert client.post("/label", data={"story": "s-talks", "label": "irrelevant"}).status_code == 401
            assert client.get("/stories", headers={"X-Reewatch-Token": token[:-1] + "x"}).status_code == 401
            assert client.get("/stories?token=wrong").status_code == 401
            assert client.get("/stories", headers={"X-Reewatch-Token": token}).status_code == 200
            first = client.get(f"/stories?lang=de&token={token}")
            assert first.status_code == 303 and first.headers["location"] == "/stories?lang=de", "token out of the URL"
            assert token not in (client.cookies.get("reewatch_token") or token), "the cookie is not the token"
            page = client.get("/stories?lang=de")
            assert page.status_code == 200 and "Bundesregierung" in page.text
    assert _labels(db) == []
