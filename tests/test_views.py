"""The documented views on a real DuckDB file: they return what docs/schema.md and docs/queries.md say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from core.records import FetchAttempt, NoArticle, TopicScore, TriagedArticle
from extract.article import article_from_text
from store import articles as store_articles
from store.db import connect

DEFAULT = "rare-earth-trade"
# Times relative to now, so "today" and "this week" queries have something to find.
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
T0 = TODAY - timedelta(days=1) + timedelta(hours=6)


def _art(url: str, text: str, at: datetime, *, title: str, source: str, site_name: str | None = None,
         published: datetime | None = None) -> TriagedArticle:
    a = article_from_text(text, url=url, source=source, fetched_at=at, title=title, published_at=published)
    from dataclasses import replace

    return TriagedArticle(replace(a, site_name=site_name), (1.0, 0.0, 0.0), None, "", ())


def _with(t: TriagedArticle, story: str, dup: str | None, *scores: TopicScore) -> TriagedArticle:
    return TriagedArticle(t.article, t.embedding, dup, story, tuple(scores))


def sample_triaged() -> list[TriagedArticle]:
    """Three stories over two days, one copy, two topics, every label."""
    lic = "China's commerce ministry requires a licence for every shipment of rare earth magnets. " * 4
    short = "Carmakers in Europe warn of magnet shortages as export controls bite. " * 4
    earn = "A retailer reported quarterly earnings above forecasts on strong holiday sales. " * 4
    gal = "Gallium and germanium export rules tighten as chip makers look for other suppliers. " * 4
    a1 = _art("https://alpha.example/licences", lic, T0, title="China tightens rare-earth licences", source="wire",
              site_name="Alpha News", published=T0 - timedelta(hours=2))
    b1 = _art("https://beta.example/licences-copy", lic, T0 + timedelta(hours=1), title="China tightens rare-earth licences",
              source="feed-b")
    c1 = _art("https://gamma.example/licence-rules", lic.replace("every", "each"), T0 + timedelta(hours=3),
              title="Beijing's new licence rules for magnets", source="feed-b", published=T0 - timedelta(hours=3))
    d2 = _art("https://delta.example/shortage", short, TODAY + timedelta(minutes=5), title="Carmakers warn of magnet shortage",
              source="wire")
    e3 = _art("https://alpha.example/earnings", earn, TODAY + timedelta(minutes=10), title="Retailer beats forecasts",
              source="wire", site_name="Alpha News")
    g4 = _art("https://beta.example/gallium", gal, TODAY + timedelta(minutes=20), title="Gallium rules tighten",
              source="feed-b")

    def rel(score: float, label: str, *reasons: str) -> TopicScore:
        return TopicScore(DEFAULT, score, label, reasons)  # type: ignore[arg-type]

    minerals = TopicScore("critical-minerals", 0.6, "adjacent", ("minerals",))
    return [
        _with(a1, "s-licence", None, rel(0.9, "relevant", "licence", "rare earth"), minerals),
        _with(b1, "s-licence", a1.article.url, rel(0.88, "relevant", "licence")),
        _with(c1, "s-licence", None, rel(0.8, "relevant", "licence")),
        _with(d2, "s-shortage", None, rel(0.75, "relevant", "shortage")),
        _with(e3, "s-earnings", None, rel(0.05, "irrelevant")),
        _with(g4, "s-gallium", None, rel(0.5, "adjacent", "gallium"), TopicScore("critical-minerals", 0.9, "relevant")),
    ]


def build_db(path: Path) -> Path:
    """A database with the sample articles, two configured sources and a few fetches."""
    con = connect(path)
    store_articles.set_meta(con, "default_topic", DEFAULT)
    now = datetime.now(UTC)
    attempts = [
        FetchAttempt("wire", "https://alpha.example/licences", 200, True, None, None, 5000, 120.0, 1, now),
        FetchAttempt("feed-b", "https://beta.example/x", None, False, "timeout", "read timed out", 0, 10000.0, 3, now),
    ]
    store_articles.save_batch(con, sample_triaged(), [NoArticle("https://beta.example/index", "feed-b", "too short")],
                              attempts, model="m", run_id="r1")
    con.executemany(
        "INSERT INTO sources (name, kind, url, last_attempt_at, last_success_at, consecutive_failures, last_error_class) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [["wire", "rss", "https://alpha.example/feed", now, now, 0, None],
         ["feed-b", "rss", "https://beta.example/feed", now, now - timedelta(days=2), 4, "timeout"],
         ["quiet", "sitemap", "https://quiet.example/sitemap.xml", None, None, 0, None]],
    )
    con.close()
    return path


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "views.duckdb")


def _rows(db: Path, sql: str) -> list[dict[str, object]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def test_articles_view_has_default_topic_scores_and_all_topics(sample_db: Path) -> None:
    rows = {r["url"]: r for r in _rows(sample_db, "SELECT * FROM articles")}
    assert len(rows) == 6
    a1 = rows["https://alpha.example/licences"]
    assert a1["relevance_label"] == "relevant" and a1["relevance_score"] == pytest.approx(0.9)
    assert a1["relevance_reasons"] == ["licence", "rare earth"]
    assert a1["topics"] == {"critical-minerals": pytest.approx(0.6), DEFAULT: pytest.approx(0.9)}
    assert a1["outlet"] == "Alpha News" and a1["is_copy"] is False
    copy = rows["https://beta.example/licences-copy"]
    assert copy["duplicate_of"] == "https://alpha.example/licences" and copy["is_copy"] is True
    assert copy["outlet"] == "beta.example"
    assert rows["https://delta.example/shortage"]["first_seen_day"] == TODAY.date()


def test_stories_group_members_with_outlets_and_reasons(sample_db: Path) -> None:
    stories = {r["story_id"]: r for r in _rows(sample_db, "SELECT * FROM stories")}
    lic = stories["s-licence"]
    assert lic["member_count"] == 3 and lic["original_count"] == 2 and lic["outlet_count"] == 3
    assert lic["outlets"] == ["Alpha News", "beta.example", "gamma.example"]
    assert lic["representative_url"] == "https://alpha.example/licences"
    assert lic["headline"] == "China tightens rare-earth licences"
    assert lic["first_outlet"] == "Alpha News"
    assert lic["relevance_label"] == "relevant" and lic["reasons"] == ["licence", "rare earth"]
    urls = lic["urls"]
    assert isinstance(urls, list) and urls[0] == "https://alpha.example/licences" and len(urls) == 3
    assert lic["first_published_at"] == T0 - timedelta(hours=3)


def test_relevant_stories_are_relevant_only_best_first(sample_db: Path) -> None:
    rows = _rows(sample_db, "SELECT story_id, relevance_label, outlets, reasons FROM relevant_stories")
    assert [r["story_id"] for r in rows] == ["s-licence", "s-shortage"]
    assert all(r["relevance_label"] == "relevant" for r in rows)
    assert rows[1]["outlets"] == ["delta.example"] and rows[1]["reasons"] == ["shortage"]


def test_daily_volume_counts_per_day_and_topic(sample_db: Path) -> None:
    rows = {(r["day"], r["topic"]): r for r in _rows(sample_db, "SELECT * FROM daily_volume")}
    yesterday, today = (T0 - timedelta(hours=3)).date(), TODAY.date()
    # the licence story: a1 published the day before at 04:00, c1 at 03:00, the copy has no date (first seen)
    y = rows[(yesterday, DEFAULT)]
    assert (y["articles"], y["originals"], y["stories"], y["new_stories"], y["relevant"]) == (3, 2, 1, 1, 3)
    t = rows[(today, DEFAULT)]
    assert (t["articles"], t["relevant"], t["adjacent"], t["irrelevant"], t["new_stories"]) == (3, 1, 1, 1, 3)
    assert rows[(today, "critical-minerals")]["relevant"] == 1
    assert rows[(yesterday, "critical-minerals")]["adjacent"] == 1
    assert t["mean_score"] == pytest.approx((0.75 + 0.05 + 0.5) / 3)


def test_source_health_joins_config_fetches_and_articles(sample_db: Path) -> None:
    rows = {r["source"]: r for r in _rows(sample_db, "SELECT * FROM source_health")}
    assert set(rows) == {"wire", "feed-b", "quiet"}
    assert rows["wire"]["status"] == "ok" and rows["wire"]["articles"] == 3 and rows["wire"]["relevant"] == 2
    assert rows["wire"]["fetches_24h"] == 1 and rows["wire"]["errors_24h"] == 0
    fb = rows["feed-b"]
    assert fb["status"] == "failing" and fb["errors_24h"] == 1 and fb["last_error_class"] == "timeout"
    assert fb["articles"] == 3 and fb["articles_7d"] == 3
    assert rows["quiet"]["status"] == "never succeeded" and rows["quiet"]["articles"] == 0


def test_imported_source_is_listed_as_not_configured(tmp_path: Path) -> None:
    db = tmp_path / "imp.duckdb"
    con = connect(db)
    store_articles.save_batch(con, sample_triaged()[:1], [], [], model="m", run_id="r")
    con.close()
    rows = _rows(db, "SELECT source, status, articles FROM source_health")
    assert rows == [{"source": "wire", "status": "not configured", "articles": 1}]
