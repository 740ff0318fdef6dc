"""Triage a batch: embed once, decide copies and stories, score relevance (pure but for
the model, which is loaded once per process)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from core.records import Article, TriagedArticle
from triage.archive import Archive
from triage.crosslingual import cross_language_rows, has_vector
from triage.dedup import dedup_batch
from triage.embed import MULTILINGUAL_MODEL, dedup_text, embed_texts
from triage.langs import article_lang
from triage.relevance import TopicProfile, exemplar_state, multilingual_rows, score_batch


def dedup_vectors(articles: list[Article], model_name: str) -> NDArray[np.float32]:
    """The embeddings dedup and story clustering use (title + lead), one row per article."""
    return embed_texts([dedup_text(a.title, a.text) for a in articles], model_name)


def multilingual_vectors(
    articles: list[Article], archive: Archive, model_name: str = MULTILINGUAL_MODEL, *,
    langs: list[str | None] | None = None, every_row: bool = False,
) -> NDArray[np.float32] | None:
    """The multilingual vectors of a batch (triage/crosslingual.py), or None when every article of
    the batch and of the archive is in one language.  Only the rows a decision can read are
    embedded (``cross_language_rows``, and another language's rows, which relevance reads); the
    others are zero (``has_vector``).  ``every_row``: embed them all (an evaluation that decides
    the same batch again with other dates)."""
    langs = langs if langs is not None else [article_lang(a.lang, a.title, a.text) for a in articles]
    if len(({*langs} | set(archive.langs)) - {None}) < 2:
        return None
    if every_row:
        rows = list(range(len(articles)))
        backfill_multilingual(articles, archive, model_name, langs=langs)
    else:
        rows, positions = cross_language_rows(langs, [_when(a) for a in articles], archive)
        rows = sorted({*rows, *multilingual_rows(langs)})
        _backfill(archive, positions, model_name)
    if not rows:  # two languages, but never near in time: no row is read, the encoder is not loaded
        return np.zeros((len(articles), 0), dtype=np.float32)
    got = embed_texts([dedup_text(articles[i].title, articles[i].text) for i in rows], model_name)
    out = np.zeros((len(articles), got.shape[1]), dtype=np.float32)
    out[rows] = got
    return out


# Stored entries embedded at most per batch when they lack a multilingual vector (stored before the
# archive held a second language near them in time): the newest first.  ~10 ms each on the 2 shared cores.
MAX_BACKFILL = 2000


def backfill_multilingual(
    articles: list[Article], archive: Archive, model_name: str = MULTILINGUAL_MODEL, *,
    langs: list[str | None] | None = None,
) -> int:
    """Give the archive's entries that lack one, and that an article of the batch in another
    language can be compared with (``cross_language_rows``), a multilingual vector; returns how
    many.  They are embedded from their stored statement sentences (title and text are not kept
    in memory) and not stored: a later batch near them in time embeds them again."""
    langs = langs if langs is not None else [article_lang(a.lang, a.title, a.text) for a in articles]
    return _backfill(archive, cross_language_rows(langs, [_when(a) for a in articles], archive)[1], model_name)


def _backfill(archive: Archive, positions: list[int], model_name: str) -> int:
    # the newest first; an entry without stored sentences has nothing to embed
    todo = [i for i in reversed(positions) if archive.entries[i].sentences][:MAX_BACKFILL]
    if not todo:
        return 0
    texts = [dedup_text(archive.entries[i].sentences[0], " ".join(archive.entries[i].sentences[1:])) for i in todo]
    for i, v in zip(todo, embed_texts(texts, model_name), strict=True):
        archive.add_multilingual(i, v)
    return len(todo)


def _when(a: Article) -> datetime:
    return a.published_at or a.first_seen_at


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
    langs = [article_lang(a.lang, a.title, a.text) for a in articles]
    if not multilingual:
        vecs, mvecs = dedup_vectors(articles, model_name), None
    else:
        # The second encoder (numpy, one BLAS thread) runs beside the first (torch, whose two
        # threads leave part of the cores idle); neither reads the other's vectors.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reewatch-use") as pool:
            mfut = pool.submit(multilingual_vectors, articles, archive, langs=langs)
            vecs = dedup_vectors(articles, model_name)
            mvecs = mfut.result()
    decisions = dedup_batch(articles, vecs, archive, lambda texts: embed_texts(texts, model_name), mvecs,
                            lambda texts: embed_texts(texts, MULTILINGUAL_MODEL))
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
            mvector=tuple(float(x) for x in mvecs[i]) if mvecs is not None and has_vector(mvecs, i) else None,
            copy_kind=d.kind,
        )
        for i, (a, v, d, s) in enumerate(zip(articles, vecs, decisions, scores, strict=True))
    ]
