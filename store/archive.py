"""Load what dedup needs of the stored archive (see triage/archive.py).

DuckDB stays the source of truth: the in-memory index is rebuilt from the
``documents`` and ``embeddings`` tables on every load (int8 usearch index, a few
seconds per 100k articles); MinHash signatures, event keys, content terms and statement
sentences (for the rewrite alignment of triage/align.py) are read from ``dedup_features``
(stored when each article was decided, triage/features.py).  Articles without a row of the
current ``FEATURES_VERSION`` (stored before migration 009, imported, re-extracted) have them
computed from the stored title and text, and stored for the next load.

Vectors are fetched flat (``fetchnumpy``: one float32 array per row, no Python floats) by a
second query in the same order as the article rows (checked by canonical URL; on a mismatch
the load falls back to one query with the vectors as lists), and go into the index in
one ``Archive.add_many`` call per chunk.  At 10k synthetic stored articles this took the load
from 0.55-0.58 to 0.47-0.56 ms per article (docs/benchmarks.md, "Recent stories and archive load").
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
from numpy.typing import NDArray

from core.records import DedupFeatures
from store.articles import save_features
from triage.archive import Archive, ArchiveEntry
from triage.crosslingual import COVERED
from triage.embed import MULTILINGUAL_MODEL
from triage.features import FEATURES_VERSION, Features, article_features, pack, unpack
from triage.langs import article_lang

# Rows turned into entries and indexed per step (bounds the Python-side staging).
LOAD_CHUNK = 10_000

_FROM = """
    FROM documents d JOIN embeddings e ON e.canonical_url = d.canonical_url AND e.model = $model
    LEFT JOIN dedup_features f ON f.canonical_url = d.canonical_url AND f.version = $version
    WHERE $since IS NULL OR d.first_seen_at >= $since
    ORDER BY d.first_seen_at, d.canonical_url
"""
# Title and text travel only for articles whose features must be computed (none stored, or of
# another FEATURES_VERSION); the others bring their stored features.
_ROW_COLS = ("SELECT d.url, d.canonical_url, d.content_hash, d.story_id, d.duplicate_of, d.first_seen_at, "
             "d.published_at, length(d.text), "
             "CASE WHEN f.version IS NULL THEN d.title END, CASE WHEN f.version IS NULL THEN d.text END, "
             "f.version, f.minhash, f.shingles, f.term_hashes, f.term_counts, f.event_keys, f.sentences, d.lang")
_ROWS_SQL = _ROW_COLS + _FROM
_ROWS_WITH_VECTORS_SQL = _ROW_COLS + ", e.vector" + _FROM
_VECTOR_COL = 18
_VECTORS_SQL = "SELECT d.canonical_url, e.vector" + _FROM
# The multilingual encoder's vectors (stored for articles decided while the archive held more than
# one language, triage/crosslingual.py), by canonical URL.
_MULTILINGUAL_SQL = """
    SELECT d.canonical_url, m.vector
    FROM documents d JOIN embeddings m ON m.canonical_url = d.canonical_url AND m.model = $mmodel
    WHERE $since IS NULL OR d.first_seen_at >= $since
"""


def _vectors(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> tuple[list[NDArray[np.float32]], list[str]]:
    """One float32 array per row and the rows' canonical URLs, in load order."""
    got = con.execute(_VECTORS_SQL, params).fetchnumpy()
    return list(got["vector"]), [str(u) for u in got["canonical_url"]]


def _features(r: tuple[object, ...], computed: list[tuple[str, DedupFeatures]]) -> Features:
    if r[10] is not None:
        stored = unpack(DedupFeatures(
            int(r[10]), bytes(r[11]), int(r[12]), bytes(r[13]), bytes(r[14]),  # type: ignore[arg-type, call-overload]
            tuple(r[15]), tuple(r[16]),  # type: ignore[arg-type]
        ))
        if stored is not None:
            return stored
    f = article_features(str(r[8] or ""), str(r[9] or ""))
    computed.append((str(r[1]), pack(f)))
    return f


