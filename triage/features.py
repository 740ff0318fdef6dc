"""What dedup computes from an article's title and text, once (pure).

The copy and story layers need, for every archived article, its MinHash signature, event
keys, content terms and statement sentences.  They are computed when the article is first
decided (``article_features``), stored beside it (``DedupFeatures``, table
``dedup_features``) and read back when the archive is loaded, instead of being recomputed
from the stored text on every run: recomputing cost ~4.5 ms per real stored article (10.2k
stored bench articles: ~45 s per run, before the first new page was triaged); with them read
back the whole load takes 0.33 ms per stored article (docs/dedup.md, "Stored dedup features").

``FEATURES_VERSION`` names the code that computed them: bump it whenever
triage/minhash.py, triage/events.py, triage/lexical.py or triage/align.py change what they
compute, and stored features of an older version are recomputed (and stored again) at load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.records import DedupFeatures
from triage.align import split_sentences
from triage.events import event_keys
from triage.lexical import TermVector, content_terms
from triage.minhash import Signature, signature

# Names the code that computed stored features; rows of another version are recomputed at load
# (the versions are listed in docs/dedup.md).
FEATURES_VERSION = 3


@dataclass(frozen=True, slots=True)
class Features:
    """An article's dedup features, ready for the archive."""

    sig: Signature
    keys: frozenset[str]
    terms: TermVector
    sentences: tuple[str, ...]


def article_features(title: str, text: str) -> Features:
    return Features(
        signature(f"{title}\n{text}"), event_keys(title, text), content_terms(title, text),
        split_sentences(title, text),
    )


def pack(f: Features) -> DedupFeatures:
    """The storable form (little-endian arrays as bytes, sorted keys)."""
    return DedupFeatures(
        version=FEATURES_VERSION,
        minhash=f.sig.sig.astype("<u2").tobytes(),
        shingles=f.sig.size,
        term_hashes=f.terms.terms.astype("<u4").tobytes(),
        term_counts=f.terms.counts.astype("<u2").tobytes(),
        event_keys=tuple(sorted(f.keys)),
        sentences=f.sentences,
    )


def unpack(d: DedupFeatures) -> Features | None:
    """The features back, or None when they were computed by another version (recompute them)."""
    if d.version != FEATURES_VERSION:
        return None
    return Features(
        Signature(np.frombuffer(d.minhash, dtype="<u2").astype(np.uint16), d.shingles),
        frozenset(d.event_keys),
        TermVector(np.frombuffer(d.term_hashes, dtype="<u4").astype(np.uint32),
                   np.frombuffer(d.term_counts, dtype="<u2").astype(np.uint16)),
        tuple(d.sentences),
    )
