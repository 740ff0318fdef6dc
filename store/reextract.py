"""Re-run extraction over the raw HTML kept in ``documents.raw_html_z`` (after an upgrade).

Updates title, text, content hash and metadata of each stored document in ONE
transaction; story_id and duplicate_of are left alone (triage is not re-run).  The
extractor is passed in, so this module stays free of extraction code.  Running it twice
changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from core.rawhtml import decompress_html
from core.records import Article, NoArticle
from store.db import transaction
from store.rollup import rebuild_story_rollup

# Rows read per query while re-extracting (bounded memory for large databases).
BATCH_ROWS = 128
# The columns re-extraction rewrites, in this order.
UPDATED_COLUMNS = ("title", "text", "content_hash", "site_name", "lang", "author", "published_at", "updated_at")


@dataclass(frozen=True, slots=True)
class StoredPage:
    """What re-extraction needs from one stored document."""

    canonical_url: str
    url: str
    source: str
    first_seen_at: datetime
    html: str


@dataclass
class ReextractResult:
    total: int = 0  # documents with raw HTML
    changed: int = 0
    unchanged: int = 0
    no_article: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): kept as stored
    undecodable: int = 0
    without_html: int = 0


Extract = Callable[[StoredPage], Article | NoArticle]


def count_pages(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(documents with raw HTML, documents without)."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE raw_html_z IS NOT NULL), count(*) FILTER (WHERE raw_html_z IS NULL) "
        "FROM documents"
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _values(a: Article) -> tuple[object, ...]:
    return (a.title, a.text, a.content_hash, a.site_name, a.lang, a.author, a.published_at, a.updated_at)


def _same(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    return all(_norm(o) == _norm(n) for o, n in zip(old, new, strict=True))


def _norm(value: object) -> object:
    return value.timestamp() if isinstance(value, datetime) else value


def reextract(con: duckdb.DuckDBPyConnection, extract: Extract,
              on_progress: Callable[[int], None] | None = None) -> ReextractResult:
    """Re-extract every document that has raw HTML; all updates commit together or not at all."""
    result = ReextractResult()
    result.total, result.without_html = count_pages(con)
    keys = [r[0] for r in con.execute(
        "SELECT canonical_url FROM documents WHERE raw_html_z IS NOT NULL ORDER BY canonical_url").fetchall()]
    cols = ", ".join(UPDATED_COLUMNS)
    with transaction(con):
        for start in range(0, len(keys), BATCH_ROWS):
            batch = keys[start : start + BATCH_ROWS]
            rows = con.execute(
                f"SELECT canonical_url, url, source, first_seen_at, raw_html_z, {cols} FROM documents "
                f"WHERE canonical_url IN (SELECT unnest(?)) ORDER BY canonical_url", [batch]).fetchall()
            for row in rows:
                _one(con, row, extract, result)
            if on_progress is not None:
                on_progress(len(rows))
        if result.changed:
            rebuild_story_rollup(con)  # headlines, outlets, publication times may have changed
    return result


def _one(con: duckdb.DuckDBPyConnection, row: tuple[object, ...], extract: Extract, result: ReextractResult) -> None:
    canonical, url, source, first_seen, blob = row[:5]
    if not isinstance(blob, bytes | bytearray):
        result.undecodable += 1
        return
    page_fields = (str(canonical), str(url), str(source))
    assert isinstance(first_seen, datetime)
    try:
        html = decompress_html(bytes(blob))
    except ValueError:
        result.undecodable += 1
        return
    art = extract(StoredPage(*page_fields, first_seen, html))
    if isinstance(art, NoArticle):
        result.no_article.append((page_fields[1], art.reason))
        return
    new = _values(art)
    if _same(tuple(row[5:]), new):
        result.unchanged += 1
        return
    sets = ", ".join(f"{c} = ?" for c in UPDATED_COLUMNS)
    con.execute(f"UPDATE documents SET {sets} WHERE canonical_url = ?", [*new, page_fields[0]])
    # dedup's features were computed from the old text: the next archive load recomputes them
    con.execute("DELETE FROM dedup_features WHERE canonical_url = ?", [page_fields[0]])
    result.changed += 1