def _entries(rows: list[tuple[object, ...]], computed: list[tuple[str, DedupFeatures]]) -> list[ArchiveEntry]:
    out: list[ArchiveEntry] = []
    for r in rows:
        f = _features(r, computed)
        out.append(ArchiveEntry(
            url=r[0], canonical_url=r[1], content_hash=r[2], story_id=r[3], duplicate_of=r[4],  # type: ignore[arg-type]
            first_seen_at=r[5], published_at=r[6], text_len=int(r[7]),  # type: ignore[arg-type, call-overload]
            signature=f.sig, event_keys=f.keys, terms=f.terms, sentences=f.sentences,
            lang=article_lang(r[17], "", " ".join(f.sentences[:4])),  # type: ignore[arg-type]
        ))
    return out


def load_archive(con: duckdb.DuckDBPyConnection, model: str, since: datetime | None = None, *,
                 write_back: bool = True) -> Archive:
    """Stored articles (first seen at or after ``since``) with their embeddings for ``model``,
    oldest first so that re-loading gives the same archive.  Features that had to be computed
    (none stored, or of an older version) are stored for the next load unless ``write_back`` is
    False (a read-only connection)."""
    archive, computed = read_archive(con, model, since)
    if write_back:
        save_features(con, computed)
    return archive


def read_archive(con: duckdb.DuckDBPyConnection, model: str, since: datetime | None = None
                 ) -> tuple[Archive, list[tuple[str, DedupFeatures]]]:
    """``load_archive`` on a read-only connection: the archive, and the features that had to be
    computed, for the caller to store (``save_features``) in its next write."""
    params: dict[str, object] = {"model": model, "since": since, "version": FEATURES_VERSION}
    computed: list[tuple[str, DedupFeatures]] = []
    archive = _load(con, params, computed)
    _add_multilingual(con, archive, since)
    return archive, computed


def _add_multilingual(con: duckdb.DuckDBPyConnection, archive: Archive, since: datetime | None) -> None:
    """Give the loaded entries in a language the multilingual encoder covers their stored vector."""
    got = con.execute(_MULTILINGUAL_SQL, {"mmodel": MULTILINGUAL_MODEL, "since": since}).fetchnumpy()
    if not len(got["canonical_url"]):
        return
    position = {e.canonical_url: i for i, e in enumerate(archive.entries)}
    for url, vec in zip(got["canonical_url"], got["vector"], strict=True):
        i = position.get(str(url))
        if i is not None and archive.entries[i].lang in COVERED:
            archive.add_multilingual(i, np.asarray(vec, dtype=np.float32))


def _load(con: duckdb.DuckDBPyConnection, params: dict[str, object],
          computed: list[tuple[str, DedupFeatures]]) -> Archive:
    vecs, urls = _vectors(con, params)
    cur = con.execute(_ROWS_SQL, params)
    archive: Archive | None = None
    done = 0
    while rows := cur.fetchmany(LOAD_CHUNK):
        if urls[done:done + len(rows)] != [r[1] for r in rows]:
            # a write between the two queries (another connection of this process): load row by row
            computed.clear()
            return _load_with_row_vectors(con, params, computed)
        chunk = np.stack(vecs[done:done + len(rows)]).astype(np.float32, copy=False)
        if archive is None:
            archive = Archive(chunk.shape[1])
        archive.add_many(_entries(rows, computed), chunk)
        done += len(rows)
    if done != len(urls):
        computed.clear()
        return _load_with_row_vectors(con, params, computed)
    return archive if archive is not None else Archive()


def _load_with_row_vectors(con: duckdb.DuckDBPyConnection, params: dict[str, object],
                           computed: list[tuple[str, DedupFeatures]]) -> Archive:
    """The one-query load (vectors as Python lists, ~0.1 ms more per row): consistent by construction."""
    cur = con.execute(_ROWS_WITH_VECTORS_SQL, params)
    archive: Archive | None = None
    while rows := cur.fetchmany(LOAD_CHUNK):
        if archive is None:
            archive = Archive(len(rows[0][_VECTOR_COL]))
        archive.add_many(_entries(rows, computed), np.asarray([r[_VECTOR_COL] for r in rows], dtype=np.float32))
    return archive if archive is not None else Archive()
