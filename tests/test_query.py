"""``reewatch query`` and the example queries of docs/queries.md, on a real DuckDB file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import DatabaseLockedError, ReadOnlyQueryError
from reewatch.cli import app
from reewatch.query import refuse_writes, run_readonly, statement_kinds
from tests.test_views import build_db

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def doc_queries() -> list[str]:
    text = (REPO / "docs" / "queries.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def _query(db: Path, marker: str) -> list[tuple[object, ...]]:
    (sql,) = [q for q in doc_queries() if marker in q]
    return run_readonly(db, sql)[1]


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "q.duckdb")


def test_every_documented_query_runs_and_finds_something(sample_db: Path) -> None:
    queries = doc_queries()
    assert len(queries) >= 8
    for sql in queries:
        cols, rows = run_readonly(sample_db, sql)
        assert cols and rows, f"no rows from:\n{sql}"


def test_documented_queries_answer_their_questions(sample_db: Path) -> None:
    new_today = _query(sample_db, "FROM relevant_stories\nWHERE CAST(timezone")
    assert [r[0] for r in new_today] == ["Carmakers warn of magnet shortage"]
    assert len(_query(sample_db, "WHERE first_seen_day = CAST")) == 3
    top = _query(sample_db, "ORDER BY outlet_count DESC")
    assert top[0][0] == "China tightens rare-earth licences" and top[0][1] == 3
    assert _query(sample_db, "AS outlets_beaten") == [("Alpha News", 1, 2)]
    # by publication time gamma published an hour before Alpha News
    assert _query(sample_db, "median_lead_minutes") == [("gamma.example", 1, 60.0)]
    countries = _query(sample_db, "licen[cs]e")
    assert [(r[0], r[1], r[2]) for r in countries] == [("China", 1, 3)]
    assert [r[4] for r in _query(sample_db, "FROM daily_volume")] == [1, 3]
    assert [r[1] for r in _query(sample_db, "topics['critical-minerals'] IS NOT NULL")] == [0.9, 0.6]
    assert [(r[0], r[1]) for r in _query(sample_db, "FROM source_health")] == [
        ("feed-b", "failing"), ("quiet", "never succeeded")]
    assert len(_query(sample_db, "LIMIT 1)")) == 3


@pytest.mark.parametrize("sql", [
    "DELETE FROM documents",
    "DROP TABLE documents",
    "SELECT 1; DELETE FROM documents",
    "UPDATE documents SET title = 'x'",
    "CREATE TABLE t AS SELECT 1",
    "COPY documents TO '/tmp/reewatch-should-not-exist.csv'",
    "ATTACH ':memory:' AS other",
    "INSERT INTO meta VALUES ('k', 'v')",
])
def test_writes_are_refused_before_running_and_data_is_unchanged(sample_db: Path, sql: str) -> None:
    before = run_readonly(sample_db, "SELECT count(*), max(title) FROM documents")
    with pytest.raises(ReadOnlyQueryError, match="read-only"):
        run_readonly(sample_db, sql)
    assert run_readonly(sample_db, "SELECT count(*), max(title) FROM documents") == before
    assert not Path("/tmp/reewatch-should-not-exist.csv").exists()


def test_reads_are_allowed() -> None:
    for sql in ("SELECT 1", "FROM articles", "DESCRIBE articles", "SHOW TABLES", "SUMMARIZE documents",
                "EXPLAIN SELECT 1", "PRAGMA table_info('documents')", "WITH x AS (SELECT 1) SELECT * FROM x"):
        refuse_writes(sql)
    assert statement_kinds("SELECT 1; SELECT 2") == ["SELECT", "SELECT"]


def test_cli_formats(sample_db: Path) -> None:
    sql = "SELECT story_id, outlets, first_seen_at FROM stories ORDER BY story_id"
    js = runner.invoke(app, ["query", "--db", str(sample_db), "--format", "json", sql])
    assert js.exit_code == 0, js.output
    rows = [json.loads(line) for line in js.stdout.splitlines()]
    assert rows[2]["story_id"] == "s-licence" and rows[2]["outlets"] == ["Alpha News", "beta.example", "gamma.example"]
    assert rows[0]["first_seen_at"].endswith("+00:00")
    csv_out = runner.invoke(app, ["query", "--db", str(sample_db), "--format", "csv", sql])
    lines = csv_out.stdout.splitlines()
    assert lines[0] == "story_id,outlets,first_seen_at" and len(lines) == 5
    assert '"[""Alpha News"", ""beta.example"", ""gamma.example""]"' in lines[3]
    table = runner.invoke(app, ["query", "--db", str(sample_db), sql])
    assert table.exit_code == 0 and "s-licence" in table.stdout and "4 rows" in table.stdout
    bad = runner.invoke(app, ["query", "--db", str(sample_db), "--format", "xml", sql])
    assert bad.exit_code == 2 and "table, csv or json" in bad.output
    refused = runner.invoke(app, ["query", "--db", str(sample_db), "DELETE FROM documents"])
    assert refused.exit_code == 2 and "nothing was executed" in " ".join(refused.output.split())


def test_query_says_when_an_ingest_is_writing(sample_db: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(sample_db)!r}); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLockedError, match=rf"process {holder.pid}"):
            run_readonly(sample_db, "SELECT count(*) FROM articles")
        res = runner.invoke(app, ["query", "--db", str(sample_db), "SELECT 1"])
        assert res.exit_code == 2 and "ingest is probably running" in " ".join(res.output.split())
    finally:
        holder.kill()
        holder.wait()
    assert run_readonly(sample_db, "SELECT count(*) FROM articles")[1] == [(6,)]


def test_stats_tables_and_chart(sample_db: Path) -> None:
    res = runner.invoke(app, ["stats", "--db", str(sample_db)])
    assert res.exit_code == 0, res.output
    out = res.stdout
    for part in ("articles per day", "articles per source", "articles per label", "wire", "feed-b",
                 "relevant", "irrelevant", "6 articles in"):
        assert part in out
    assert "█" * 30 in out  # the largest count fills the chart


def test_stats_counts(sample_db: Path) -> None:
    from reewatch.tables import bar, stats_counts
    from store.db import connect

    con = connect(sample_db, read_only=True)
    try:
        counts = stats_counts(con, days=14)
    finally:
        con.close()
    assert [n for _, n in counts["day"]] == [3, 3]
    assert dict(counts["source"]) == {"wire": 3, "feed-b": 3}
    assert dict(counts["label"]) == {"relevant": 4, "adjacent": 1, "irrelevant": 1}
    assert bar(1, 4, 8) == "██" and bar(0, 4) == "" and bar(1, 1000, 10) == "█"
