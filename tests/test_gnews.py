"""Google News against a fake news.google.com on loopback, modelled on the real one: an RSS search
feed whose items carry ``<source url=…>``, the robots.txt Google serves (item links disallowed),
article pages with ``data-n-a-sg`` / ``data-n-a-ts``, the ``batchexecute`` endpoint, and the EU
consent redirect.  Default mode stores leads without a single article request; ``resolve = true``
stores the publisher's articles, and falls back to leads when the decode fails."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pytest

from core.records import Link, Source
from fetch.feeds import parse_feed
from fetch.gnews import batchexecute_body, interstitial, lead_snippet, parse_batchexecute, publisher_links, signature
from fetch.options import FetchOptions
from pipeline.ingest import run_ingest
from pipeline.leads import lead_article
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import SourceSettings, load_settings
from tests.loopback import Site, send, serve, static
from tests.test_gdelt import article_html

# news.google.com/robots.txt as served (issue #19): everything disallowed but front pages.
GOOGLE_ROBOTS = """User-agent: *
Disallow: /
Allow: /$
Allow: /home
Allow: /topics/
Allow: /publications/
Allow: /stories/
Allow: /swg/
Allow: /about
"""
CONSENT_TEXT = "Before you continue to Google We use cookies and data to deliver and maintain Google services"
HEADLINES = (
    "China tightens rare earth export licences for magnet makers",
    "Rare earth magnet prices climb as export curbs bite",
    "Lynas expands rare earth processing in Malaysia",
)
OUTLETS = (("Example Ledger", "https://www.example-ledger.com"), ("Wire Daily", "https://wire-daily.example"),
           ("Metal Bulletin", "https://metal-bulletin.example"))


@dataclass
class FakeGoogleNews:
    """The Google News host and the publishers' host it decodes to."""

    gnews: Site
    publisher: Site
    mode: str = "ok"  # ok | decode_fails | consent
    posts: list[dict[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self, i: int) -> str:
        return f"CBMiAU_yqLfake{i}token"

    def setup(self, now: datetime) -> None:
        g = self.gnews
        g.route("/robots.txt", static(GOOGLE_ROBOTS, "text/plain"))
        items = "".join(
            f"<item><title>{h} - {OUTLETS[i][0]}</title>"
            f"<link>{g.base}/rss/articles/{self.token(i)}?oc=5</link>"
            f"<guid isPermaLink=\"false\">{self.token(i)}</guid>"
            f"<pubDate>{format_datetime(now - timedelta(minutes=20 * i))}</pubDate>"
            f"<description>&lt;a href=\"{g.base}/rss/articles/{self.token(i)}?oc=5\"&gt;{h}&lt;/a&gt;&amp;nbsp;"
            f"&amp;nbsp;&lt;font color=\"#6f6f6f\"&gt;{OUTLETS[i][0]}&lt;/font&gt;</description>"
            f"<source url=\"{OUTLETS[i][1]}\">{OUTLETS[i][0]}</source></item>"
            for i, h in enumerate(HEADLINES)
        )
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>"rare earth" - Google News</title><language>en-US</language>{items}</channel></rss>'
        g.route("/rss/search", static(feed, "application/rss+xml; charset=utf-8"))
        for i in range(len(HEADLINES)):
            g.route(f"/rss/articles/{self.token(i)}", self._article_page(i))
            self.publisher.route(f"/news/story-{i}.html", static(article_html(i, HEADLINES[i])))
        g.route("/consent.google.com/ml", static(f"<html><body><h1>{CONSENT_TEXT}</h1><p>{CONSENT_TEXT}. "
                                                  f"Accept all. Reject all.</p></body></html>"))
        g.route("/_/DotsSplashUi/data/batchexecute", self._batchexecute)

    def _article_page(self, i: int):  # type: ignore[no-untyped-def]
        def h(req: BaseHTTPRequestHandler) -> None:
            if self.mode == "consent":
                send(req, 302, b"", "text/plain",
                     {"Location": f"{self.gnews.base}/consent.google.com/ml?continue={self.token(i)}"})
                return
            body = (f'<html><body><c-wiz><div jscontroller="aLI87" data-n-a-sg="SIG{i}x" '
                    f'data-n-a-ts="17330{i}0000" data-n-a-id="{self.token(i)}"></div></c-wiz>'
                    f"<script>window.location='https://news.google.com';</script></body></html>")
            send(req, 200, body.encode())
        return h

    def _batchexecute(self, req: BaseHTTPRequestHandler) -> None:
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0)).decode()
        freq = json.loads(parse_qs(body)["f.req"][0])
        inner = json.loads(freq[0][0][1])
        with self.lock:
            self.posts.append({"rpc": freq[0][0][0], "token": inner[2], "ts": inner[3], "sig": inner[4]})
        if self.mode == "decode_fails":
            send(req, 400, b")]}'\n\n[[\"er\",null,null,null,null,400]]", "application/json")
            return
        i = next(k for k in range(len(HEADLINES)) if self.token(k) == inner[2])
        url = f"{self.publisher.base}/news/story-{i}.html"
        payload = json.dumps(["garturlres", url, 1])
        answer = ")]}'\n\n" + json.dumps([["wrb.fr", "Fbv4je", payload, None, None, None, "generic"], ["di", 36]])
        send(req, 200, answer.encode(), "application/json; charset=utf-8")

    def article_requests(self) -> int:
        return sum(n for p, n in self.gnews.hits.items() if p.startswith("/rss/articles/")) + self.publisher.page_hits()


