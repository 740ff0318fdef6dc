"""Delivery through real servers on loopback: SMTP (aiosmtpd) and a JSON webhook; exactly-once bookkeeping."""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from digest.run import run_alerts, run_digest
from digest.settings import ChannelSettings, DigestSettings
from reewatch.cli import app
from store.db import connect
from tests.test_digest_compose import NOW, add_article, build_db

STORIES = {"s-licences", "s-carmaker", "s-talks"}
OUTLET_URLS = {"https://wire.example/licences", "https://paper.example/licences-copy",
               "https://auto.example/line-stops", "https://trade.example/talks"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def mailto(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=reewatch@example.org&to=analyst@example.org"


class StoryLinks(HTMLParser):
    """Story ids (data-story-id) and hrefs of an HTML digest."""

    def __init__(self) -> None:
        super().__init__()
        self.stories: list[str] = []
        self.links: list[str] = []
        self.svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("data-story-id"):
            self.stories.append(str(a["data-story-id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        self.svg += tag == "svg"


def html_part(msg: EmailMessage) -> StoryLinks:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None, "the e-mail has no HTML part"
    p = StoryLinks()
    p.feed(part.get_content())
    return p


def _sent_items(db: Path) -> list[tuple[str, str]]:
    con = connect(db)
    rows = con.execute("SELECT channel, story_id FROM digest_items ORDER BY 1, 2").fetchall()
    con.close()
    return rows


def test_email_digest_over_real_smtp_once_then_nothing(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    port = free_port()
    with smtp_server(port) as inbox:
        first = run_digest(db, tmp_path / "out", [mailto(port)], now=NOW)
        assert [(r.outcome, r.stories) for r in first] == [("sent", 3)]
        assert len(inbox.messages) == 1
        msg = inbox.messages[0]
        assert msg["To"] == "analyst@example.org" and "3 new stories" in str(msg["Subject"])
        page = html_part(msg)
        assert sorted(page.stories) == sorted(STORIES)  # every story, none twice
        assert set(page.links) >= OUTLET_URLS and page.svg == 1
        assert msg.get_body(preferencelist=("plain",)) is not None
        second = run_digest(db, tmp_path / "out", [mailto(port)], now=NOW + timedelta(hours=1))
        assert [r.outcome for r in second] == ["nothing-new"] and len(inbox.messages) == 1
    assert "pass" not in first[0].target


def test_smtp_down_marks_nothing_sent_and_the_next_run_delivers(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    port = free_port()  # nothing listens here yet
    down = run_digest(db, tmp_path / "out", [mailto(port)], now=NOW)
    assert [(r.outcome, r.stories) for r in down] == [("failed", 3)]
    assert down[0].error and "nothing was marked sent" in down[0].error
    assert _sent_items(db) == []
    con = connect(db)
    assert con.execute("SELECT outcome, error IS NOT NULL FROM digests").fetchall() == [("failed", True)]
    con.close()
    with smtp_server(port) as inbox:
        retry = run_digest(db, tmp_path / "out", [mailto(port)], now=NOW + timedelta(minutes=10))
        assert [(r.outcome, r.stories) for r in retry] == [("sent", 3)]
        assert sorted(html_part(inbox.messages[0]).stories) == sorted(STORIES)
    assert {s for _, s in _sent_items(db)} == STORIES


class Hook:
    """A loopback HTTP server that records JSON POSTs and answers with ``status``."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200


@contextmanager
def webhook() -> Iterator[tuple[Hook, int]]:
    hook = Hook()

    class H(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hook.bodies.append(json.loads(body))
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_json_webhook_receives_the_digest_and_a_500_is_retried(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    with webhook() as (hook, port):
        url = f"json://127.0.0.1:{port}/hook"
        hook.status = 500
        assert [r.outcome for r in run_digest(db, tmp_path / "o", [url], now=NOW)] == ["failed"]
        assert _sent_items(db) == []
        hook.status = 200
        ok = run_digest(db, tmp_path / "o", [url], now=NOW)
        assert [(r.outcome, r.stories, r.target) for r in ok] == [("sent", 3, url)]
        payload = hook.bodies[-1]
        assert "3 new stories" in payload["title"]
        assert payload["message"].count("## ") == 3 and "https://auto.example/line-stops" in payload["message"]
        assert [r.outcome for r in run_digest(db, tmp_path / "o", [url], now=NOW)] == ["nothing-new"]
        assert len(hook.bodies) == 2


def test_breaking_alert_goes_once_rate_limited_and_not_again_in_the_digest(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    with webhook() as (hook, port):
        ds = DigestSettings(
            dir=tmp_path / "o", alert_threshold=0.8, alert_max_per_hour=1, alert_window_h=48,
            channels=[ChannelSettings(name="ops", url=f"json://127.0.0.1:{port}/alerts", alerts=True)],
        )
        first = run_alerts(db, ds, now=NOW)  # two stories ≥ 0.8 but one alert per hour
        assert [(r.kind, r.outcome) for r in first] == [("alert", "sent")]
        assert hook.bodies[0]["title"] == "Breaking: Beijing tightens licences for magnet exports"
        assert run_alerts(db, ds, now=NOW + timedelta(minutes=20)) == []  # rate-limited
        later = run_alerts(db, ds, now=NOW + timedelta(minutes=61))
        assert [r.outcome for r in later] == ["sent"] and "Carmaker" in hook.bodies[1]["title"]
        assert run_alerts(db, ds, now=NOW + timedelta(hours=3)) == []  # nothing is sent twice
        from digest.run import channels_from_settings

        digest = run_digest(db, tmp_path / "o", [], channels=channels_from_settings(ds), now=NOW + timedelta(hours=4))
        assert [(r.outcome, r.stories) for r in digest] == [("sent", 1)]
        assert "Trade talks" in hook.bodies[-1]["message"] and "Beijing tightens" not in hook.bodies[-1]["message"]


def test_preview_writes_html_and_marks_nothing_then_nothing_new_message_when_configured(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    cfg = tmp_path / "reewatch.toml"
    out = tmp_path / "digests"
    with webhook() as (hook, port):
        cfg.write_text(
            f'db = "{db}"\ndata_dir = "{tmp_path}"\n[digest]\ndir = "{out}"\nlookback_days = 100000\n'
            f'[[digest.channels]]\nname = "hook"\nurl = "json://127.0.0.1:{port}/d"\nnothing_new = true\n',
            encoding="utf-8",
        )
        runner = CliRunner()
        res = runner.invoke(app, ["digest", "--config", str(cfg), "--preview"])
        assert res.exit_code == 0, res.output
        previews = list(out.glob("preview-*.html"))
        assert len(previews) == 1 and "<svg" in previews[0].read_text(encoding="utf-8")
        assert "nothing marked sent" in res.output and _sent_items(db) == [] and hook.bodies == []
        res = runner.invoke(app, ["digest", "--config", str(cfg)])
        assert res.exit_code == 0, res.output
        assert "3 stories" in res.output and len(hook.bodies) == 1
        res = runner.invoke(app, ["digest", "--config", str(cfg)])
        assert res.exit_code == 0 and "nothing new" in res.output
        assert len(hook.bodies) == 2 and "nothing new" in hook.bodies[1]["title"]
        add_article(db, ("https://new.example/x", "s-new", 0.7, "relevant", 0, "Japan stockpiles magnets",
                         "Japan said it would build a national stockpile of rare-earth magnets for carmakers."))
        res = runner.invoke(app, ["digest", "--config", str(cfg), "--channel", "hook", "--format", "text"])
        assert res.exit_code == 0, res.output
        assert "1 story" in res.output and "1. Japan stockpiles magnets" in hook.bodies[2]["message"]
        assert runner.invoke(app, ["digest", "--config", str(cfg), "--channel", "nope"]).exit_code == 2


@pytest.mark.parametrize("url", ["not-a-scheme://x", "json://127.0.0.1:1/closed"])
def test_bad_or_unreachable_targets_fail_clearly(tmp_path: Path, url: str) -> None:
    db = build_db(tmp_path / "d.duckdb")
    res = run_digest(db, tmp_path / "o", [url], now=NOW)
    assert res[0].outcome == "failed" and res[0].error and ("Apprise" in res[0].error or "retries" in res[0].error)
    assert _sent_items(db) == []
