"""Quality gate: extraction on a fixed subset of the shared benchmarks must not regress.

Skipped when ../shared/data is absent.  `reewatch eval extraction ../shared/data/extraction`
measures all pages; this gate uses an evenly spread, fixed subset to stay fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reewatch.evaluate.extraction import evaluate_set, ours
from reewatch.evaluate.extraction_data import find_sets, subset

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "extraction"
GATE_PAGES = 60
# Floors pinned a little under what this version measures on these fixed 60-page subsets
# (`reewatch eval extraction ../shared/data/extraction --limit 60`): ScrapingHub shingle-F1 mean
# 0.9668; wcxb-dev 0.9365, published date found 100 %, same day 77.6 % (38 of 49 dated pages;
# the full set measures 85.8 %). trafilatura's strongest article setting measures 0.957 (comments
# off) / 0.931 (comments off, favor_recall) on the same subsets.
FLOORS = {
    "scrapinghub": {"shingle": 0.964},
    "wcxb-dev": {"shingle": 0.934, "date_found": 0.97, "date_same_day": 0.75},
}

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/extraction is absent")


@pytest.fixture(scope="module")
def sets() -> dict[str, object]:
    return {s.name: s for s in find_sets(DATA)} if DATA.is_dir() else {}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_extraction_quality_floor(name: str, sets: dict[str, object]) -> None:
    if name not in sets:
        pytest.skip(f"{name} not in {DATA}")
    gold = sets[name]
    from reewatch.evaluate.extraction_data import GoldSet

    assert isinstance(gold, GoldSet)
    result = evaluate_set(subset(gold, GATE_PAGES), "reewatch", ours)
    floors = FLOORS[name]
    assert result.shingle.n == GATE_PAGES
    assert result.shingle.mean >= floors["shingle"], result
    if "date_found" in floors:
        assert result.date_found_rate >= floors["date_found"], result
        assert result.date_same_day_rate >= floors["date_same_day"], result
