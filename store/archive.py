"""Load what dedup needs of the stored archive (see triage/archive.py).

DuckDB stays the source of truth: the in-memory index is rebuilt from the
``documents`` and ``embeddings`` tables on every load (int8 usearch index, a few
seconds per 100k articles); MinHash signatures, event keys and content terms are recomputed
from the stored title and text.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np

from triage.archive import Archive, ArchiveEntry
from triage.events import event_keys
from triage.lexical import content_terms
from triage.minhash import signature

# Rows fetched and indexed per step (bounds the float32 staging memory).
LOAD_CHUNK = 10_000


def load_archive(con: duckdb.DuckDBPyConnection, model: str, since: datetime | None = None) -> Archive:
    """Stored articles (first seen at or after ``since``) with their embeddings for ``model``,
    oldest first so that re-loading gives the same archive."""
    cur = con.execute(
        """
        SELECT d.url, d.canonical_url, d.content_hash, d.story_id, d.duplicate_of, d.first_seen_at,
               d.published_at, d.title, d.text, e.vector
        FROM documents d JOIN embeddings e ON e.canonical_url = d.canonical_url AND e.model = ?
        WHERE ? IS NULL OR d.first_seen_at >= ?
        ORDER BY d.first_seen_at, d.canonical_url
        """,
        [model, since, since],
    )
    archive: Archive | None = None
    while rows := cur.fetchmany(LOAD_CHUNK):
        if archive is None:
            archive = Archive(len(rows[0][9]))
        entries = [
            ArchiveEntry(
                url=r[0], canonical_url=r[1], content_hash=r[2], story_id=r[3], duplicate_of=r[4],
                first_seen_at=r[5], published_at=r[6], text_len=len(r[8]),
                signature=signature(f"{r[7]}\n{r[8]}"), event_keys=event_keys(r[7], r[8]),
                terms=content_terms(r[7], r[8]),
            )
            for r in rows
        ]
        archive.add_many(entries, np.asarray([r[9] for r in rows], dtype=np.float32))
    return archive if archive is not None else Archive()
