"""What the reading-room tests share: a real DuckDB file of invented articles (some in German and
French, some copies, some whose titles and texts are attacks), and ``reewatch ui`` run as a real
server process on loopback.  No tests here."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from core.records import Article, Source, TopicScore, TriagedArticle
from store import articles as store_articles
from store.db import connect
from store.sources import register

REPO = Path(__file__).resolve().parents[1]
TOPIC = "rare-earth-trade"
NOW = datetime.now(UTC).replace(microsecond=0)
# A cold `reewatch ui` (Python, Starlette, the topic profiles) starts in 2-4 s; busy cores take longer.
START_TIMEOUT_S = 90.0

XSS_TITLE = '<script>window.__xss = 1; alert(1)</script>Magnet "><img src=x onerror="window.__xss=2;alert(2)"> exports'
XSS_TEXT = ('Rare-earth magnet exports fell.</p><script>window.__xss = 3</script>\n'
            '"><img src=x onerror=window.__xss=4> <svg onload=window.__xss=5></svg> Licences were delayed.')
XSS_OUTLET = '<b onmouseover="window.__xss=6">Evil Outlet</b>'


@dataclass(frozen=True)
class Doc:
    url: str
    story: str
    title: str
    text: str
    lang: str
    hours_ago: float
    score: float
    label: str
    source: str
    duplicate_of: str | None = None
    site_name: str | None = None


# Invented news (prose written for these tests).  Stored scores are what an older head gave:
# the tram story is stored "relevant" by mistake, so a re-score moves it.
DOCS = [
    Doc("https://wire.example/licences", "s-licences", "Beijing tightens licences for magnet exports",
        "Beijing said exporters of rare-earth magnets will need a licence for every shipment.\n"
        "The commerce ministry listed seven medium and heavy rare earths covered by the rule.", "en", 5, 0.92,
        "relevant", "wire-feed", site_name="Wire"),
    Doc("https://paper.example/licences-copy", "s-licences", "Magnet exporters face licence rule",
        "Beijing said exporters of rare-earth magnets will need a licence for every shipment.", "en", 4, 0.90,
        "relevant", "paper-feed", duplicate_of="https://wire.example/licences", site_name="Paper"),
    Doc("https://zeitung.example/lizenzen", "s-licences", "Peking verschärft Lizenzen für Magnetexporte",
        "Exporteure von Seltenerd-Magneten brauchen künftig für jede Lieferung eine Lizenz, teilte Peking mit.",
        "de", 3, 0.85, "relevant", "zeitung", site_name="Zeitung"),
    Doc("https://auto.example/line-stops", "s-carmaker", "Carmaker halts a line for want of magnets",
        "A European carmaker stopped one assembly line after rare-earth magnet deliveries from China ran late.",
        "en", 30, 0.81, "relevant", "auto-feed", site_name="Auto News"),
    Doc("https://journal.example/aimants", "s-carmaker", "Un constructeur arrête une ligne faute d'aimants",
        "Un constructeur européen a arrêté une chaîne de montage, faute d'aimants en terres rares venus de Chine.",
        "fr", 28, 0.70, "relevant", "journal", site_name="Journal"),
    Doc("https://trade.example/talks", "s-talks", "Trade talks in London turn to rare earths",
        "Negotiators met in London to discuss export controls on rare earths and critical minerals.", "en", 60,
        0.66, "relevant", "trade-feed", site_name="Trade Daily"),
    Doc("https://rohstoff.example/fonds", "s-fonds", "Bundesregierung plant Rohstofffonds für Seltene Erden",
        "Die Bundesregierung will einen Fonds auflegen, der Vorräte an Seltenen Erden für die Industrie sichert.",
        "de", 50, 0.70, "relevant", "rohstoff", site_name="Rohstoff-Kurier"),
    Doc("https://metals.example/gallium", "s-gallium", "Gallium prices climb", "Gallium prices rose for a third "
        "week as buyers looked for non-Chinese supply of gallium and germanium.", "en", 10, 0.35, "adjacent",
        "metals-feed", site_name="Metals Weekly"),
    Doc("https://city.example/tram", "s-tram", "City council approves new tram line",
        "The council voted to build a tram line to the airport, with trains running by 2029.", "en", 80, 0.75,
        "relevant", "city-feed", site_name="City Paper"),
    Doc("https://evil.example/xss", "s-xss", XSS_TITLE, XSS_TEXT, "en", 120, 0.30, "adjacent", "evil-feed",
        site_name=XSS_OUTLET),
    Doc("javascript:window.__xss=7", "s-xss", "A link that is a script", "Rare earths. " + XSS_TEXT, "en", 119, 0.2,
        "adjacent", "evil-feed", duplicate_of="https://evil.example/xss"),
]


def triaged(d: Doc) -> TriagedArticle:
    seen = NOW - timedelta(hours=d.hours_ago)
    art = Article(url=d.url, canonical_url=d.url, title=d.title, text=d.text,
                  site=d.url.split("/")[2] if "//" in d.url else "evil.example", lang=d.lang, published_at=seen,
                  first_seen_at=seen, source=d.source, content_hash=hashlib.sha1(d.text.encode()).hexdigest(),
                  site_name=d.site_name)
    reasons = (("names rare earths in the title", "export-control terms: licence, exporters")
               if d.label == "relevant" else ("rare earths named only in passing",))
    score = TopicScore(TOPIC, d.score, d.label, reasons, "exemplars-prior-1")  # type: ignore[arg-type]
    return TriagedArticle(art, (1.0, 0.0, 0.0), d.duplicate_of, d.story, (score,))


def build_ui_db(path: Path, docs: list[Doc] | None = None) -> Path:
    con = connect(path)
    try:
        store_articles.set_meta(con, "default_topic", TOPIC)
        store_articles.save_batch(con, [triaged(d) for d in docs or DOCS], [], [], model="m", run_id="t")
        register(con, [Source("wire-feed", "rss", "https://wire.example/feed.xml"),
                       Source("dead-feed", "rss", "https://dead.example/feed.xml")])
        con.execute("UPDATE sources SET last_attempt_at = ?, last_success_at = ?, consecutive_failures = 0 "
                    "WHERE name = 'wire-feed'", [NOW, NOW])
        con.execute("UPDATE sources SET last_attempt_at = ?, consecutive_failures = 4, last_error_class = 'http_5xx', "
                    "last_error = 'HTTP 503 <b>from</b> the feed', next_attempt_at = ? WHERE name = 'dead-feed'",
                    [NOW, NOW + timedelta(hours=2)])
    finally:
        con.close()
    return path


def rows(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    """A read of the file the server writes: waits while its writer holds it, as a reader must."""
    con = connect(db, read_only=True, wait_s=30)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class UiServer:
    url: str
    db: Path
    proc: subprocess.Popen[str]
    log: Path
    token: str = ""

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def ui_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REEWATCH_") and k != "PREFECT_API_URL"}
    env.update(PYTHONPATH=str(REPO), COLUMNS="250", **extra)
    return env


@contextmanager
def ui_server(db: Path, workdir: Path, *, host: str = "127.0.0.1", connect_host: str = "127.0.0.1",
              token: str = "", env: dict[str, str] | None = None) -> Iterator[UiServer]:
    """``reewatch ui`` on a free port of ``host``, from ``workdir`` (so no ./reewatch.toml of the repo
    applies; Prefect state under the test session's PREFECT_HOME), until the block ends."""
    port = free_port(host if host != "0.0.0.0" else "127.0.0.1")
    extra = dict(env or {})
    if token:
        extra["REEWATCH_UI__TOKEN"] = token
    log = workdir / f"ui-{port}.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reewatch.cli", "ui", "--db", str(db), "--host", host, "--port", str(port)],
            cwd=workdir, env=ui_env(**extra), stdout=out, stderr=subprocess.STDOUT, text=True,
        )
    server = UiServer(f"http://{connect_host}:{port}", db, proc, log, token)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"reewatch ui exited with {proc.returncode}:\n{server.output()}")
            try:
                headers = {"X-Reewatch-Token": token} if token else {}
                if httpx.get(f"{server.url}/healthz", headers=headers, timeout=2.0).status_code in (200, 401):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"reewatch ui did not answer in {START_TIMEOUT_S:.0f} s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(check: object, timeout_s: float, what: str, every_s: float = 0.5) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)
