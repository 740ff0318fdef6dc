"""Relevance scoring: profiles, lexical evidence, the head, and scores with reasons.

All texts here are written for these tests (short invented news items)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError
from core.records import Article, TopicScore
from triage.embed import DEFAULT_MODEL, dedup_text, embed_texts
from triage.evidence import FEATURES as LEXICAL_FEATURES
from triage.evidence import lexical_evidence, split_text
from triage.head import Head, fit
from triage.profiles import compile_terms, load_profile, load_profiles
from triage.relevance import FEATURES, PRIOR_HEAD, RELEVANT_AT, exemplar_state, score_batch

EXAMPLES = Path(__file__).resolve().parents[1] / "triage" / "topics" / "examples"

NAV = "Home\nMarkets\nRare earths: Beijing adds licence rules\nCommodities\nSubscribe"


def _article(title: str, text: str) -> Article:
    h = hashlib.sha1(f"{title}{text}".encode()).hexdigest()
    url = f"https://news.example/{h[:10]}"
    return Article(url=url, canonical_url=url, title=title, text=text, site="news.example", lang="en",
                   published_at=None, first_seen_at=datetime.now(UTC), source="test", content_hash=h)


def _score(title: str, text: str, topic: str = "rare-earth-trade", extra: Path | None = None) -> TopicScore:
    profiles = [p for p in load_profiles(extra) if p.name == topic]
    art = _article(title, text)
    vecs = embed_texts([dedup_text(art.title, art.text)])
    return score_batch(profiles, [art], vecs, DEFAULT_MODEL)[0][0]


@pytest.fixture(scope="module")
def profile():  # type: ignore[no-untyped-def]
    return next(p for p in load_profiles() if p.name == "rare-earth-trade")


# --- profiles and terms -----------------------------------------------------------

def test_terms_match_spelling_variants_and_languages() -> None:
    pat = compile_terms(("rare earth*", "Seltene Erden", "редкоземельн*", "희토류", "稀土", "ban"))
    assert pat is not None
    text = "Rare-earth curbs; seltene  Erden; редкоземельных металлов; 희토류 수출; 稀土出口; banned; urban ban"
    found = [m.group(0) for m in pat.finditer(text.lower())]  # patterns run on lower-cased text
    assert found == ["rare-earth", "seltene  erden", "редкоземельных", "희토류", "稀土", "ban"]


def test_shipped_profile_has_terms_in_the_sources_languages(profile) -> None:  # type: ignore[no-untyped-def]
    subject = " ".join(profile.role_terms("subject"))
    for term in ("稀土", "Seltene Erden", "terres rares", "tierras raras", "희토류", "редкоземельн"):
        assert term in subject
    assert len(profile.positive) >= 10 and len(profile.negative) >= 10


def test_bad_profile_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[roles]\nsubject = ["missing"]\n[terms]\nother = ["a"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown groups"):
        load_profile(bad)


def test_user_profile_dir_adds_a_topic() -> None:
    names = {p.name for p in load_profiles(EXAMPLES)}
    assert names == {"rare-earth-trade", "gallium-germanium"}


# --- lexical evidence --------------------------------------------------------------

def test_menu_lines_are_furniture_not_prose() -> None:
    prose, furniture = split_text(NAV + "\nThe retailer said sales rose in every region last quarter, helped by online orders and lower costs.")
    assert "Rare earths: Beijing adds licence rules" in furniture
    assert len(prose) == 1


def test_a_headline_in_the_menu_does_not_make_the_page_about_rare_earths(profile) -> None:  # type: ignore[no-untyped-def]
    ev = lexical_evidence(profile, "Retailer lifts outlook", NAV + "\nThe retailer said sales rose in every region last quarter, helped by online orders.")
    assert not ev.has_subject
    assert ev.features[LEXICAL_FEATURES.index("furniture_only")] == 1.0
    assert any("menus" in r for r in ev.reasons)


def test_long_related_headlines_are_not_prose(profile) -> None:  # type: ignore[no-untyped-def]
    text = (
        "The bank said quarterly profit rose a fifth as trading desks gained from volatile markets.\n"
        "Related stories\n"
        "China tightens rare earth export licences as carmakers in Europe and Japan warn of shortages within weeks\n"
        "Rare earth prices jump after Beijing adds new controls on magnet exports to the United States and Europe"
    )
    assert not lexical_evidence(profile, "Bank profits jump on trading revenue", text).has_subject


def test_trade_cooccurrence_and_where_terms_occur(profile) -> None:  # type: ignore[no-untyped-def]
    ev = lexical_evidence(
        profile, "Beijing tightens rare earth export licences",
        "China's commerce ministry said on Monday that exporters of dysprosium and terbium must apply for a licence for each shipment.\n"
        "Magnet makers in Japan said their stocks would last a few weeks while the applications are reviewed.",
    )
    f = dict(zip(LEXICAL_FEATURES, ev.features, strict=True))
    assert f["title_subject"] == 1 and f["lead_subject"] == 1 and f["cooccurrence"] > 0.5
    assert ev.reasons[0].startswith("title: rare earth")


def test_band_sense_counts_as_off_topic(profile) -> None:  # type: ignore[no-untyped-def]
    ev = lexical_evidence(
        profile, "Rare Earth play their hits again",
        "The Motown band Rare Earth opened the concert with a long version of their best-known song, and the crowd sang along.",
    )
    assert ev.features[LEXICAL_FEATURES.index("trap_share")] == 0.5  # the title has no trap word, the sentence does


# --- head --------------------------------------------------------------------------

def test_head_round_trips_and_fit_moves_towards_the_data() -> None:
    assert Head.from_json(PRIOR_HEAD.to_json()) == PRIOR_HEAD
    rng = np.random.default_rng(0)
    x = rng.random((200, len(FEATURES)))
    y = (x[:, FEATURES.index("actors")] > 0.5).astype(float)  # a rule the prior barely weighs
    head = fit(x, y, PRIOR_HEAD, "t")
    before = PRIOR_HEAD.weights[FEATURES.index("actors")]
    assert head.weights[FEATURES.index("actors")] > before + 1.0


def test_exemplar_head_stays_close_to_the_prior(profile) -> None:  # type: ignore[no-untyped-def]
    _, head = exemplar_state(profile, DEFAULT_MODEL)
    assert max(abs(a - b) for a, b in zip(head.weights, PRIOR_HEAD.weights, strict=True)) < 1.5
    # the signs a reader expects survive fitting
    w = dict(zip(head.names, head.weights, strict=True))
    assert w["cooccurrence"] > 0 and w["subject_sentences"] > 0 and w["trap_share"] < 0


# --- scores, labels, reasons -------------------------------------------------------

CORE = (
    "Car parts makers run short of rare-earth magnets",
    "European suppliers said on Tuesday that deliveries of neodymium magnets from China had slowed to a trickle since "
    "Beijing began requiring export licences, and two brake-motor lines were stopped.\n"
    "The industry association asked the Commission to raise the issue of rare earth export licences in trade talks.",
)


def test_core_story_is_relevant_with_reasons() -> None:
    s = _score(*CORE)
    assert s.label == "relevant" and s.score >= 0.8
    assert any(r.startswith("title:") for r in s.reasons)
    assert any(r.startswith("nearest exemplar") for r in s.reasons)
    assert s.model_version.startswith("exemplars-")


def test_german_core_story_is_relevant_on_its_terms() -> None:
    s = _score(
        "Autozulieferer warten auf Seltene Erden",
        "Wegen der chinesischen Exportkontrollen für Seltene Erden fehlen europäischen Zulieferern Magnete, "
        "wie der Branchenverband am Dienstag mitteilte. Mehrere Werke drosseln bereits die Produktion.",
    )
    assert s.label == "relevant"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Doctors urge care with magnet toys",
         "Emergency doctors treated two toddlers who had swallowed strong neodymium magnets from a desk toy set, "
         "and paediatricians asked parents to keep the toys away from small children."),
        ("Physicists store light in a crystal",
         "A team kept a photon's quantum state in a crystal doped with erbium ions for a record time, a step towards "
         "quantum memory for future networks, the researchers said."),
    ],
)
def test_traps_are_irrelevant(title: str, text: str) -> None:
    assert _score(title, text).label == "irrelevant"


def test_gallium_controls_are_adjacent_for_rare_earths_and_relevant_for_their_own_topic() -> None:
    title = "China halts gallium and germanium exports to US buyers"
    text = (
        "The commerce ministry said exports of gallium, germanium and antimony to the United States would need special "
        "approval, a move that lifted prices of the metals in Rotterdam.\n"
        "Chipmakers said their stocks of gallium would last several months while they looked for other supply."
    )
    assert _score(title, text).label == "adjacent"
    assert _score(title, text, "gallium-germanium", EXAMPLES).label == "relevant"


# General business and political news that never names rare earths (written for this test).
GENERAL_NEWS = [
    ("Bank profits rise on higher lending margins", "The lender said net interest income climbed as rates stayed high, and it raised its dividend."),
    ("Airline adds routes for summer", "The carrier will fly to six new cities in June, adding capacity as bookings recover to pre-pandemic levels."),
    ("Prime minister reshuffles cabinet", "The finance and foreign ministers kept their posts while three new faces joined the government."),
    ("Steelmaker cuts jobs as demand slows", "The company will close one blast furnace and cut 900 jobs, blaming weak construction demand."),
    ("Oil prices rise after supply cut", "Crude futures gained two percent after producers agreed to extend output cuts into next year."),
    ("China's exports rise more than expected", "Shipments abroad climbed eight percent from a year earlier while imports fell, customs data showed."),
    ("Senate passes defence spending bill", "The bill funds new ships and aircraft and now goes to the House for a vote next week."),
    ("Carmaker's quarterly profit beats forecasts", "Strong sales of hybrid models and lower costs lifted earnings, the company said on Thursday."),
    ("Copper hits three-month high", "Copper prices rose on supply disruptions at mines in South America and hopes of stimulus in China."),
    ("Tech giant faces antitrust suit", "Regulators accused the company of abusing its dominance in online advertising and sought fines."),
    ("Retail sales fall in March", "Consumers cut spending on clothing and furniture as higher prices squeezed household budgets."),
    ("Shipping rates jump on canal delays", "Freight costs for container ships rose sharply as vessels were rerouted around Africa."),
]


def test_general_news_without_rare_earths_raises_no_false_alarm() -> None:
    profiles = [p for p in load_profiles() if p.name == "rare-earth-trade"]
    arts = [_article(t, x) for t, x in GENERAL_NEWS]
    vecs = embed_texts([dedup_text(a.title, a.text) for a in arts])
    scores = [row[0] for row in score_batch(profiles, arts, vecs, DEFAULT_MODEL)]
    assert all(s.score < RELEVANT_AT for s in scores), [(a.title, s.score) for a, s in zip(arts, scores, strict=True)]


def test_a_trained_head_passed_in_the_profile_is_used(profile) -> None:  # type: ignore[no-untyped-def]
    flat = Head(FEATURES, tuple(0.0 for _ in FEATURES), 0.0, "rare-earth-trade-h7")
    art = _article(*CORE)
    vecs = embed_texts([dedup_text(art.title, art.text)])
    s = score_batch([dataclasses.replace(profile, head=flat)], [art], vecs, DEFAULT_MODEL)[0][0]
    assert s.model_version == "rare-earth-trade-h7" and s.score == 0.5
