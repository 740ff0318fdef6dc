"""GDELT against a loopback fake of its DOC API, through the real ingest and DuckDB: a busy
look-back whose windows overflow 250 records, malformed JSON (a bad ``\\escape``), a plain-text
throttle notice with status 200, and a 429.  No window is skipped across runs, and a back-off
is stored with the source and honoured by the next run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from core.records import Source
from fetch.gdelt import GDELT_MAX_RECORDS, decode_backlog, encode_backlog, loads_tolerant, parse_gdelt
from fetch.options import FetchOptions
from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings
from tests.loopback import Handler, Site, send, serve

WORDS = ["magnet", "exporters", "licence", "quota", "smelter", "refinery", "dysprosium", "terbium", "neodymium",
         "shipment", "customs", "ministry", "tariff", "cargo", "port", "warehouse", "contract", "buyers", "supply",
         "chain", "auction", "price", "index"]
# A window wider than this answers 250 records (only its newest articles): GDELT's cap hides the rest.
COMPLETE_WITHIN = timedelta(hours=3)
THROTTLE = b"Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com for larger queries."


def article_html(n: int, title: str) -> bytes:
    """A plain news page whose text differs per ``n`` (so dedup keeps them apart)."""
    words = [WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(60)]
    paras = "".join(f"<p>Report {n}, part {k}: {' '.join(words[k * 12:(k + 1) * 12])} said officials on day {n}.</p>"
                    for k in range(5))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paras}</article></body></html>".encode()


def page(i: int) -> Handler:
    return lambda req: send(req, 200, article_html(i, f"Export licence report {i}"))


@dataclass
class FakeGdelt:
    """The DOC API over a fixed set of articles, one every 30 minutes of the look-back."""

    site: Site
    articles: list[tuple[datetime, str, str]] = field(default_factory=list)  # (seen, url, title)
    mode: str = "ok"  # ok | text | 429 | bad_escape
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)  # answered completely
    api_hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def setup(self, hours: float, now: datetime) -> None:
        n = int(hours * 2)
        for i in range(n):
            seen = now - timedelta(minutes=30 * i + 10)
            title = f"Export licence report {i}" if i % 5 else f"Moody\\'s view on quota {i}"  # GDELT's bad escape
            path = f"/news/a{i}.html"
            self.articles.append((seen, self.site.base + path, title))
            self.site.route(path, page(i))
        self.site.route("/api/v2/doc/doc", self.api)

    def api(self, req: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.api_hits += 1
        if self.mode == "text":
            send(req, 200, THROTTLE, "text/plain")
            return
        if self.mode == "429":
            send(req, 429, b"Too Many Requests", "text/plain")
            return
        q = parse_qs(urlsplit(req.path).query)
        start = datetime.strptime(q["startdatetime"][0], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        end = datetime.strptime(q["enddatetime"][0], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        inside = sorted((a for a in self.articles if start <= a[0] < end), reverse=True)
        if end - start > COMPLETE_WITHIN and inside:
            inside = [inside[i % min(2, len(inside))] for i in range(GDELT_MAX_RECORDS)]  # full: newest 2 only
        else:
            with self.lock:
                self.windows.append((start, end))
        # Titles go in raw, as GDELT writes them: a ``\'`` stays an invalid JSON escape.
        records = [f'{{"url": "{u}", "title": "{t}", "seendate": "{s:%Y%m%dT%H%M%SZ}", "language": "English"}}'
                   for s, u, t in inside]
        if self.mode == "bad_escape" and records:
            records.insert(1, '{"url": "https://broken.example/x", "title": "cut \\u12 off", "seendate": }')
        send(req, 200, ('{"articles": [' + ", ".join(records) + "]}").encode(), "application/json")


def _plan(db: Path, base: str, **fetch: object) -> IngestPlan:
    opts = FetchOptions(read_timeout_s=2.0, connect_timeout_s=1.0, total_timeout_s=5.0, retries=2,
                        backoff_base_s=0.05, **fetch)  # type: ignore[arg-type]
    settings = load_settings(db=db, fetch=opts, extract_workers=0)
    source = Source("gdelt-test", "gdelt", f"{base}/api/v2/doc/doc?query=%22rare%20earth%22&timespan=1d",
                    allow_private=True)
    return IngestPlan(settings=settings, sources=(source,))


def _stored(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT url FROM documents").fetchall()}
    finally:
        con.close()


def _sql(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_tolerant_parsing_salvages_what_parses() -> None:
    bad = b'{"articles": [{"url": "https://a.example/1", "title": "Moody\\\'s cut", "seendate": "20250609T101500Z"}]}'
    parsed, n = parse_gdelt(bad, "g")
    assert n == 1 and parsed.problem is None and parsed.links[0].title == "Moody\\'s cut"
    assert "repaired" in (parsed.warning or "")
    # A record broken beyond repair is counted and left out; the records around it are kept.
    torn = ('{"articles": [{"url": "https://a.example/1", "title": "one"}, {"url": "https://a.example/2", '
            '"title": "bad \\u12", "seendate": }, {"url": "https://a.example/3", "title": "tab\there"}]}')
    data, lost, repaired = loads_tolerant(torn)
    assert repaired and lost == 1 and [a["url"] for a in data["articles"]] == ["https://a.example/1", "https://a.example/3"]
    parsed, n = parse_gdelt(torn.encode(), "g")
    assert n == 3 and parsed.skipped == 1 and len(parsed.links) == 2
    assert parse_gdelt(THROTTLE, "g")[0].problem is not None  # plain text is no JSON at all
    # Valid escapes are untouched (an escaped backslash followed by a quote character).
    assert loads_tolerant('{"t": "a\\\\\'b \\u00e9"}')[0] == {"t": "a\\'b \u00e9"}
    now = datetime(2025, 6, 9, 12, tzinfo=UTC)
    windows = ((now - timedelta(hours=3), now - timedelta(hours=2)), (now - timedelta(hours=1), now))
    assert decode_backlog(encode_backlog(windows)) == windows and decode_backlog("not json") == ()


@pytest.mark.slow
def test_busy_first_run_leaves_a_backlog_and_no_window_is_skipped(tmp_path: Path) -> None:
    site = Site()
    db = tmp_path / "g.duckdb"
    with serve(site):
        fake = FakeGdelt(site)
        now = datetime.now(UTC)
        fake.setup(12, now)
        plan = _plan(db, site.base, gdelt_lookback_h=12, gdelt_max_requests=2)
        first = run_ingest(plan, stages=DIRECT_STAGES)
        backlog = decode_backlog(_sql(db, "SELECT backlog FROM sources")[0][0])  # type: ignore[arg-type]
        # 12 h (full) → its older 6 h (full): the budget is spent, three windows wait, oldest first.
        assert fake.api_hits == 2 and len(backlog) == 3 and backlog == tuple(sorted(backlog))
        assert "windows left for the next runs" in (first.sources[0].warning or "")
        runs = 1
        while backlog and runs < 8:
            run_ingest(plan, stages=DIRECT_STAGES)
            backlog = decode_backlog(_sql(db, "SELECT backlog FROM sources")[0][0])  # type: ignore[arg-type]
            runs += 1
    # Each run reads 2 windows and queues 1 new one: the backlog drains within a few runs.
    assert not backlog and runs <= 6
    assert _stored(db) == {url for _, url, _ in fake.articles}  # every article of the look-back
    # The complete answers cover the look-back with no gap.
    covered = sorted(fake.windows)
    reach = covered[0][0]
    assert reach <= now - timedelta(hours=12) + timedelta(minutes=1)
    for start, end in covered:
        assert start <= reach, f"gap before {start}"
        reach = max(reach, end)
    assert reach >= now


@pytest.mark.slow
def test_throttle_backs_off_across_runs_and_loses_no_window(tmp_path: Path) -> None:
    site = Site()
    db = tmp_path / "g.duckdb"
    with serve(site):
        fake = FakeGdelt(site)
        fake.setup(2, datetime.now(UTC))
        plan = _plan(db, site.base, gdelt_lookback_h=2, gdelt_max_requests=4)

        fake.mode = "text"  # status 200, a plain-text notice
        throttled = run_ingest(plan, stages=DIRECT_STAGES).sources[0]
        assert fake.api_hits == 1 and not throttled.ok and "backing off until" in (throttled.error or "")
        until = _sql(db, "SELECT backoff_until FROM sources")[0][0]
        assert isinstance(until, datetime) and timedelta(minutes=10) < until - datetime.now(UTC) < timedelta(minutes=20)

        resting = run_ingest(plan, stages=DIRECT_STAGES).sources[0]  # the next run honours it: no request
        assert fake.api_hits == 1 and resting.ok and "backing off until" in (resting.warning or "")

        _sql(db, "UPDATE sources SET backoff_until = now() - INTERVAL 1 MINUTE")  # the back-off has passed
        fake.mode = "429"
        run_ingest(plan, stages=DIRECT_STAGES)
        assert fake.api_hits == 2, "a 429 from GDELT is not retried within the run (retries=2)"
        assert _sql(db, "SELECT backoff_until > now() FROM sources")[0][0] is True
        assert _stored(db) == set()

        _sql(db, "UPDATE sources SET backoff_until = now() - INTERVAL 1 MINUTE")
        fake.mode = "bad_escape"
        healed = run_ingest(plan, stages=DIRECT_STAGES).sources[0]
    # The window first refused by the throttle is read now: nothing of the look-back is lost, the
    # record with a bad escape is kept, the torn record is skipped, the rest salvaged.
    assert healed.ok and "repaired" in (healed.warning or "")
    assert _stored(db) == {url for _, url, _ in fake.articles}
    assert _sql(db, "SELECT backlog, backoff_until FROM sources")[0] == ("[]", None)
