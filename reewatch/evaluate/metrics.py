"""Extraction metrics (definitions in ../shared/data/README.md): pure functions, no I/O.

Word tokens are ``core.text.tokens`` (``\\w+`` runs, lower-cased).  Both metrics are
F1 over multisets: of tokens (bag F1) and of token 4-grams (shingle F1).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.text import tokens

SHINGLE_N = 4


def _f1(pred: Counter[str] | Counter[tuple[str, ...]], gold: Counter[str] | Counter[tuple[str, ...]]) -> float:
    if not pred and not gold:
        return 1.0
    if not pred or not gold:
        return 0.0
    overlap = sum((pred & gold).values())  # type: ignore[operator]
    if overlap == 0:
        return 0.0
    precision = overlap / sum(pred.values())
    recall = overlap / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def shingles(toks: Sequence[str], n: int = SHINGLE_N) -> Counter[tuple[str, ...]]:
    """Multiset of token n-grams; a text shorter than n counts as one shingle of itself."""
    if len(toks) < n:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def bag_f1(predicted: str, gold: str) -> float:
    """F1 of the token multisets."""
    return _f1(Counter(tokens(predicted)), Counter(tokens(gold)))


def shingle_f1(predicted: str, gold: str, n: int = SHINGLE_N) -> float:
    """F1 of the token n-gram (default 4-gram) multisets."""
    return _f1(shingles(tokens(predicted), n), shingles(tokens(gold), n))


@dataclass(frozen=True, slots=True)
class Summary:
    """Mean and median of a list of per-page values."""

    n: int
    mean: float
    median: float


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(0, float("nan"), float("nan"))
    return Summary(len(values), statistics.fmean(values), statistics.median(values))
