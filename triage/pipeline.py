"""Triage a batch: embed once, decide copies and stories, score relevance (pure but for
the model, which is loaded once per process)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from core.records import Article, TriagedArticle
from triage.archive import Archive
from triage.dedup import dedup_batch
from triage.embed import dedup_text, embed_texts
from triage.relevance import TopicProfile, exemplar_state, score_batch


def dedup_vectors(articles: list[Article], model_name: str) -> NDArray[np.float32]:
    """The embeddings dedup and story clustering use (title + lead), one row per article."""
    return embed_texts([dedup_text(a.title, a.text) for a in articles], model_name)


def prepare(profiles: list[TopicProfile], model_name: str) -> None:
    """Load the model and embed the topics' exemplars now (once per process), e.g. while the
    first batch is fetched and extracted elsewhere, instead of in the first triage_batch."""
    embed_texts([], model_name)
    for p in profiles:
        exemplar_state(p, model_name)


def triage_batch(
    articles: list[Article], archive: Archive, profiles: list[TopicProfile], model_name: str
) -> list[TriagedArticle]:
    """Triage articles; ``archive`` gains each new one as it is decided."""
    if not articles:
        return []
    vecs = dedup_vectors(articles, model_name)
    decisions = dedup_batch(articles, vecs, archive, lambda texts: embed_texts(texts, model_name))
    scores = score_batch(profiles, articles, vecs, model_name)
    return [
        TriagedArticle(
            article=a,
            embedding=tuple(float(x) for x in v),
            duplicate_of=d.duplicate_of,
            story_id=d.story_id,
            scores=s,
            features=d.features,
        )
        for a, v, d, s in zip(articles, vecs, decisions, scores, strict=True)
    ]
