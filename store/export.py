"""Export stored articles with the fields of the CLI contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb

EXPORT_COLUMNS = (
    "url", "canonical_url", "title", "text", "site", "lang", "published_at", "first_seen_at", "source",
    "story_id", "duplicate_of", "relevance_score", "relevance_label", "topics",
)
_SELECT = (
    "SELECT url, canonical_url, title, text, site, lang, published_at, first_seen_at, source, story_id, "
    "duplicate_of, relevance_score, relevance_label, coalesce(topics, MAP {}) AS topics FROM articles "
    "ORDER BY first_seen_at, canonical_url"
)


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


def iter_records(con: duckdb.DuckDBPyConnection) -> Iterator[dict[str, Any]]:
    cur = con.execute(_SELECT)
    while rows := cur.fetchmany(1000):
        for r in rows:
            yield {k: _jsonable(v) for k, v in zip(EXPORT_COLUMNS, r, strict=True)}


def write_jsonl(con: duckdb.DuckDBPyConnection, out: TextIO) -> int:
    n = 0
    for rec in iter_records(con):
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_file(con: duckdb.DuckDBPyConnection, fmt: str, path: Path) -> int:
    """csv or parquet through DuckDB's COPY (topics as JSON text in CSV)."""
    sel = _SELECT.replace("coalesce(topics, MAP {}) AS topics", "to_json(coalesce(topics, MAP {})) AS topics") if fmt == "csv" else _SELECT
    opts = "(FORMAT csv, HEADER)" if fmt == "csv" else "(FORMAT parquet)"
    con.execute(f"COPY ({sel}) TO '{str(path).replace(chr(39), chr(39) * 2)}' {opts}")
    row = con.execute("SELECT count(*) FROM documents").fetchone()
    return int(row[0]) if row else 0
