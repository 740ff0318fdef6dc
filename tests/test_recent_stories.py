"""recent_relevant_stories(days) (store/migrations/008_story_rollup.sql, read from story_rollup) on a
real DuckDB file: the same rows, columns and order as the relevant_stories view restricted to stories
with a member first seen in the window, older members included -- after inserts through save_batch,
rescores that change labels, imports, and on a file upgraded from before the rollup existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from core.records import Article, TopicScore, TriagedArticle
from reewatch.query import run_readonly
from store.articles import save_batch, set_meta
from store.db import connect, migrations
from store.importing import save_exported
from store.labels import save_scores

DEFAULT = "rare-earth-trade"
NOW = datetime.now(UTC)

# (canonical url, story, days ago, outlet site, site_name, duplicate_of, default-topic score, label)
ROWS = [
    # a relevant story that started 20 days ago and got a new member 2 days ago: in the 7-day answer,
    # aggregated over both members (its best score is the old one)
    ("https://a.example/1", "s-spans", 20.0, "a.example", "Alpha", None, 0.95, "relevant"),
    ("https://b.example/1", "s-spans", 2.0, "b.example", None, None, 0.7, "relevant"),
    # relevant, every member old: only in the 30-day answer
    ("https://c.example/1", "s-old", 15.0, "c.example", None, None, 0.9, "relevant"),
    # recent, with a copy and three outlets
    ("https://a.example/2", "s-new", 1.0, "a.example", "Alpha", None, 0.8, "relevant"),
    ("https://d.example/2", "s-new", 0.5, "d.example", None, "https://a.example/2", 0.79, "relevant"),
    ("https://e.example/2", "s-new", 0.2, "e.example", None, None, 0.6, "adjacent"),
    # recent but irrelevant
    ("https://f.example/3", "s-irrelevant", 1.0, "f.example", None, None, 0.1, "irrelevant"),
    # its best member is adjacent, so the story is not relevant although one member is
    ("https://g.example/4", "s-adjacent-top", 3.0, "g.example", None, None, 0.85, "adjacent"),
    ("https://h.example/4", "s-adjacent-top", 3.5, "h.example", None, None, 0.75, "relevant"),
    # a member with no score at all, beside a relevant one
    ("https://i.example/5", "s-unscored", 4.0, "i.example", None, None, None, None),
    ("https://j.example/5", "s-unscored", 4.5, "j.example", "Jay", None, 0.65, "relevant"),
]


def triaged(row: tuple[object, ...]) -> TriagedArticle:
    url, story, days_ago, site, site_name, dup, score, label = row
    assert isinstance(url, str) and isinstance(story, str) and isinstance(days_ago, float)
    at = NOW - timedelta(days=days_ago)
    art = Article(url=url, canonical_url=url, title=f"Title of {url}", text="body", site=str(site), lang="en",
                  published_at=at - timedelta(hours=1), first_seen_at=at, source="src", content_hash=url,
                  site_name=site_name if isinstance(site_name, str) else None)
    # another topic must not change the default-topic answer
    scores = [TopicScore("other-topic", 0.99, "relevant", ("other",), "test")]
    if isinstance(score, float):
        scores.append(TopicScore(DEFAULT, score, label, (f"why {url}",), "test"))  # type: ignore[arg-type]
    return TriagedArticle(art, (1.0, 0.0), dup if isinstance(dup, str) else None, story, tuple(scores))


def _build(path: Path) -> Path:
    """Stored oldest first, in two batches: the second adds members to stories of the first."""
    con = connect(path)
    try:
        set_meta(con, "default_topic", DEFAULT)
        ordered = [triaged(r) for r in sorted(ROWS, key=lambda r: -float(r[2]))]  # type: ignore[arg-type]
        save_batch(con, ordered[:4], [], [], model="m", run_id="r1")
        save_batch(con, ordered[4:], [], [], model="m", run_id="r2")
    finally:
        con.close()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return _build(tmp_path / "recent.duckdb")


def _reference(con: duckdb.DuckDBPyConnection, days: int) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT * FROM relevant_stories WHERE story_id IN "
        "(SELECT story_id FROM documents WHERE first_seen_at >= now() - to_days(?::INTEGER)) "
        "ORDER BY relevance_score DESC, member_count DESC, first_seen_at DESC",
        [days],
    ).fetchall()


def assert_macro_is_the_view(con: duckdb.DuckDBPyConnection) -> None:
    for days in (1, 7, 30):
        cur = con.execute("SELECT * FROM recent_relevant_stories(?)", [days])
        cols = [d[0] for d in cur.description or []]
        got = cur.fetchall()  # before the next execute (con.execute returns the connection itself)
        view_cols = [d[0] for d in con.execute("SELECT * FROM relevant_stories LIMIT 0").description or []]
        assert cols == view_cols
        assert got == _reference(con, days), days


def test_macro_equals_the_view_restricted_to_the_window(db: Path) -> None:
    con = connect(db, read_only=True)
    try:
        assert_macro_is_the_view(con)
        assert con.execute("SELECT count(*) FROM recent_relevant_stories(30)").fetchone() == (4,)
    finally:
        con.close()


def test_which_stories_and_old_members_are_counted(db: Path) -> None:
    cols, rows = run_readonly(db, "SELECT story_id, member_count, outlets, relevance_score, first_seen_at "
                                  "FROM recent_relevant_stories(7)")
    assert cols[0] == "story_id"
    assert [r[0] for r in rows] == ["s-spans", "s-new", "s-unscored"]
    spans = rows[0]
    assert spans[1] == 2 and spans[2] == ["Alpha", "b.example"] and spans[3] == 0.95
    assert spans[4] < NOW - timedelta(days=19)  # the old member is aggregated too
    assert rows[1][1:3] == (3, ["Alpha", "d.example", "e.example"])
    assert [r[0] for r in run_readonly(db, "SELECT story_id FROM recent_relevant_stories(30)")[1]] == [
        "s-spans", "s-old", "s-new", "s-unscored"]
    assert run_readonly(db, "SELECT * FROM recent_relevant_stories(0)")[1] == []


def test_rescored_labels_move_stories_in_and_out(db: Path) -> None:
    con = connect(db)
    try:
        save_scores(con, [
            ("https://f.example/3", TopicScore(DEFAULT, 0.97, "relevant", ("rescored",), "h2")),   # in, and first
            ("https://a.example/1", TopicScore(DEFAULT, 0.3, "irrelevant", ("rescored",), "h2")),  # best is now b
            ("https://h.example/4", TopicScore(DEFAULT, 0.9, "relevant", ("rescored",), "h2")),    # beats g
            ("https://c.example/1", TopicScore("other-topic", 0.1, "irrelevant", (), "h2")),     # not the default
        ])
        assert_macro_is_the_view(con)
        got = con.execute("SELECT story_id, relevance_score, reasons FROM recent_relevant_stories(7)").fetchall()
        assert got[:2] == [("s-irrelevant", 0.97, ["rescored"]), ("s-adjacent-top", 0.9, ["rescored"])]
        assert ("s-spans", 0.7, ["why https://b.example/1"]) in got
    finally:
        con.close()


def test_imported_articles_join_and_start_stories(db: Path) -> None:
    con = connect(db)
    try:
        new = triaged(("https://k.example/6", "s-old", 0.1, "k.example", "Kay", None, 0.5, "adjacent"))
        fresh = triaged(("https://m.example/7", "s-imported", 0.3, "m.example", None, None, 0.99, "relevant"))
        assert save_exported(con, [new, fresh], {}, model="m", default_topic=DEFAULT) == 2
        assert_macro_is_the_view(con)
        ids = [r[0] for r in con.execute("SELECT story_id FROM recent_relevant_stories(1)").fetchall()]
        assert ids == ["s-imported", "s-old", "s-new"]  # s-old is active again through its imported member
    finally:
        con.close()


def _pre_rollup_file(path: Path) -> None:
    """A file as reewatch wrote it before 008: migrations 001-007 applied, rows written by SQL."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL)")
    for version, name, sql in migrations():
        if version < 8:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    con.execute("INSERT INTO meta VALUES ('default_topic', ?)", [DEFAULT])
    for url, story, days_ago, site, site_name, dup, score, label in ROWS:
        at = NOW - timedelta(days=days_ago)
        con.execute(
            "INSERT INTO documents (canonical_url, url, title, text, site, site_name, first_seen_at, published_at, "
            "source, content_hash, duplicate_of, story_id) VALUES (?, ?, ?, 'body', ?, ?, ?, ?, 'src', ?, ?, ?)",
            [url, url, f"Title of {url}", site, site_name, at, at - timedelta(hours=1), url, dup, story],
        )
        if score is not None:
            con.execute("INSERT INTO relevance VALUES (?, ?, ?, ?, ?, 'test', ?)",
                        [url, DEFAULT, score, label, [f"why {url}"], at])
    con.close()


def test_an_upgraded_old_file_gets_a_full_rollup(tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    _pre_rollup_file(old)
    # read-only open upgrades the file first (store.db.connect), then answers from the backfilled rollup
    assert [r[0] for r in run_readonly(old, "SELECT story_id FROM recent_relevant_stories(7)")[1]] == [
        "s-spans", "s-new", "s-unscored"]
    con = connect(old, read_only=True)
    try:
        assert_macro_is_the_view(con)
        assert con.execute("SELECT count(*) FROM story_rollup").fetchone() == (6,)
    finally:
        con.close()
    # and the upgraded file answers like one built through save_batch
    built = _build(tmp_path / "built.duckdb")
    assert run_readonly(old, "SELECT * FROM recent_relevant_stories(30)")[1] == run_readonly(
        built, "SELECT * FROM recent_relevant_stories(30)")[1]


def test_macro_answers_on_an_empty_database(tmp_path: Path) -> None:
    connect(tmp_path / "empty.duckdb").close()
    assert run_readonly(tmp_path / "empty.duckdb", "SELECT * FROM recent_relevant_stories(7)")[1] == []
