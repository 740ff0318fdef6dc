"""Lexical near-duplicate evidence for dedup (pure): word-shingle MinHash signatures.

A copy shares long word sequences with its original even when boilerplate, a wire
credit or a few edited sentences differ. We keep, per article, a MinHash signature of
its word 5-gram set and the set's size; from two signatures we estimate the Jaccard
similarity and from it the *containment* of the smaller set in the larger one (a short
teaser that is wholly contained in a long copy counts as a copy).

Hashing is deterministic across processes (CRC32 + multiply-shift), never Python's
salted ``hash``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.text import tokens

# Word n-gram length of a shingle: 5 words, the unit of the "5-gram containment" by which
# ../shared/data/news/dev.jsonl describes its copies.
SHINGLE_WORDS = 5
# Signature length: 128 hash functions give a Jaccard estimate with standard error
# ≤ 0.045, small against the gap between copies (containment ≥ 0.33) and independent
# same-story reports (containment ≤ 0.24) in news/dev.
NUM_PERM = 128
_MASK32 = np.uint64(0xFFFFFFFF)
_rng = np.random.default_rng(20250609)  # fixed seed: signatures are stored, they must never change
# 64-bit odd multipliers: the product must wrap modulo 2**64 for the high bits to mix
_A = _rng.integers(0, 2**64 - 1, NUM_PERM, dtype=np.uint64, endpoint=True) | np.uint64(1)
_B = _rng.integers(0, 2**64 - 1, NUM_PERM, dtype=np.uint64, endpoint=True)
EMPTY_SIG: NDArray[np.uint16] = np.full(NUM_PERM, 0xFFFF, dtype=np.uint16)


@dataclass(frozen=True, slots=True)
class Signature:
    """MinHash of an article's word-shingle set (16 bits per hash) and the set size."""

    sig: NDArray[np.uint16]
    size: int


def shingles(text: str, n: int = SHINGLE_WORDS) -> set[str]:
    """Distinct word n-grams of the normalised token stream (a short text is one shingle)."""
    toks = tokens(text)
    if len(toks) < n:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def signature(text: str) -> Signature:
    """MinHash signature of ``text``'s shingle set."""
    sh = shingles(text)
    if not sh:
        return Signature(EMPTY_SIG.copy(), 0)
    x = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in sh), dtype=np.uint64, count=len(sh))
    # multiply-shift hashing: the high 32 bits of (a*x + b) mod 2**64 (a odd), per permutation
    h = ((x[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)) & _MASK32
    mins = h.min(axis=0)
    # keep the low 16 bits: a minimum has few high bits set
    return Signature((mins & np.uint64(0xFFFF)).astype(np.uint16), len(sh))


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    if a.size == 0 or b.size == 0:
        return 0.0
    return float(np.mean(a.sig == b.sig))


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller shingle set found in the larger one."""
    j = jaccard(a, b)
    if j <= 0.0:
        return 0.0
    inter = j * (a.size + b.size) / (1.0 + j)
    return min(1.0, inter / min(a.size, b.size))
