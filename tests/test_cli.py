"""The CLI contract: every command documented; import, export and query on real files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from reewatch.cli import app

runner = CliRunner()
EXPORT_FIELDS = {
    "url", "canonical_url", "title", "text", "site", "lang", "published_at", "first_seen_at", "source",
    "story_id", "duplicate_of", "relevance_score", "relevance_label", "topics",
}
BODY = (
    "China's commerce ministry said exporters of rare earth magnets must now apply for a licence for every "
    "shipment, and carmakers in Europe warned that production lines could stop within weeks as the export "
    "controls bite. Customs data showed magnet exports fell by more than half in May."
)


def _all_commands() -> list[list[str]]:
    root = get_command(app)
    out: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out.append(path)

    walk(root, [])
    return out


def test_every_command_has_help() -> None:
    commands = _all_commands()
    names = {" ".join(c) for c in commands}
    assert {"run", "import", "export", "digest", "query", "serve", "demo", "sources", "stats"} <= names
    assert {"eval extraction", "eval dedup", "eval relevance"} <= names
    for cmd in commands:
        result = runner.invoke(app, [*cmd, "--help"])
        assert result.exit_code == 0, (cmd, result.output)
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) > 3, f"{cmd} has no help text"
    for cmd in get_command(app).commands.values():  # type: ignore[attr-defined]
        assert (cmd.help or "").strip(), f"{cmd.name} has no docstring"
        for p in cmd.params:
            if isinstance(p, typer.core.TyperOption) and p.name not in ("help",):
                assert (p.help or "").strip(), f"{cmd.name} --{p.name} has no help"


@pytest.mark.slow
def test_import_reports_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "i.duckdb"
    lines = [
        json.dumps({"url": "https://a.example/rare-earth-licences", "text": BODY, "title": "China tightens magnet licences",
                    "published_at": "2025-06-09T08:00:00Z", "source": "wire", "extra": 1}),
        "{not json",
        json.dumps({"url": "https://b.example/x"}),
        json.dumps({"text": "no url"}),
        json.dumps({"url": "https://c.example/page", "html": f"<html><head><title>Magnets</title></head><body><article><p>{BODY}</p><p>{BODY}</p></article></body></html>"}),
        "",
    ]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(app, ["import", str(f), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "in.jsonl:2" in result.output and "in.jsonl:3" in result.output and "in.jsonl:4" in result.output
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT url, source, published_at IS NOT NULL, duplicate_of FROM articles ORDER BY url").fetchall()
    con.close()
    assert [r[0] for r in rows] == ["https://a.example/rare-earth-licences", "https://c.example/page"]
    assert rows[0][1] == "wire" and rows[0][2] is True
    # the HTML page carries the same text twice: it is a copy of the first article
    assert rows[1][3] is None or rows[1][3] == "https://a.example/rare-earth-licences"
    again = runner.invoke(app, ["import", str(f), "--db", str(db)])
    assert "imported 0 new" in again.output

    out = runner.invoke(app, ["export", "--db", str(db)])
    assert out.exit_code == 0
    records = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    assert len(records) == 2
    assert set(records[0]) >= EXPORT_FIELDS
    assert records[0]["relevance_label"] in ("relevant", "adjacent", "irrelevant")
    assert "rare-earth-trade" in records[0]["topics"]

    for fmt in ("csv", "parquet"):
        target = tmp_path / f"out.{fmt}"
        res = runner.invoke(app, ["export", "--db", str(db), "--format", fmt, "--out", str(target)])
        assert res.exit_code == 0, res.output
        if fmt == "csv":
            with target.open(encoding="utf-8") as fh:
                header = next(csv.reader(fh))
            assert set(header) >= EXPORT_FIELDS
        else:
            n = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()
            assert n == (2,)

    q = runner.invoke(app, ["query", "--db", str(db), "--format", "json", "SELECT count(*) AS n FROM articles"])
    assert q.exit_code == 0 and json.loads(q.stdout.strip().splitlines()[-1]) == {"n": 2}
    bad = runner.invoke(app, ["query", "--db", str(db), "DROP TABLE documents"])
    assert bad.exit_code == 2 and "read-only" in bad.output
    assert runner.invoke(app, ["query", "--db", str(db), "--format", "csv", "SELECT count(*) FROM documents"]).stdout.strip().endswith("2")


def test_missing_database_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "--db", str(tmp_path / "none.duckdb"), "SELECT 1"])
    assert result.exit_code == 2 and "reewatch run" in result.output
