"""Export → import round trips on real DuckDB files, through the CLI (the model embeds the imported texts)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from extract.jsonl import BadLine, Exported, parse_line
from pipeline.importer import exported_scores
from reewatch.cli import app
from store.db import connect
from tests.test_views import DEFAULT, TODAY, build_db
from triage.features import FEATURES_VERSION, article_features, pack

runner = CliRunner()
ARTICLE_COLS = (
    "url, canonical_url, title, text, site, lang, published_at, first_seen_at, source, story_id, duplicate_of, "
    "relevance_score, relevance_label, topics"
)
STORY_COLS = ("story_id, first_seen_at, last_updated_at, representative_url, headline, member_count, original_count, "
              "relevance_score, relevance_label")
# The layout of store/migrations/004_relevance.sql (created here when that migration is absent).
LABELS_DDL = ("CREATE TABLE IF NOT EXISTS labels (canonical_url VARCHAR NOT NULL, topic VARCHAR NOT NULL, "
              "label VARCHAR NOT NULL, labelled_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (canonical_url, topic))")


def _all(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _export(db: Path, *args: str) -> list[dict[str, object]]:
    res = runner.invoke(app, ["export", "--db", str(db), *args])
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]


def _import(file: Path, db: Path) -> str:
    res = runner.invoke(app, ["import", str(file), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())  # rich wraps long lines


def _same_content(a: Path, b: Path, *, full: bool) -> None:
    extra = ", site_name, relevance_reasons" if full else ""
    q = f"SELECT {ARTICLE_COLS}{extra} FROM articles ORDER BY url"
    assert _all(a, q) == _all(b, q)
    sq = f"SELECT {STORY_COLS}{', outlets, reasons' if full else ''} FROM stories ORDER BY story_id"
    assert _all(a, sq) == _all(b, sq)
    # every imported article has an embedding, so later dedup still works
    assert _all(b, "SELECT count(*) FROM documents d ANTI JOIN embeddings e USING (canonical_url)") == [(0,)]
    _features_stored(b)


def _features_stored(db: Path) -> None:
    """Every imported article carries the dedup features computed from its own title and
    text (what dedup_batch stores for a fetched one), so no later load has to compute them."""
    rows = _all(db, "SELECT d.title, d.text, f.version, f.minhash, f.term_hashes, f.event_keys, f.sentences "
                    "FROM documents d LEFT JOIN dedup_features f USING (canonical_url)")
    assert rows
    for title, text, version, minhash, term_hashes, keys, sentences in rows:
        want = pack(article_features(str(title), str(text)))
        assert (version, bytes(minhash), bytes(term_hashes), tuple(keys), tuple(sentences)) == (
            FEATURES_VERSION, want.minhash, want.term_hashes, want.event_keys, want.sentences)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_round_trip_keeps_articles_stories_scores(tmp_path: Path, fmt: str) -> None:
    src = build_db(tmp_path / "src.duckdb")
    out = tmp_path / f"export.{fmt}"
    res = runner.invoke(app, ["export", "--db", str(src), "--format", fmt, "--out", str(out)])
    assert res.exit_code == 0 and "exported 6 articles" in res.output, res.output
    dst = tmp_path / "dst.duckdb"
    assert "imported 6 new articles (1 copies, 4 relevant, 6 as exported)" in _import(out, dst)
    _same_content(src, dst, full=False)
    # importing the same file again changes nothing
    assert "imported 0 new" in _import(out, dst)
    _same_content(src, dst, full=False)


@pytest.mark.slow
def test_full_round_trip_with_labels_keeps_outlets_reasons_and_labels(tmp_path: Path) -> None:
    src = build_db(tmp_path / "src.duckdb")
    con = duckdb.connect(str(src))
    con.execute(LABELS_DDL)
    con.execute("INSERT INTO labels VALUES ('https://alpha.example/licences', ?, 'irrelevant', ?), "
                "('https://alpha.example/licences', 'critical-minerals', 'relevant', ?), "
                "('https://alpha.example/earnings', ?, 'adjacent', ?)",
                [DEFAULT, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC),
                 DEFAULT, datetime(2025, 1, 1, tzinfo=UTC)])
    con.close()
    assert "labels" in _export(src)[0]  # once there are labels, the plain export carries them too
    records = _export(src, "--full")
    by_url = {r["url"]: r for r in records}
    # articles without labels carry an empty map
    assert by_url["https://alpha.example/licences"]["labels"] == {DEFAULT: "irrelevant", "critical-minerals": "relevant"}
    assert by_url["https://delta.example/shortage"]["labels"] == {}
    assert by_url["https://alpha.example/licences"]["site_name"] == "Alpha News"
    file = tmp_path / "full.jsonl"
    file.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")

    dst = tmp_path / "dst.duckdb"
    connect(dst).execute(LABELS_DDL).close()
    _import(file, dst)
    _same_content(src, dst, full=True)
    assert sorted(_all(dst, "SELECT canonical_url, topic, label FROM labels")) == [
        ("https://alpha.example/earnings", DEFAULT, "adjacent"),
        ("https://alpha.example/licences", "critical-minerals", "relevant"),
        ("https://alpha.example/licences", DEFAULT, "irrelevant"),
    ]
    # into a database without a labels table, the rest still imports
    plain = tmp_path / "plain.duckdb"
    connect(plain).execute("DROP TABLE IF EXISTS labels").close()
    _import(file, plain)
    _same_content(src, plain, full=True)


@pytest.mark.slow
def test_plain_documents_are_still_triaged_next_to_exported_ones(tmp_path: Path) -> None:
    src = build_db(tmp_path / "src.duckdb")
    records = _export(src)
    copy_text = records[0]["text"]
    mixed = [*records, {"url": "https://new.example/licence-repost", "text": copy_text, "title": "Repost"}]
    file = tmp_path / "mixed.jsonl"
    file.write_text("\n".join(json.dumps(r) for r in mixed), encoding="utf-8")
    dst = tmp_path / "dst.duckdb"
    assert "imported 7 new articles" in _import(file, dst)
    story, dup, label = _all(dst, "SELECT story_id, duplicate_of, relevance_label FROM articles "
                                  "WHERE url = 'https://new.example/licence-repost'")[0]
    # the plain document went through triage: it is a copy of the exported original, in its story
    assert dup == records[0]["url"] and story == "s-licence"
    assert label in ("relevant", "adjacent", "irrelevant")


def test_export_filters(tmp_path: Path) -> None:
    src = build_db(tmp_path / "src.duckdb")
    assert len(_export(src)) == 6
    assert {r["url"] for r in _export(src, "--since", TODAY.date().isoformat())} == {
        "https://delta.example/shortage", "https://alpha.example/earnings", "https://beta.example/gallium"}
    assert [r["story_id"] for r in _export(src, "--relevant-only")] == ["s-licence"] * 3 + ["s-shortage"]
    minerals = _export(src, "--topic", "critical-minerals")
    assert {r["url"]: r["relevance_label"] for r in minerals} == {
        "https://alpha.example/licences": "adjacent", "https://beta.example/gallium": "relevant"}
    assert [r["url"] for r in _export(src, "--topic", "critical-minerals", "--relevant-only")] == [
        "https://beta.example/gallium"]
    bad = runner.invoke(app, ["export", "--db", str(src), "--since", "last week"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_exported_record_is_parsed_as_given() -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    line = json.dumps({
        "url": "https://a.example/x", "canonical_url": "https://a.example/x", "title": "T", "text": "body " * 20,
        "site": "a.example", "story_id": "s9", "duplicate_of": None, "relevance_score": 0.7,
        "relevance_label": "relevant", "topics": {DEFAULT: 0.7, "other": 0.1}, "labels": {DEFAULT: "adjacent"},
        "first_seen_at": "2025-05-01T10:00:00+00:00", "unknown": 1,
    })
    rec = parse_line(line, 1, now)
    assert isinstance(rec, Exported)
    assert rec.story_id == "s9" and rec.labels == {DEFAULT: "adjacent"}
    assert rec.article.first_seen_at == datetime(2025, 5, 1, 10, tzinfo=UTC)
    scores = {s.topic: (s.score, s.label) for s in exported_scores(rec, DEFAULT)}
    assert scores[DEFAULT] == (0.7, "relevant") and scores["other"][0] == 0.1
    bad = parse_line(json.dumps({**json.loads(line), "relevance_score": 3}), 7, now)
    assert isinstance(bad, BadLine) and bad.lineno == 7 and "relevance_score" in bad.reason
    bad = parse_line(json.dumps({**json.loads(line), "relevance_label": "maybe"}), 8, now)
    assert isinstance(bad, BadLine) and "relevance_label" in bad.reason
