"""Story layer (pure): event keys tell events of the same kind apart; time window; ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from triage.archive import Archive, ArchiveEntry
from triage.events import KeyStats, event_keys, overlap
from triage.stories import STORY_JOIN, STORY_WINDOW, best_story

T0 = datetime(2025, 6, 9, 8, 0, tzinfo=UTC)


def _entry(url: str, story: str, keys: frozenset[str], published: datetime | None = T0) -> ArchiveEntry:
    return ArchiveEntry(url, url, url, story, None, T0, published, 100, None, keys)


def _stats(*key_sets: frozenset[str]) -> KeyStats:
    s = KeyStats()
    for k in key_sets:
        s.add(k)
    return s


def test_event_keys_take_names_and_numbers_not_sentence_words() -> None:
    keys = event_keys("Harlow Minerals halts Kestrel line", "On Tuesday the company said 1,200 tonnes were held in Dalian.")
    assert {"harlow", "minerals", "kestrel", "dalian", "#1200"} <= keys
    assert not {"on", "tuesday", "the"} & keys


def test_a_possessive_names_the_same_key_and_the_lead_cut_makes_no_key() -> None:
    a = event_keys("Talks resume in Corvane", "Corvane's minister met Ilse Marwick on 1,250 tonnes.")
    b = event_keys("Corvane's minister meets Marwick", "The talks in Corvane went on.")
    assert {"corvane", "marwick"} <= a & b
    assert not any(k.endswith("'s") for k in a | b)
    # the lead ends inside "Marwick" and inside "1,250": neither half is a key
    cut = "Corvane's minister met Ilse Marwick on 1,250 tonnes.".index("wick")
    short = event_keys("Talks", "Corvane's minister met Ilse Marwick on 1,250 tonnes.", lead_chars=cut)
    assert "mar" not in short and "corvane" in short
    num_cut = "Corvane's minister met Ilse Marwick on 1,250 tonnes.".index("50 tonnes")
    assert not {"#1", "#12", "#1,2"} & event_keys("Talks", "Corvane's minister met Ilse Marwick on 1,250 tonnes.",
                                                  lead_chars=num_cut)


def test_rare_shared_names_weigh_more_than_common_ones() -> None:
    a = frozenset({"china", "exports", "vostrand"})
    b = frozenset({"china", "exports", "vostrand", "#7"})
    c = frozenset({"china", "exports", "pellworth"})
    stats = _stats(*(frozenset({"china", "exports"}) for _ in range(20)), a, b, c)
    assert overlap(a, b, stats) > 0.99
    assert overlap(a, c, stats) < 0.3


def test_same_kind_different_event_stays_apart() -> None:
    # two rehab admissions: alike to an embedding (cosine just under the join line
    # without keys), different people and clinics
    first = _entry("https://a.example/1", "s-first", frozenset({"maren", "oakvale", "clinic"}))
    stats = _stats(first.event_keys, frozenset({"clinic"}), frozenset({"clinic"}))
    other_event = frozenset({"tobias", "ferncliff", "clinic"})
    same_event = frozenset({"maren", "oakvale", "clinic", "#33"})
    cos = STORY_JOIN - 0.1
    assert best_story(other_event, T0, [(first, cos)], stats) is None
    match = best_story(same_event, T0, [(first, cos)], stats)
    assert match is not None and match.story_id == "s-first"


def test_reports_far_apart_in_time_start_a_new_story() -> None:
    keys = frozenset({"maren", "oakvale"})
    old = _entry("https://a.example/1", "s-old", keys, published=T0 - 3 * STORY_WINDOW)
    stats = _stats(keys)
    assert best_story(keys, T0, [(old, 0.99)], stats) is None
    # without any publication date the time window cannot veto
    undated = _entry("https://a.example/2", "s-undated", keys, published=None)
    assert best_story(keys, None, [(undated, 0.99)], stats) is not None


def test_best_story_prefers_the_higher_score() -> None:
    keys = frozenset({"maren", "oakvale"})
    a = _entry("https://a.example/1", "s-a", frozenset({"tobias"}))
    b = _entry("https://b.example/1", "s-b", keys)
    match = best_story(keys, T0, [(a, 0.9), (b, 0.85)], _stats(a.event_keys, b.event_keys))
    assert match is not None and match.story_id == "s-b"


def test_archive_nearest_is_exact_and_ordered() -> None:
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(50, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    arch = Archive(16)
    arch.add_many([_entry(f"https://x.example/{i}", f"s{i}", frozenset()) for i in range(50)], vecs)
    hits = arch.nearest(vecs[7], 5)
    assert hits[0][0].url == "https://x.example/7" and hits[0][1] > 0.98
    sims = [s for _, s in hits]
    assert sims == sorted(sims, reverse=True)
    expected = np.argsort(-(vecs @ vecs[7]))[:5]
    assert [h[0].url for h in hits] == [f"https://x.example/{i}" for i in expected]
    assert timedelta(0) < STORY_WINDOW


def test_content_tfidf_ranks_a_rewrite_above_another_report_of_the_topic() -> None:
    from triage.lexical import DocFreq, content_terms, tfidf_cosine

    original = ("Velmora licences", "Velmora's commerce ministry said 112 magnet makers in Arrendel filed licence "
                "requests and reviews of terbium shipments take 45 working days, Corvane Research said.")
    rewrite = ("Arrendel magnet makers wait", "According to Corvane Research, 112 magnet makers in Arrendel have "
               "requested licences from Velmora's ministry; terbium shipment reviews last 45 working days.")
    other = ("Ostland magnet plant", "A magnet plant in Ostland will process dysprosium from 2027, the ministry said, "
             "after licence requests by carmakers rose.")
    background = [("Rare earth exports", f"The ministry said magnet exports and licence rules changed in week {i}.")
                  for i in range(10, 30)]
    df = DocFreq()
    for t in [original, other, *background]:
        df.add(content_terms(*t))
    a, b, c = (content_terms(*t) for t in (original, rewrite, other))
    assert tfidf_cosine(a, b, df) > 0.5 > tfidf_cosine(a, c, df)
    assert tfidf_cosine(a, a, df) > 0.99
    assert tfidf_cosine(a, content_terms("", ""), df) == 0.0


def test_archive_adopts_a_saved_index(tmp_path: Path) -> None:
    from usearch.index import Index

    rng = np.random.default_rng(2)
    vecs = rng.normal(size=(30, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    built = Archive(16)
    entries = [_entry(f"https://x.example/{i}", f"s{i}", frozenset()) for i in range(30)]
    built.add_many(entries, vecs)
    built.index.save(str(tmp_path / "i.usearch"))
    restored = Index.restore(str(tmp_path / "i.usearch"))
    assert restored is not None
    again = Archive(16)
    again.adopt_index(restored, entries)
    assert [e.url for e, _ in again.nearest(vecs[3], 4)] == [e.url for e, _ in built.nearest(vecs[3], 4)]
    with pytest.raises(ValueError):
        again.adopt_index(restored, entries)
