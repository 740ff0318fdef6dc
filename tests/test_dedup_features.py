"""Dedup features are stored when an article is decided and read back at archive load
(triage/features.py, migration 009): the loaded archive is the same as one computed from the
stored text; missing or outdated rows are recomputed and written back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.records import Article, TopicScore, TriagedArticle
from extract.article import article_from_text
from store import articles as store_articles
from store.archive import load_archive
from store.db import connect
from triage.archive import Archive
from triage.dedup import dedup_batch
from triage.features import FEATURES_VERSION, article_features, pack, unpack

NOW = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)
TEXTS = {
    "https://a.example/1": "China's commerce ministry added seven rare earths to its export licence list on Friday. "
                           "Carmakers in Europe warned of shortages of magnets within weeks. " * 3,
    "https://b.example/2": "Lynas said its Malaysian plant produced its first separated dysprosium oxide. "
                           "The company plans to double heavy rare earth output by 2027. " * 3,
    "https://c.example/3": "Ford idled an Explorer plant in Chicago for a week, citing a shortage of rare earth "
                           "magnets from China. The plant builds 1,200 vehicles a day. " * 3,
}


def _articles() -> list[Article]:
    return [article_from_text(t, url=u, source="t", fetched_at=NOW, title=t[:40]) for u, t in TEXTS.items()]


def _vecs(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    v = rng.normal(size=(n, 8)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _store(db: Path) -> list[Article]:
    arts, vecs = _articles(), _vecs(3)
    decisions = dedup_batch(arts, vecs, Archive(8))
    triaged = [TriagedArticle(a, tuple(float(x) for x in v), d.duplicate_of, d.story_id,
                              (TopicScore("rare-earth-trade", 0.5, "adjacent", ()),), features=d.features)
               for a, v, d in zip(arts, vecs, decisions, strict=True)]
    con = connect(db)
    store_articles.save_batch(con, triaged, [], [], model="m", run_id="r")
    con.close()
    return arts


def _same_as_recomputed(archive: Archive, arts: list[Article]) -> None:
    for a in arts:
        e = archive.by_canonical[a.canonical_url]
        f = article_features(a.title, a.text)
        assert e.signature is not None and e.terms is not None
        assert np.array_equal(e.signature.sig, f.sig.sig) and e.signature.size == f.sig.size
        assert np.array_equal(e.terms.terms, f.terms.terms) and np.array_equal(e.terms.counts, f.terms.counts)
        assert e.event_keys == f.keys and e.sentences == f.sentences
        assert e.text_len == len(a.text)


def test_pack_round_trip_and_versions() -> None:
    f = article_features("Title", TEXTS["https://c.example/3"])
    back = unpack(pack(f))
    assert back is not None and back.keys == f.keys and back.sentences == f.sentences
    assert np.array_equal(back.sig.sig, f.sig.sig) and np.array_equal(back.terms.terms, f.terms.terms)
    from dataclasses import replace

    assert unpack(replace(pack(f), version=FEATURES_VERSION - 1)) is None


def test_features_are_stored_and_loaded_not_recomputed(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    arts = _store(db)
    con = connect(db)
    rows = con.execute("SELECT canonical_url, version FROM dedup_features ORDER BY 1").fetchall()
    assert rows == [(a.canonical_url, FEATURES_VERSION) for a in sorted(arts, key=lambda a: a.canonical_url)]
    # A stored row is what the load uses: change one and the loaded entry shows it.
    con.execute("UPDATE dedup_features SET event_keys = ['#marker'] WHERE canonical_url = ?", [arts[0].canonical_url])
    archive = load_archive(con, "m")
    assert archive.by_canonical[arts[0].canonical_url].event_keys == frozenset({"#marker"})
    con.close()


def test_missing_and_outdated_rows_are_recomputed_and_written_back(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    arts = _store(db)
    con = connect(db)
    con.execute("DELETE FROM dedup_features WHERE canonical_url = ?", [arts[0].canonical_url])
    con.execute("UPDATE dedup_features SET version = version - 1, event_keys = ['#old'] WHERE canonical_url = ?",
                [arts[1].canonical_url])
    archive = load_archive(con, "m", write_back=False)
    _same_as_recomputed(archive, arts)
    assert con.execute("SELECT count(*) FROM dedup_features WHERE version = ?", [FEATURES_VERSION]).fetchone() == (1,)
    archive = load_archive(con, "m")
    _same_as_recomputed(archive, arts)
    rows = con.execute("SELECT version, count(*) FROM dedup_features GROUP BY 1").fetchall()
    assert rows == [(FEATURES_VERSION, 3)]
    con.close()
