"""Copies and stories (pure decisions over an Archive).

For each new article, in order:
  1. exact copy: same normalised content hash as an archived article;
  2. near copy: embedding of title+lead nearly identical to an archived article;
  3. story: similar enough to an archived article → join its story, else found one.
A copy always joins the story of the article it copies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from reewatch.records import Article
from triage.archive import Archive, ArchiveEntry

# Cosine similarity (MiniLM, title + 600-char lead) above which two articles are copies.
# First setting, from the demo site: syndicated copy 0.99, same-story rewrite 0.86,
# different story on the same topic ≤ 0.80.
COPY_SIM = 0.95
# Cosine similarity above which two articles report the same story (demo site, as above).
STORY_SIM = 0.78
NEIGHBOURS = 10


@dataclass(frozen=True, slots=True)
class DedupDecision:
    duplicate_of: str | None
    story_id: str
    reason: str


def new_story_id(canonical_url: str) -> str:
    return "s-" + hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:12]


def _root(entry: ArchiveEntry) -> str:
    return entry.duplicate_of or entry.url


def decide(article: Article, vec: NDArray[np.float32], archive: Archive) -> DedupDecision:
    """Decide one article against the archive (which must already hold earlier ones)."""
    # 1. exact copy
    same = archive.by_hash.get(article.content_hash)
    if same is not None:
        return DedupDecision(_root(same), same.story_id, "same content hash")
    near = archive.nearest(vec, NEIGHBOURS)
    if near:
        best, sim = near[0]
        # 2. near copy
        if sim >= COPY_SIM:
            return DedupDecision(_root(best), best.story_id, f"near copy (cosine {sim:.3f})")
        # 3. same story
        if sim >= STORY_SIM:
            return DedupDecision(None, best.story_id, f"same story (cosine {sim:.3f})")
    return DedupDecision(None, new_story_id(article.canonical_url), "new story")


def dedup_batch(articles: list[Article], vecs: NDArray[np.float32], archive: Archive) -> list[DedupDecision]:
    """Decide a batch in order, adding each article to the archive as it is decided."""
    out: list[DedupDecision] = []
    for art, vec in zip(articles, vecs, strict=True):
        d = decide(art, vec, archive)
        archive.add(
            ArchiveEntry(
                url=art.url,
                canonical_url=art.canonical_url,
                content_hash=art.content_hash,
                story_id=d.story_id,
                duplicate_of=d.duplicate_of,
                first_seen_at=art.first_seen_at,
                published_at=art.published_at,
                text_len=len(art.text),
            ),
            vec,
        )
        out.append(d)
    return out
