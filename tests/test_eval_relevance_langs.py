"""`reewatch eval relevance`'s by-language lines (pure)."""

from __future__ import annotations

from core.records import TopicScore
from reewatch.evaluate.relevance import by_language


def test_core_items_by_language_and_the_non_english_ones_lowest_first() -> None:
    items = [
        {"id": "a", "lang": "en", "relevance": 2},
        {"id": "b", "lang": "de", "relevance": 2},
        {"id": "c", "lang": "ja", "relevance": 2},
        {"id": "d", "lang": "de", "relevance": 0},  # not core: not listed
        {"id": "e", "relevance": 2},  # no language given
    ]
    scores = [TopicScore("t", s, lab, ()) for s, lab in  # type: ignore[arg-type]
              ((0.9, "relevant"), (0.4, "adjacent"), (0.7, "relevant"), (0.1, "irrelevant"), (0.6, "relevant"))]
    got = by_language(items, scores)
    assert got["core_by_lang"] == {"?": (1, 1), "de": (0, 1), "en": (1, 1), "ja": (1, 1)}
    assert got["non_english_core"] == (("b", "de", 0.4, "adjacent"), ("e", "?", 0.6, "relevant"),
                                       ("c", "ja", 0.7, "relevant"))