def _plan(db: Path, source: Source) -> IngestPlan:
    opts = FetchOptions(read_timeout_s=2.0, connect_timeout_s=1.0, total_timeout_s=5.0, retries=0)
    settings = load_settings(db=db, fetch=opts, extract_workers=0, batch_size=64)
    return IngestPlan(settings=settings, sources=(source,))


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_feed_items_give_outlet_snippet_and_a_redirect_mark() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>q</title>
    <item><title>Magnet exports resume - Example Ledger</title>
    <link>https://news.google.com/rss/articles/CBMiAU_yqLxyz?oc=5</link>
    <description>&lt;a href="x"&gt;Magnet exports resume&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font&gt;Example Ledger&lt;/font&gt;</description>
    <source url="https://www.example-ledger.com">Example Ledger</source></item></channel></rss>"""
    parsed = parse_feed(feed, "https://news.google.com/rss/search?q=x", "gn")
    (lk,) = publisher_links(parsed.links)
    assert (lk.title, lk.outlet, lk.outlet_url, lk.redirect) == (
        "Magnet exports resume", "Example Ledger", "https://www.example-ledger.com", True)
    assert lk.snippet is None, "Google's description only repeats the headline and the outlet"
    assert lead_snippet("Magnet exports resume. Shipments restart Monday. Example Ledger",
                        "Magnet exports resume - Example Ledger", "Example Ledger") == "Shipments restart Monday."
    art = lead_article(lk)
    assert (art.kind, art.site, art.site_name, art.url, art.text) == (
        "lead", "example-ledger.com", "Example Ledger", lk.url, "Magnet exports resume")


def test_decode_parts_match_the_real_formats() -> None:
    html = '<c-wiz><div jscontroller="aLI87" data-n-a-sg="AZ5r3e" data-n-a-ts="1733000000"></div></c-wiz>'
    assert signature(html) == ("AZ5r3e", "1733000000")
    assert signature("<html>a JavaScript page</html>") is None
    freq = json.loads(parse_qs(batchexecute_body("CBMiTOKEN", "1733000000", "AZ5r3e"))["f.req"][0])
    assert freq[0][0][0] == "Fbv4je"
    assert json.loads(freq[0][0][1])[2:] == ["CBMiTOKEN", 1733000000, "AZ5r3e"]
    answer = ")]}'\n\n" + json.dumps([["wrb.fr", "Fbv4je", json.dumps(["garturlres", "https://pub.example/a", 1]),
                                       None, None, None, "generic"], ["di", 36]])
    assert parse_batchexecute(answer) == "https://pub.example/a"
    assert parse_batchexecute(")]}'\n\n[[\"er\",null]]") is None
    assert parse_batchexecute("<html>sorry</html>") is None
    assert interstitial("https://consent.google.com/ml?continue=x")
    assert interstitial("https://www.google.com/sorry/index?continue=x")
    assert interstitial("https://pub.example/a") is None


@pytest.mark.slow
def test_default_mode_stores_leads_without_article_requests_and_refetches_nothing(tmp_path: Path) -> None:
    gnews, publisher = Site(), Site()
    db = tmp_path / "g.duckdb"
    with serve(gnews), serve(publisher):
        fake = FakeGoogleNews(gnews, publisher)
        fake.setup(datetime.now(UTC))
        plan = _plan(db, Source("gn", "gnews", f"{gnews.base}/rss/search?q=rare+earth", allow_private=True))
        first = run_ingest(plan, stages=DIRECT_STAGES)
        second = run_ingest(plan, stages=DIRECT_STAGES)
    assert fake.article_requests() == 0 and not fake.posts
    assert gnews.hits.get("/rss/search") == 2
    r1, r2 = first.sources[0], second.sources[0]
    assert (r1.ok, r1.links, r1.leads, r1.new_links, r1.errors, r1.warning) == (True, 3, 3, 3, 0, None)
    assert (r2.leads, r2.new_links, r2.errors) == (0, 0, 0)
    assert first.fetch_errors == 0
    rows = _rows(db, "SELECT kind, title, outlet, site, url, lang, published_at IS NOT NULL FROM articles ORDER BY title")
    assert [r[0] for r in rows] == ["lead"] * 3
    assert {r[1] for r in rows} == set(HEADLINES)
    assert {r[2] for r in rows} == {o for o, _ in OUTLETS}
    assert {r[3] for r in rows} == {"example-ledger.com", "wire-daily.example", "metal-bulletin.example"}
    assert all(str(r[4]).startswith(f"{gnews.base}/rss/articles/") for r in rows)
    assert {r[5] for r in rows} == {"en"} and all(r[6] for r in rows)
    assert _rows(db, "SELECT outcome, count(*) FROM seen_urls GROUP BY 1") == [("lead", 3)]
    assert _rows(db, "SELECT count(*) FROM fetches WHERE NOT ok") == [(0,)]
    labels = dict(_rows(db, "SELECT title, relevance_label FROM articles"))
    assert labels[HEADLINES[0]] in ("relevant", "adjacent")


def _no_google_text(db: Path) -> None:
    texts = _rows(db, "SELECT title || ' ' || text FROM documents")
    assert texts and not any("cookies" in str(t[0]) or "window.location" in str(t[0]) or "Before you continue"
                             in str(t[0]) for t in texts)


@pytest.mark.slow
def test_resolve_stores_the_publisher_articles(tmp_path: Path) -> None:
    gnews, publisher = Site(), Site()
    db = tmp_path / "g.duckdb"
    with serve(gnews), serve(publisher):
        fake = FakeGoogleNews(gnews, publisher)
        fake.setup(datetime.now(UTC))
        src = Source("gn", "gnews", f"{gnews.base}/rss/search?q=rare+earth", allow_private=True, resolve=True)
        first = run_ingest(_plan(db, src), stages=DIRECT_STAGES)
        hits = fake.article_requests()
        run_ingest(_plan(db, src), stages=DIRECT_STAGES)
        again = fake.article_requests() - hits
    assert [p["rpc"] for p in fake.posts] == ["Fbv4je"] * 3
    assert {(p["sig"], p["ts"]) for p in fake.posts} == {(f"SIG{i}x", int(f"17330{i}0000")) for i in range(3)}
    assert first.sources[0].stored == 3 and first.sources[0].leads == 0
    rows = _rows(db, "SELECT kind, url FROM articles ORDER BY url")
    assert rows == [("article", f"{publisher.base}/news/story-{i}.html") for i in range(3)]
    assert again == 0, "resolved links are remembered"
    _no_google_text(db)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["decode_fails", "consent"])
def test_resolve_falls_back_to_leads(tmp_path: Path, mode: str) -> None:
    gnews, publisher = Site(), Site()
    db = tmp_path / "g.duckdb"
    with serve(gnews), serve(publisher):
        fake = FakeGoogleNews(gnews, publisher, mode=mode)
        fake.setup(datetime.now(UTC))
        src = Source("gn", "gnews", f"{gnews.base}/rss/search?q=rare+earth", allow_private=True, resolve=True)
        first = run_ingest(_plan(db, src), stages=DIRECT_STAGES)
        tried = fake.article_requests()
        run_ingest(_plan(db, src), stages=DIRECT_STAGES)
    assert publisher.page_hits() == 0
    assert tried == 3 and fake.article_requests() == tried, "a lead is never fetched again"
    assert first.sources[0].leads == 3
    assert _rows(db, "SELECT DISTINCT kind FROM articles") == [("lead",)]
    _no_google_text(db)


def test_resolve_is_a_gnews_source_option() -> None:
    assert SourceSettings(name="g", kind="gnews", url="https://news.google.com/rss/search?q=x", resolve=True).to_record().resolve
    assert not SourceSettings(name="r", kind="rss", url="https://x.example/feed", resolve=True).to_record().resolve
    assert Link("u", "s").redirect is False


@pytest.mark.slow
def test_a_lead_joins_the_story_of_the_article_its_headline_matches(tmp_path: Path) -> None:
    gnews, publisher = Site(), Site()
    db = tmp_path / "g.duckdb"
    now = datetime.now(UTC)
    with serve(gnews), serve(publisher):
        fake = FakeGoogleNews(gnews, publisher)
        fake.setup(now)
        feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>pub</title><item><title>{HEADLINES[0]}'
                f"</title><link>{publisher.base}/news/story-0.html</link>"
                f"<pubDate>{format_datetime(now)}</pubDate></item></channel></rss>")
        publisher.route("/feed.xml", static(feed, "application/rss+xml"))
        for src in (Source("pub", "rss", f"{publisher.base}/feed.xml", allow_private=True),
                    Source("gn", "gnews", f"{gnews.base}/rss/search?q=rare+earth", allow_private=True)):
            run_ingest(_plan(db, src), stages=DIRECT_STAGES)
    story = dict(_rows(db, "SELECT kind || ':' || title, story_id FROM articles"))
    assert story[f"lead:{HEADLINES[0]}"] == story[f"article:{HEADLINES[0]}"]
    assert story[f"lead:{HEADLINES[1]}"] != story[f"article:{HEADLINES[0]}"]

