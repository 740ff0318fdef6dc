"""The dedup evaluation's breakdowns: copy links by kind, and what misplaced foreign items cost."""

from __future__ import annotations

import json
from pathlib import Path

from reewatch.evaluate.dedup import (
    bcubed,
    dated,
    imported_items,
    links_by_kind,
    load_items,
    stories_with_languages_placed,
)
from triage.dedup import DedupDecision

ROWS = [
    # a wire story, a near-verbatim copy, a translation of it, and an unrelated English report
    {"id": "a", "url": "https://a.example/1", "text": "Wire story\nMinistry sets quotas.", "story": "quota",
     "copy_of": None, "lang": "en", "note": "original"},
    {"id": "b", "url": "https://b.example/1", "text": "Wire story\nMinistry sets quotas!", "story": "quota",
     "copy_of": "https://a.example/1", "lang": "en", "note": "repost [copy kind: near-verbatim; 5-gram containment vs copy_of = 0.90]"},
    {"id": "c", "url": "https://c.example/1", "text": "Drahtmeldung\nMinisterium setzt Quoten.", "story": "quota",
     "copy_of": "https://a.example/1", "lang": "de", "note": "German [copy kind: translation; 5-gram containment vs copy_of = 0.00]"},
    {"id": "d", "url": "https://d.example/1", "text": "Other\nA port reopens.", "story": "port",
     "copy_of": None, "lang": "en", "note": "unrelated"},
]


def _items(tmp_path: Path):  # type: ignore[no-untyped-def]
    f = tmp_path / "dev.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    return load_items(f)[1]


def test_copy_kinds_are_read_from_the_note_and_links_counted_per_kind(tmp_path: Path) -> None:
    items = _items(tmp_path)
    assert [it.copy_kind for it in items] == [None, "near-verbatim", "translation", None]
    decisions = [DedupDecision(None, "s1", ""), DedupDecision("https://a.example/1", "s1", ""),
                 DedupDecision(None, "s2", ""), DedupDecision(None, "s3", "")]
    assert links_by_kind(items, decisions) == {"near-verbatim": (1, 1), "translation": (0, 1)}
    # a link caught through the chain of predicted copies counts too
    chained = [decisions[0], decisions[1], DedupDecision("https://b.example/1", "s1", ""), decisions[3]]
    assert links_by_kind(items, chained)["translation"] == (1, 1)


def test_foreign_items_are_placed_with_their_storys_english_members(tmp_path: Path) -> None:
    items = _items(tmp_path)
    decisions = [DedupDecision(None, "s1", ""), DedupDecision(None, "s1", ""),
                 DedupDecision(None, "s2", ""), DedupDecision(None, "s3", "")]
    gold = [it.story for it in items]
    as_is = bcubed([d.story_id for d in decisions], gold)
    placed = stories_with_languages_placed(items, decisions)
    assert placed is not None and as_is.f1 < 1.0 and placed.f1 == 1.0
    # with no foreign item there is nothing to place
    english = [it for it in items if it.article.lang == "en"]
    assert stories_with_languages_placed(english, [decisions[i] for i in (0, 1, 3)]) is None


CAPTURES = [
    # a capture with menu words, a dateline and its headline; a list of standfirsts; a plain report
    {"url": "https://e.example/1", "story": "talks", "copy_of": None,
     "text": "Menu\nSearch\nTalks resume in Corvane over magnet quotas\nMarch 4, 2024 10:02 GMT\n"
             "Negotiators from Corvane and Pellworth met on Monday to settle the magnet quota dispute. "
             "They agreed to meet again next week."},
    {"url": "https://e.example/2", "story": "index", "copy_of": None,
     "text": "\n".join(f"Headline number {i} about a different matter entirely" for i in range(12))},
    {"url": "https://e.example/3", "story": "port", "copy_of": None,
     "text": "Port reopens\nThe harbour of Dallow reopened on Tuesday after a week of repairs. Ships queued."},
]


def test_as_imported_items_are_built_as_the_import_builds_them(tmp_path: Path) -> None:
    f = tmp_path / "captures.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in CAPTURES), encoding="utf-8")
    kind, items, rejected = imported_items(f)
    assert kind == "news" and [it.article.url for it in items] == ["https://e.example/1", "https://e.example/3"]
    assert sum(rejected.values()) == 1  # the list of headlines is not an article
    talks = items[0].article
    assert talks.title == "Talks resume in Corvane over magnet quotas"
    assert "Menu" not in talks.text and "March 4" not in talks.text
    assert talks.published_at is not None and talks.published_at.date().isoformat() == "2024-03-04"
    # the run "with published_at" keeps a dateline's date when the record has none
    assert dated(items)[0].article.published_at == talks.published_at
    # the default loader keeps the first line as the title and the rest as text
    direct = load_items(f)[1]
    assert direct[0].article.title == "Menu" and direct[0].article.published_at is None
