"""`reewatch reextract` on a real DuckDB file: stored raw HTML is re-extracted in place."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from core.records import Article, NoArticle, TriagedArticle
from extract.article import extract_article
from reewatch.cli import app
from store import articles as store_articles
from store.db import connect
from store.reextract import StoredPage, reextract

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extraction"
SITE = Path(__file__).resolve().parents[1] / "reewatch" / "demo" / "site"
FETCHED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
PAGES = {
    "https://lakeshore-ledger.example/business/ohio-magnet-makers-expand": FIXTURES / "leaky-furniture.html",
    "http://127.0.0.1:8000/world/china-rare-earth-licences.html": SITE / "world" / "china-rare-earth-licences.html",
}


def _seed(db: Path) -> None:
    """Store the pages, then make their rows look like an older, leakier extractor wrote them."""
    con = connect(db)
    triaged = []
    for i, (url, path) in enumerate(PAGES.items()):
        art = extract_article(path.read_text(encoding="utf-8"), url=url, source="t", fetched_at=FETCHED)
        assert isinstance(art, Article)
        triaged.append(TriagedArticle(art, (1.0, 0.0), "https://x.example/orig" if i else None, f"story-{i}"))
    assert store_articles.save_batch(con, triaged, [], [], model="m", run_id="r1") == 2
    con.execute("UPDATE documents SET text = text || '\nALSO SEE: old furniture', title = 'old', lang = NULL, "
                "published_at = NULL, content_hash = 'stale'")
    con.close()


def _rows(db: Path) -> list[tuple[object, ...]]:
    con = connect(db, read_only=True)
    rows = con.execute("SELECT canonical_url, title, text, content_hash, lang, published_at, story_id, duplicate_of "
                       "FROM documents ORDER BY canonical_url").fetchall()
    con.close()
    return rows


def test_reextract_command_rewrites_text_and_metadata_but_not_triage(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    _seed(db)
    before = _rows(db)
    result = CliRunner().invoke(app, ["reextract", "--db", str(db)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # rich wraps lines at the terminal width
    assert "2 changed" in out and "not re-run" in out
    after = _rows(db)
    assert [r[0] for r in after] == [r[0] for r in before]
    for old, new in zip(before, after, strict=True):
        assert "ALSO SEE" not in str(new[2]) and new[1] != "old" and new[3] != "stale"
        assert new[4] == "en" and isinstance(new[5], datetime)
        assert new[6:] == old[6:]  # story_id and duplicate_of untouched
    again = CliRunner().invoke(app, ["reextract", "--db", str(db)])
    assert again.exit_code == 0 and "0 changed, 2 unchanged" in " ".join(again.output.split())
    assert _rows(db) == after


def test_rows_that_no_longer_extract_are_kept_and_bad_blobs_counted(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    _seed(db)
    con = connect(db)
    urls = sorted(PAGES)
    con.execute("UPDATE documents SET raw_html_z = ? WHERE canonical_url = ?",
                [zlib.compress(b"<html><body><p>tiny</p></body></html>"), urls[0]])
    con.execute("UPDATE documents SET raw_html_z = ? WHERE canonical_url = ?", [b"not zlib", urls[1]])

    def extract(page: StoredPage) -> Article | NoArticle:
        return extract_article(page.html, url=page.url, source=page.source, fetched_at=page.first_seen_at)

    result = reextract(con, extract)
    assert (result.total, result.changed, result.undecodable) == (2, 0, 1)
    assert [u for u, _ in result.no_article] == [urls[0]]
    stored = con.execute("SELECT text FROM documents WHERE canonical_url = ?", [urls[0]]).fetchone()
    assert stored is not None and "old furniture" in stored[0]  # kept as it was, not emptied
    con.close()


def test_failure_rolls_back_every_update(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    _seed(db)
    con = connect(db)
    seen: list[str] = []

    def flaky(page: StoredPage) -> Article | NoArticle:
        seen.append(page.url)
        if len(seen) == 2:
            raise RuntimeError("boom")
        return extract_article(page.html, url=page.url, source=page.source, fetched_at=page.first_seen_at)

    try:
        reextract(con, flaky)
    except RuntimeError:
        pass
    else:
        raise AssertionError("expected the extractor's error")
    con.close()
    assert all(r[3] == "stale" for r in _rows(db))



def test_changed_articles_lose_their_stored_dedup_features(tmp_path: Path) -> None:
    """Features computed from the old text must not survive a re-extraction that changed it;
    an unchanged article keeps its row."""
    from triage.features import article_features, pack

    db = tmp_path / "r.duckdb"
    _seed(db)
    assert CliRunner().invoke(app, ["reextract", "--db", str(db)]).exit_code == 0  # rows now current
    con = connect(db)
    urls = [str(r[0]) for r in con.execute("SELECT canonical_url FROM documents ORDER BY 1").fetchall()]
    store_articles.save_features(con, [(u, pack(article_features("t", "text"))) for u in urls])
    con.execute("UPDATE documents SET text = text || '\nALSO SEE: old furniture' WHERE canonical_url = ?", [urls[0]])
    con.close()
    result = CliRunner().invoke(app, ["reextract", "--db", str(db)])
    assert result.exit_code == 0 and "1 changed, 1 unchanged" in " ".join(result.output.split()), result.output
    con = connect(db, read_only=True)
    kept = [r[0] for r in con.execute("SELECT canonical_url FROM dedup_features").fetchall()]
    con.close()
    assert kept == [urls[1]]
