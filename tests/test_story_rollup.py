"""story_rollup (store/migrations/008_story_rollup.sql, store/rollup.py) stays equal to the stories
view through every write path, on real DuckDB files: save_batch, `reewatch import`, `reewatch rescore`,
a new default topic, re-extraction, and a refresh of stories that lost their members."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.rawhtml import compress_html
from core.records import Article, TopicScore, TriagedArticle
from reewatch.cli import app
from store.articles import save_batch, set_meta
from store.db import connect, transaction
from store.labels import save_scores
from store.reextract import StoredPage, reextract
from store.rollup import refresh_for_articles, refresh_story_rollup
from tests.test_views import DEFAULT, build_db, sample_triaged

runner = CliRunner()


def assert_rollup_is_the_view(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    rollup = con.execute("SELECT * FROM story_rollup ORDER BY story_id").fetchall()
    assert rollup == con.execute("SELECT * FROM stories ORDER BY story_id").fetchall()
    return rollup


def test_every_batch_refreshes_the_stories_it_touched(tmp_path: Path) -> None:
    con = connect(tmp_path / "b.duckdb")
    try:
        set_meta(con, "default_topic", DEFAULT)
        arts = sample_triaged()
        save_batch(con, arts[:1], [], [], model="m", run_id="r1")
        assert [r[0] for r in assert_rollup_is_the_view(con)] == ["s-licence"]
        save_batch(con, arts[1:], [], [], model="m", run_id="r2")  # two more members of s-licence, three new stories
        rows = {r[0]: r for r in assert_rollup_is_the_view(con)}
        assert set(rows) == {"s-licence", "s-shortage", "s-earnings", "s-gallium"}
        assert rows["s-licence"][5] == 3  # member_count over both batches
        before = assert_rollup_is_the_view(con)
        assert save_batch(con, arts, [], [], model="m", run_id="r3") == 0  # re-run: no change, no duplicate rows
        assert assert_rollup_is_the_view(con) == before
    finally:
        con.close()


def test_a_new_default_topic_rescores_every_story(tmp_path: Path) -> None:
    db = build_db(tmp_path / "t.duckdb")
    con = connect(db)
    try:
        assert [r[0] for r in con.execute("SELECT story_id FROM recent_relevant_stories(7)").fetchall()] == [
            "s-licence", "s-shortage"]
        set_meta(con, "default_topic", "critical-minerals")
        assert_rollup_is_the_view(con)
        assert [r[0] for r in con.execute("SELECT story_id FROM recent_relevant_stories(7)").fetchall()] == [
            "s-gallium"]
    finally:
        con.close()


def test_import_through_the_cli_fills_the_rollup(tmp_path: Path) -> None:
    src = build_db(tmp_path / "src.duckdb")
    out = tmp_path / "export.jsonl"
    assert runner.invoke(app, ["export", "--db", str(src), "--out", str(out)]).exit_code == 0
    dst = tmp_path / "dst.duckdb"
    res = runner.invoke(app, ["import", str(out), "--db", str(dst)])
    assert res.exit_code == 0, res.output
    con = connect(dst, read_only=True)
    try:
        rows = assert_rollup_is_the_view(con)
        assert len(rows) == 4
        assert [r[0] for r in con.execute("SELECT story_id FROM recent_relevant_stories(7)").fetchall()] == [
            "s-licence", "s-shortage"]
    finally:
        con.close()


def _scored_db(path: Path) -> Path:
    """Three invented articles scored by the real profiles and model (as `reewatch run` would)."""
    from triage.embed import DEFAULT_MODEL, dedup_text, embed_texts
    from triage.relevance import load_profiles, score_batch

    now = datetime.now(UTC)
    texts = {
        "https://wire.example/core": ("Magnet exports from China drop after licence rules",
                                      "Shipments of rare-earth magnets fell by half as exporters waited for licences."),
        "https://wire.example/other": ("City council approves new tram line",
                                       "The council voted to build a tram line to the airport, work starts in spring."),
    }
    arts = [Article(url=u, canonical_url=u, title=t, text=x, site="wire.example", lang="en", published_at=None,
                    first_seen_at=now, source="test", content_hash=hashlib.sha1(x.encode()).hexdigest())
            for u, (t, x) in texts.items()]
    vecs = embed_texts([dedup_text(a.title, a.text) for a in arts])
    scores = score_batch(load_profiles(), arts, vecs, DEFAULT_MODEL)
    con = connect(path)
    try:
        save_batch(con, [TriagedArticle(a, tuple(float(x) for x in v), None, f"s{i}", s)
                         for i, (a, v, s) in enumerate(zip(arts, vecs, scores, strict=True))],
                   [], [], model=DEFAULT_MODEL, run_id="t")
    finally:
        con.close()
    return path


def test_rescore_command_rebuilds_the_rollup(tmp_path: Path) -> None:
    db = _scored_db(tmp_path / "rescore.duckdb")
    con = connect(db)
    try:
        expected = assert_rollup_is_the_view(con)
        assert con.execute("SELECT story_id FROM recent_relevant_stories(1)").fetchall() == [("s0",)]
        # an older scorer's verdict (stored with its rollup refresh): nothing is relevant any more
        old = TopicScore(DEFAULT, 0.01, "irrelevant", ("old scorer",), "old")
        save_scores(con, [(str(r[0]), old) for r in con.execute("SELECT canonical_url FROM documents").fetchall()])
        assert_rollup_is_the_view(con)
        assert con.execute("SELECT count(*) FROM recent_relevant_stories(1)").fetchone() == (0,)
    finally:
        con.close()
    res = runner.invoke(app, ["rescore", "--db", str(db)])
    assert res.exit_code == 0, res.output
    con = connect(db, read_only=True)
    try:
        after = assert_rollup_is_the_view(con)
        assert [(r[0], r[9]) for r in after] == [(r[0], r[9]) for r in expected]  # the labels of ingest again
        assert con.execute("SELECT story_id FROM recent_relevant_stories(1)").fetchall() == [("s0",)]
    finally:
        con.close()


def test_reextraction_updates_headlines_and_outlets(tmp_path: Path) -> None:
    con = connect(tmp_path / "r.duckdb")
    try:
        arts = [replace(t, article=replace(t.article, raw_html_z=compress_html(f"<html>{t.article.title}</html>")))
                for t in sample_triaged()]
        save_batch(con, arts, [], [], model="m", run_id="r")

        def better(page: StoredPage) -> Article:
            stored = next(t.article for t in arts if t.article.canonical_url == page.canonical_url)
            return replace(stored, title=stored.title.upper(), site_name="Renamed " + stored.site)

        assert reextract(con, better).changed == 6
        rows = {r[0]: r for r in assert_rollup_is_the_view(con)}
        assert rows["s-licence"][4] == "CHINA TIGHTENS RARE-EARTH LICENCES"
        assert rows["s-licence"][7] == ["Renamed alpha.example", "Renamed beta.example", "Renamed gamma.example"]
    finally:
        con.close()


def _failing_write(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):
        con.execute("UPDATE documents SET title = 'changed' WHERE story_id = 's-shortage'")
        refresh_story_rollup(con, ["s-shortage"])
        raise RuntimeError("the write fails after the refresh")


def test_refresh_drops_stories_that_lost_their_members_and_rolls_back(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    con = connect(db)
    try:
        con.execute("DELETE FROM documents WHERE story_id = 's-earnings'")
        assert refresh_story_rollup(con, ["s-earnings", "s-unknown"]) == 2
        assert "s-earnings" not in [r[0] for r in assert_rollup_is_the_view(con)]
        assert refresh_for_articles(con, ["https://nowhere.example/x"]) == 0
        before = assert_rollup_is_the_view(con)
        with pytest.raises(RuntimeError):
            _failing_write(con)
        assert assert_rollup_is_the_view(con) == before
    finally:
        con.close()
