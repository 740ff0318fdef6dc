"""The DuckDB store on real files: migrations, idempotent writes, locks, read-only queries."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import DatabaseLockedError, ReadOnlyQueryError, SchemaTooNewError
from core.records import NoArticle, TopicScore, TriagedArticle
from extract.article import article_from_text
from reewatch.query import run_readonly
from store import articles as store_articles
from store.archive import load_archive
from store.db import connect, migrations, schema_version

NOW = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)


def _triaged(url: str, text: str, story: str, dup: str | None = None) -> TriagedArticle:
    art = article_from_text(text, url=url, source="t", fetched_at=NOW, title=text[:20])
    return TriagedArticle(art, (1.0, 0.0, 0.0), dup, story, (TopicScore("rare-earth-trade", 0.8, "relevant", ("r",)),))


def test_new_file_gets_every_migration(db_path: Path) -> None:
    con = connect(db_path)
    assert schema_version(con) == migrations()[-1][0]
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"documents", "articles", "stories", "relevant_stories", "fetches", "sources"} <= tables
    con.close()


def test_database_newer_than_code_is_refused(db_path: Path) -> None:
    con = connect(db_path)
    con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    con.close()
    with pytest.raises(SchemaTooNewError, match="999"):
        connect(db_path)


def test_save_is_idempotent_and_views_group_stories(db_path: Path) -> None:
    con = connect(db_path)
    batch = [
        _triaged("https://a.example/1", "China restricts rare earth exports " * 5, "s1"),
        _triaged("https://b.example/1", "China restricts rare earth exports " * 5, "s1", dup="https://a.example/1"),
        _triaged("https://c.example/2", "Another story entirely " * 5, "s2"),
    ]
    noart = [NoArticle("https://a.example/index", "t", "main text too short")]
    assert store_articles.save_batch(con, batch, noart, [], model="m", run_id="r1") == 3
    assert store_articles.save_batch(con, batch, noart, [], model="m", run_id="r2") == 0
    stories = dict(con.execute("SELECT story_id, member_count FROM stories").fetchall())
    assert stories == {"s1": 2, "s2": 1}
    rel = con.execute("SELECT story_id, outlets FROM relevant_stories ORDER BY story_id").fetchall()
    assert rel[0] == ("s1", ["a.example", "b.example"])
    assert store_articles.unseen(con, ["https://a.example/1", "https://www.a.example/1/", "https://a.example/index", "https://new.example/x"]) == {"https://new.example/x"}
    archive = load_archive(con, "m")
    assert len(archive) == 3 and "https://a.example/1" in archive.by_canonical
    con.close()


def test_second_writer_gets_a_clear_lock_error(db_path: Path) -> None:
    connect(db_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db_path)!r}); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLockedError, match=rf"process {holder.pid}"):
            connect(db_path, wait_s=1.0)
        with pytest.raises(DatabaseLockedError, match="ingest is probably running"):
            run_readonly(db_path, "SELECT 1")
    finally:
        holder.kill()
        holder.wait()


def test_query_is_read_only(db_path: Path) -> None:
    con = connect(db_path)
    store_articles.save_batch(con, [_triaged("https://a.example/1", "rare earth " * 30, "s1")], [], [], model="m", run_id="r")
    con.close()
    cols, rows = run_readonly(db_path, "SELECT url, relevance_label FROM articles")
    assert cols == ["url", "relevance_label"] and rows == [("https://a.example/1", "relevant")]
    with pytest.raises(ReadOnlyQueryError, match="read-only"):
        run_readonly(db_path, "DELETE FROM documents")
    assert run_readonly(db_path, "SELECT count(*) FROM documents")[1] == [(1,)]


def test_upgrade_applies_only_what_is_missing(db_path: Path) -> None:
    from store.db import upgrade

    applied, version = upgrade(db_path)
    assert applied == [v for v, _, _ in migrations()] and version == migrations()[-1][0]
    assert upgrade(db_path) == ([], version)
    con = connect(db_path)
    con.execute("DELETE FROM schema_migrations WHERE version = 6")
    con.close()
    # a migration recorded as missing is applied again (006_views.sql only replaces views and comments)
    assert upgrade(db_path) == ([6], version)
