"""Load what dedup needs of the stored archive (see triage/archive.py).

DuckDB stays the source of truth: the in-memory index is rebuilt from the
``documents`` and ``embeddings`` tables on every load (int8 usearch index, a few
seconds per 100k articles); MinHash signatures, event keys, content terms and statement sentences (for the
rewrite alignment of triage/align.py) are recomputed
from the stored title and text.

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

from triage.align import split_sentences
from triage.archive import Archive, ArchiveEntry
from triage.events import event_keys
from triage.lexical import content_terms
from triage.minhash import signature

# Rows turned into entries and indexed per step (bounds the Python-side staging).
LOAD_CHUNK = 10_000

_FROM = """
    FROM documents d JOIN embeddings e ON e.canonical_url = d.canonical_url AND e.model = $model
    WHERE $since IS NULL OR d.first_seen_at >= $since
    ORDER BY d.first_seen_at, d.canonical_url
"""
_ROW_COLS = ("SELECT d.url, d.canonical_url, d.content_hash, d.story_id, d.duplicate_of, d.first_seen_at, "
             "d.published_at, d.title, d.text")
_ROWS_SQL = _ROW_COLS + _FROM
_ROWS_WITH_VECTORS_SQL = _ROW_COLS + ", e.vector" + _FROM
_VECTORS_SQL = "SELECT d.canonical_url, e.vector" + _FROM


def _vectors(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> tuple[list[NDArray[np.float32]], list[str]]:
    """One float32 array per row and the rows' canonical URLs, in load order."""
    got = con.execute(_VECTORS_SQL, params).fetchnumpy()
    return list(got["vector"]), [str(u) for u in got["canonical_url"]]


def _entries(rows: list[tuple[object, ...]]) -> list[ArchiveEntry]:
    return [
        ArchiveEntry(
            url=r[0], canonical_url=r[1], content_hash=r[2], story_id=r[3], duplicate_of=r[4],  # type: ignore[arg-type]
            first_seen_at=r[5], published_at=r[6], text_len=len(r[8]),  # type: ignore[arg-type]
            signature=signature(f"{r[7]}\n{r[8]}"), event_keys=event_keys(r[7], r[8]),  # type: ignore[arg-type]
            terms=content_terms(r[7], r[8]),  # type: ignore[arg-type]
            sentences=split_sentences(r[7], r[8]),  # type: ignore[arg-type]
        )
        for r in rows
    ]


def load_archive(con: duckdb.DuckDBPyConnection, model: str, since: datetime | None = None) -> Archive:
    """Stored articles (first seen at or after ``since``) with their embeddings for ``model``,
    oldest first so that re-loading gives the same archive."""
    params: dict[str, object] = {"model": model, "since": since}
    vecs, urls = _vectors(con, params)
    cur = con.execute(_ROWS_SQL, params)
    archive: Archive | None = None
    done = 0
    while rows := cur.fetchmany(LOAD_CHUNK):
        if urls[done:done + len(rows)] != [r[1] for r in rows]:
            # a write between the two queries (another connection of this process): load row by row
            return _load_with_row_vectors(con, params)
        chunk = np.stack(vecs[done:done + len(rows)]).astype(np.float32, copy=False)
        if archive is None:
            archive = Archive(chunk.shape[1])
        archive.add_many(_entries(rows), chunk)
        done += len(rows)
    if done != len(urls):
        return _load_with_row_vectors(con, params)
    return archive if archive is not None else Archive()


def _load_with_row_vectors(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> Archive:
    """The one-query load (vectors as Python lists, ~0.1 ms more per row): consistent by construction."""
    cur = con.execute(_ROWS_WITH_VECTORS_SQL, params)
    archive: Archive | None = None
    while rows := cur.fetchmany(LOAD_CHUNK):
        if archive is None:
            archive = Archive(len(rows[0][9]))
        archive.add_many(_entries(rows), np.asarray([r[9] for r in rows], dtype=np.float32))
    return archive if archive is not None else Archive()
