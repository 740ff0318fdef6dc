"""Triage a batch: embed once, decide copies and stories, score relevance (pure but for
the model, which is loaded once per process)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from core.records import Article, TriagedArticle
from triage.archive import Archive
from triage.crosslingual import COVERED
from triage.dedup import dedup_batch
from triage.embed import MULTILINGUAL_MODEL, dedup_text, embed_texts
from triage.langs import article_lang
from triage.relevance import TopicProfile, exemplar_state, multilingual_rows, score_batch
from triage.stories import STORY_WINDOW


def dedup_vectors(articles: list[Article], model_name: str) -> NDArray[np.float32]:
    """The embeddings dedup and story clustering use (title + lead), one row per article."""
    return embed_texts([dedup_text(a.title, a.text) for a in articles], model_name)


def multilingual_vectors(
    articles: list[Article], archive: Archive, model_name: str = MULTILINGUAL_MODEL
) -> NDArray[np.float32] | None:
    """The multilingual vectors of a batch (triage/crosslingual.py), or None when every article of
    the batch and of the archive is in one language: the second encoder is paid for only where
    languages differ."""
    langs = {article_lang(a.lang, a.title, a.text) for a in articles} | set(archive.langs)
    langs.discard(None)
    if len(langs) < 2:
        return None
    backfill_multilingual(articles, archive, model_name)
    return embed_texts([dedup_text(a.title, a.text) for a in articles], model_name)


# Stored entries embedded at most per batch when they lack a multilingual vector (stored before the
# archive held a second language): the newest first.  ~10 ms each on the 2 shared cores.
MAX_BACKFILL = 2000


def backfill_multilingual(articles: list[Article], archive: Archive, model_name: str = MULTILINGUAL_MODEL) -> int:
    """Give the archive's entries near the batch in time (the story window) that lack one a
    multilingual vector, embedded from their stored statement sentences (their title and text are
    not kept in memory); returns how many.  Not stored: these entries age out of the archive, and
    every article decided while the archive holds two languages gets its own stored vector."""
    times = [a.published_at or a.first_seen_at for a in articles]
    todo: list[int] = []
    for i in range(len(archive.entries) - 1, -1, -1):
        e = archive.entries[i]
        # a language the encoder does not cover gets no vector (the archive loader drops such
        # vectors too): embedding it would be paid again on every run for nothing
        if i in archive.mpositions or e.lang not in COVERED or not e.sentences or not _near_in_time(e.when, times):
            continue
        todo.append(i)
        if len(todo) >= MAX_BACKFILL:
            break
    if not todo:
        return 0
    texts = [dedup_text(archive.entries[i].sentences[0], " ".join(archive.entries[i].sentences[1:])) for i in todo]
    for i, v in zip(todo, embed_texts(texts, model_name), strict=True):
        archive.add_multilingual(i, v)
    return len(todo)


def relevance_vectors(
    docs: list[tuple[str, str]], langs: list[str | None], model_name: str = MULTILINGUAL_MODEL
) -> NDArray[np.float32] | None:
    """Multilingual vectors for relevance (rows aligned with ``docs``; only the rows of another
    language the encoder covers are embedded, the others are zero), or None when there are none:
    an English batch never loads the second encoder."""
    rows = multilingual_rows(langs)
    if not rows:
        return None
    got = embed_texts([dedup_text(*docs[i]) for i in rows], model_name)
    out = np.zeros((len(docs), got.shape[1]), dtype=np.float32)
    out[rows] = got
    return out


def _near_in_time(when: datetime, times: list[datetime]) -> bool:
    try:
        return any(abs(when - t) <= STORY_WINDOW for t in times)
    except TypeError:  # naive vs aware: cannot compare, do not exclude
        return True


def prepare(profiles: list[TopicProfile], model_name: str) -> None:
    """Load the model and embed the topics' exemplars now (once per process), e.g. while the
    first batch is fetched and extracted elsewhere, instead of in the first triage_batch."""
    embed_texts([], model_name)
    for p in profiles:
        exemplar_state(p, model_name)


def triage_batch(
    articles: list[Article], archive: Archive, profiles: list[TopicProfile], model_name: str, *,
    multilingual: bool = True,
) -> list[TriagedArticle]:
    """Triage articles; ``archive`` gains each new one as it is decided.  ``multilingual``: use the
    second encoder where languages differ (else lexical evidence and the English model only)."""
    if not articles:
        return []
    vecs = dedup_vectors(articles, model_name)
    mvecs = multilingual_vectors(articles, archive) if multilingual else None
    decisions = dedup_batch(articles, vecs, archive, lambda texts: embed_texts(texts, model_name), mvecs,
                            lambda texts: embed_texts(texts, MULTILINGUAL_MODEL))
    langs = [article_lang(a.lang, a.title, a.text) for a in articles]
    rvecs = mvecs if mvecs is not None or not multilingual else relevance_vectors(
        [(a.title, a.text) for a in articles], langs)
    scores = score_batch(profiles, articles, vecs, model_name, langs, rvecs)
    return [
        TriagedArticle(
            # an article without a declared language is stored with the guessed one (documents.lang:
            # "detected or declared"): later loads and the digest's "also in" read it
            article=a if a.lang else replace(a, lang=article_lang(None, a.title, a.text)),
            embedding=tuple(float(x) for x in v),
            duplicate_of=d.duplicate_of,
            story_id=d.story_id,
            scores=s,
            features=d.features,
            mvector=tuple(float(x) for x in mvecs[i]) if mvecs is not None else None,
            copy_kind=d.kind,
        )
        for i, (a, v, d, s) in enumerate(zip(articles, vecs, decisions, scores, strict=True))
    ]
