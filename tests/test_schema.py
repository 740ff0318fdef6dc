"""docs/schema.md is current; old database files are upgraded; newer ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.errors import SchemaTooNewError
from reewatch.cli import app
from reewatch.query import run_readonly
from store.db import connect, migrations, schema_version
from store.schema_doc import DOC_PATH, DOCUMENTED_VIEWS, schema_markdown

runner = CliRunner()


def test_schema_doc_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == schema_markdown(), (
        "docs/schema.md is stale: run `reewatch schema --out docs/schema.md`")
    res = runner.invoke(app, ["schema", "--check"])
    assert res.exit_code == 0, res.output


def test_schema_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schema.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert runner.invoke(app, ["schema", "--check", "--out", str(stale)]).exit_code == 1
    assert runner.invoke(app, ["schema", "--out", str(stale)]).exit_code == 0
    assert runner.invoke(app, ["schema", "--check", "--out", str(stale)]).exit_code == 0


def test_doc_lists_every_view_column_the_database_has(tmp_path: Path) -> None:
    doc = DOC_PATH.read_text(encoding="utf-8")
    con = connect(tmp_path / "s.duckdb")
    try:
        for view in DOCUMENTED_VIEWS:
            cols = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description or []]
            section = doc.split(f"### `{view}` (view)", 1)[1].split("### ", 1)[0]
            assert [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")] == cols
        for v, name, _ in migrations():
            assert f"| {v:03d} | {name} |" in doc
    finally:
        con.close()


def _old_database(path: Path) -> None:
    """A file as the first release wrote it: only 001 applied, with one article."""
    (_, _, init_sql) = migrations()[0]
    con = duckdb.connect(str(path))
    con.execute(init_sql)
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL)")
    con.execute("INSERT INTO schema_migrations VALUES (1, 'init', ?)", [datetime(2025, 1, 1, tzinfo=UTC)])
    seen = datetime(2025, 6, 1, 9, tzinfo=UTC)
    con.execute("INSERT INTO documents (canonical_url, url, title, text, site, first_seen_at, source, content_hash, "
                "story_id) VALUES ('https://a.example/x', 'https://a.example/x', 'Old article', 'rare earth text', "
                "'a.example', ?, 'wire', 'h1', 's1')", [seen])
    con.execute("INSERT INTO relevance VALUES ('https://a.example/x', 'rare-earth-trade', 0.9, 'relevant', ['old'], "
                "'rules-1', ?)", [seen])
    con.close()


def test_old_database_is_migrated_on_open(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _old_database(db)
    con = connect(db)
    try:
        assert schema_version(con) == migrations()[-1][0]
        applied = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]
        assert applied == [v for v, _, _ in migrations()]
        assert con.execute("SELECT title, relevance_label, outlet FROM articles").fetchall() == [
            ("Old article", "relevant", "a.example")]
        assert con.execute("SELECT day, topic, articles FROM daily_volume").fetchall() == [
            (datetime(2025, 6, 1).date(), "rare-earth-trade", 1)]
    finally:
        con.close()
    # opening again applies nothing
    con = connect(db)
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (len(migrations()),)
    con.close()


def test_read_only_open_upgrades_an_old_file_so_the_views_exist(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _old_database(db)
    assert run_readonly(db, "SELECT source, status, articles FROM source_health")[1] == [("wire", "not configured", 1)]


def test_migrate_command_reports_what_it_applied(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _old_database(db)
    res = runner.invoke(app, ["migrate", "--db", str(db)])
    out = " ".join(res.output.split())  # rich wraps long lines
    assert res.exit_code == 0 and "applied migrations" in out and "006" in out
    again = runner.invoke(app, ["migrate", "--db", str(db)])
    assert "up to date" in " ".join(again.output.split())


def test_newer_database_is_refused_for_reading_and_writing(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    connect(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    con.close()
    with pytest.raises(SchemaTooNewError, match="upgrade reewatch"):
        connect(db)
    with pytest.raises(SchemaTooNewError, match="999"):
        run_readonly(db, "SELECT 1")
    res = runner.invoke(app, ["query", "--db", str(db), "SELECT 1"])
    assert res.exit_code == 2 and "schema version 999" in " ".join(res.output.split())
