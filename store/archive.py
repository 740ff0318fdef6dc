"""Load what dedup needs of the stored archive (see triage/archive.py)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np

from triage.archive import Archive, ArchiveEntry


def load_archive(con: duckdb.DuckDBPyConnection, model: str, since: datetime | None = None) -> Archive:
    """Stored articles (first seen after ``since``) with their embeddings for ``model``."""
    rows = con.execute(
        """
        SELECT d.url, d.canonical_url, d.content_hash, d.story_id, d.duplicate_of, d.first_seen_at,
               d.published_at, length(d.text), e.vector
        FROM documents d JOIN embeddings e ON e.canonical_url = d.canonical_url AND e.model = ?
        WHERE ? IS NULL OR d.first_seen_at >= ?
        ORDER BY d.first_seen_at, d.canonical_url
        """,
        [model, since, since],
    ).fetchall()
    dim = len(rows[0][8]) if rows else 384
    archive = Archive(dim)
    for r in rows:
        archive.add(ArchiveEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(r[7])),
                    np.asarray(r[8], dtype=np.float32))
    return archive
