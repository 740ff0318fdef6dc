"""Analyst feedback against a real DuckDB file: `reewatch label`, `train`, `rescore`."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.records import Article, TriagedArticle
from reewatch.cli import app
from store.articles import save_batch
from store.db import connect
from store.labels import latest_head, with_trained_heads
from triage.embed import DEFAULT_MODEL, dedup_text, embed_texts
from triage.relevance import load_profiles, score_batch

runner = CliRunner()

# Invented articles: one core, one borderline (rare earths in passing), one unrelated.
DOCS = {
    "https://wire.example/core": (
        "Magnet exports from China drop after licence rules",
        "Shipments of rare-earth magnets fell by half last month as exporters waited for licences, customs data showed.\n"
        "Carmakers in Europe said they had weeks of stock left.",
    ),
    "https://wire.example/passing": (
        "Wind farm operator raises output forecast",
        "The operator said its new offshore turbines lifted power generation by a fifth in the quarter, helped by "
        "steady winds.\nIts chief executive said the generators, which use rare-earth magnets, had been delivered "
        "before the latest export rules took effect.",
    ),
    "https://wire.example/unrelated": (
        "City council approves new tram line",
        "The council voted to build a tram line to the airport, with work starting next spring and trains running by 2029.",
    ),
}


def _articles() -> list[Article]:
    now = datetime.now(UTC)
    return [
        Article(url=u, canonical_url=u, title=t, text=x, site="wire.example", lang="en", published_at=None,
                first_seen_at=now, source="test", content_hash=hashlib.sha1(x.encode()).hexdigest())
        for u, (t, x) in DOCS.items()
    ]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "feedback.duckdb"
    arts = _articles()
    vecs = embed_texts([dedup_text(a.title, a.text) for a in arts])
    scores = score_batch(load_profiles(), arts, vecs, DEFAULT_MODEL)
    triaged = [TriagedArticle(a, tuple(float(x) for x in v), None, f"s{i}", s)
               for i, (a, v, s) in enumerate(zip(arts, vecs, scores, strict=True))]
    con = connect(path)
    try:
        save_batch(con, triaged, [], [], model=DEFAULT_MODEL, run_id="t")
    finally:
        con.close()
    return path


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _cli(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def test_label_stores_and_replaces_and_refuses_bad_input(db: Path) -> None:
    url = "https://wire.example/passing"
    assert _cli("label", url, "adjacent", "--db", str(db))[0] == 0
    assert _cli("label", url, "relevant", "--db", str(db))[0] == 0
    assert _rows(db, "SELECT canonical_url, topic, label FROM labels") == [(url, "rare-earth-trade", "relevant")]
    code, out = _cli("label", "https://wire.example/never-stored", "relevant", "--db", str(db))
    assert code == 2 and "no stored article" in out
    code, out = _cli("label", url, "maybe", "--db", str(db))
    assert code == 2 and "LABEL must be one of" in out


def test_train_versions_heads_and_rescore_applies_the_latest(db: Path) -> None:
    passing = "https://wire.example/passing"
    before = _rows(db, f"SELECT score, model_version FROM relevance WHERE canonical_url = '{passing}'")[0]
    assert str(before[1]).startswith("exemplars-")
    for url, lab in [(passing, "relevant"), ("https://wire.example/unrelated", "irrelevant")]:
        assert _cli("label", url, lab, "--db", str(db))[0] == 0

    code, out = _cli("train", "--db", str(db))
    assert code == 0, out
    assert "rare-earth-trade-h1" in out
    assert _cli("train", "--topic", "rare-earth-trade", "--db", str(db))[0] == 0
    heads = _rows(db, "SELECT version, seq, n_labels, metrics FROM relevance_heads WHERE topic = 'rare-earth-trade' ORDER BY seq")
    assert [(v, s, n) for v, s, n, _ in heads] == [("rare-earth-trade-h1", 1, 2), ("rare-earth-trade-h2", 2, 2)]
    assert 0 <= json.loads(str(heads[-1][3]))["log_loss"] < 1

    code, out = _cli("rescore", "--db", str(db))
    assert code == 0, out
    rows = {str(u): str(v) for u, v in _rows(db, "SELECT canonical_url, model_version FROM relevance WHERE topic = 'rare-earth-trade'")}
    assert set(rows.values()) == {"rare-earth-trade-h2"} and len(rows) == 3
    after = _rows(db, f"SELECT score FROM relevance WHERE canonical_url = '{passing}'")[0][0]
    assert float(str(after)) > float(str(before[0])), "a 'relevant' label must raise the labelled page's score"
    reasons = _rows(db, f"SELECT reasons FROM relevance WHERE canonical_url = '{passing}'")[0][0]
    assert isinstance(reasons, list) and any("rare-earth-trade-h2" in r for r in reasons)


def test_ingest_side_gets_the_latest_head_for_its_model(db: Path) -> None:
    assert _cli("train", "--db", str(db))[0] == 0
    con = connect(db)
    try:
        profiles = with_trained_heads(con, load_profiles(), DEFAULT_MODEL)
        assert profiles[0].head is not None and profiles[0].head.version == "rare-earth-trade-h1"
        assert latest_head(con, "rare-earth-trade", "another-model") is None
    finally:
        con.close()
