"""recent_relevant_stories(days) (store/migrations/007_recent.sql) on a real DuckDB file: the same
rows, columns and order as the relevant_stories view restricted to stories with a member first
seen in the window, older members included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from reewatch.query import run_readonly
from store.db import connect

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
    ("https://d.example/2", "s-new", 0.5, "d.example", None, "https://a.example/2", 0.8, "relevant"),
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


def _build(path: Path) -> Path:
    con = connect(path)
    try:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('default_topic', ?)", [DEFAULT])
        for url, story, days_ago, site, site_name, dup, score, label in sorted(ROWS, key=lambda r: -r[2]):
            at = NOW - timedelta(days=days_ago)
            con.execute(
                "INSERT INTO documents (canonical_url, url, title, text, site, site_name, first_seen_at, published_at, "
                "source, content_hash, duplicate_of, story_id) VALUES (?, ?, ?, 'body', ?, ?, ?, ?, 'src', ?, ?, ?)",
                [url, url, f"Title of {url}", site, site_name, at, at - timedelta(hours=1), url, dup, story],
            )
            if score is not None:
                con.execute("INSERT INTO relevance VALUES (?, ?, ?, ?, ?, 'test', ?)",
                            [url, DEFAULT, score, label, [f"why {url}"], at])
            # another topic must not change the default-topic answer
            con.execute("INSERT INTO relevance VALUES (?, 'other-topic', 0.99, 'relevant', ['other'], 'test', ?)",
                        [url, at])
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


@pytest.mark.parametrize("days", [1, 7, 30])
def test_macro_equals_the_view_restricted_to_the_window(db: Path, days: int) -> None:
    con = connect(db, read_only=True)
    try:
        cur = con.execute("SELECT * FROM recent_relevant_stories(?)", [days])
        cols = [d[0] for d in cur.description or []]
        got = cur.fetchall()
        view_cols = [d[0] for d in con.execute("SELECT * FROM relevant_stories LIMIT 0").description or []]
        assert cols == view_cols
        assert got == _reference(con, days)
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


def test_macro_answers_on_an_empty_database(tmp_path: Path) -> None:
    connect(tmp_path / "empty.duckdb").close()
    assert run_readonly(tmp_path / "empty.duckdb", "SELECT * FROM recent_relevant_stories(7)")[1] == []
