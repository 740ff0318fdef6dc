"""End to end: the ingest flow (under a Prefect test harness) on the demo site, then the digest."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from digest.run import run_digest
from flows.ingest import ingest_flow

pytestmark = pytest.mark.slow

ORIGINAL = "/world/china-rare-earth-licences.html"
COPY = "/wire/rare-earth-licence-regime-syndicated.html"
REWRITE = "/markets/beijing-magnet-curbs-rewrite.html"
RELEVANT = (ORIGINAL, COPY, REWRITE, "/autos/carmaker-halts-line-magnets.html", "/world/us-china-london-talks.html")
IRRELEVANT = (
    "/business/quarterly-earnings-retailer.html",
    "/culture/rare-earth-band-reunion.html",
    "/health/magnet-swallowing-warning.html",
)


@pytest.fixture(scope="module")
def ingested(prefect_harness: None, demo_site: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, object, object]:
    db = tmp_path_factory.mktemp("e2e") / "e2e.duckdb"
    first = ingest_flow(db=str(db), feeds=[f"{demo_site}/feed.xml"])
    second = ingest_flow(db=str(db), feeds=[f"{demo_site}/feed.xml"])
    return db, demo_site, first, second


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_stores_every_sample_article(ingested: tuple) -> None:  # type: ignore[type-arg]
    db, _base, first, _ = ingested
    assert first.stored == 9
    assert first.fetch_errors == 0
    assert _rows(db, "SELECT count(*) FROM articles") == [(9,)]


def test_copy_and_rewrite_join_the_original_story(ingested: tuple) -> None:  # type: ignore[type-arg]
    db, base, *_ = ingested
    rows = {str(u).removeprefix(base): (s, d) for u, s, d in _rows(db, "SELECT url, story_id, duplicate_of FROM articles")}
    assert rows[ORIGINAL][0] == rows[COPY][0] == rows[REWRITE][0]
    pair = {rows[ORIGINAL][1], rows[COPY][1]}
    assert pair in ({None, f"{base}{ORIGINAL}"}, {None, f"{base}{COPY}"}), "one of the two is the copy of the other"
    assert rows[REWRITE][1] is None, "a rewrite is the same story, not a copy"
    others = {rows[p][0] for p in RELEVANT[3:] + IRRELEVANT}
    assert rows[ORIGINAL][0] not in others and len(others) == len(RELEVANT[3:] + IRRELEVANT)


def test_relevant_pages_rank_above_traps(ingested: tuple) -> None:  # type: ignore[type-arg]
    db, base, *_ = ingested
    scores = {str(u).removeprefix(base): (float(s), lab) for u, s, lab in _rows(db, "SELECT url, relevance_score, relevance_label FROM articles")}
    assert min(scores[p][0] for p in RELEVANT) > max(scores[p][0] for p in IRRELEVANT)
    assert all(scores[p][1] == "irrelevant" for p in IRRELEVANT)
    assert all(scores[p][1] == "relevant" for p in (ORIGINAL, "/autos/carmaker-halts-line-magnets.html"))


def test_rerun_changes_nothing_and_fetches_no_stored_page(ingested: tuple) -> None:  # type: ignore[type-arg]
    db, _base, _first, second = ingested
    assert second.stored == 0
    pages = _rows(db, f"SELECT count(*) FROM fetches WHERE run_id = '{second.run_id}' AND url LIKE '%.html'")
    assert pages == [(0,)]


def test_digest_lists_each_relevant_story_once_then_nothing(ingested: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    db, *_ = ingested
    first = run_digest(db, tmp_path, [])
    assert [r.outcome for r in first] == ["sent"]
    text = Path(first[0].target).read_text(encoding="utf-8")
    headlines = [line for line in text.splitlines() if line.startswith("## ")]
    relevant_stories = _rows(db, "SELECT count(*) FROM relevant_stories")[0][0]
    assert len(headlines) == relevant_stories >= 3
    assert "Brightway" not in text and "Get Ready" not in text
    assert [r.outcome for r in run_digest(db, tmp_path, [])] == ["nothing-new"]
