"""Export stored articles with the fields of the CLI contract (JSONL, CSV or Parquet).

One record per stored article: url, canonical_url, title, text, site, lang, published_at,
first_seen_at, source, story_id, duplicate_of, relevance_score, relevance_label, topics
(topic → score); by default also site_name, author, updated_at, relevance_reasons, kind
(article | lead), paywalled and ``labels`` (topic → analyst label), so a plain export → import round trip is lossless
(``--contract-only`` leaves them out).  ``reewatch import`` reads every format back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TextIO

import duckdb

from store.importing import LabelTable, label_table

EXPORT_COLUMNS = (
    "url", "canonical_url", "title", "text", "site", "lang", "published_at", "first_seen_at", "source",
    "story_id", "duplicate_of", "relevance_score", "relevance_label", "topics",
)
# Beyond the contract, on by default: what a lossless backup needs (outlet names, reasons).
# ``kind`` (article | lead) and ``paywalled`` (the text is a teaser) come back on import, and so
# does ``copy_kind`` (how a copy was recognised).
FULL_COLUMNS = ("site_name", "author", "updated_at", "relevance_reasons", "kind", "paywalled", "copy_kind")
FORMATS = ("jsonl", "csv", "parquet")


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which articles to export; ``topic`` also chooses what relevance_score/label mean."""

    since: date | None = None          # first seen on or after this UTC day
    topic: str | None = None           # None: the database's default topic
    relevant_only: bool = False        # only articles labelled relevant for the topic
    full: bool = True                  # add FULL_COLUMNS and labels (off: contract fields only)


def _labels_sql(table: LabelTable) -> str:
    topic = f"l.{table.topic}" if table.topic else "(SELECT topic FROM _default_topic)"
    value = f"arg_max(l.{table.label}, l.{table.stamp})" if table.stamp else f"max(l.{table.label})"
    key = "a.url" if table.keyed_by_url else "a.canonical_url"
    return (
        "(SELECT map_from_entries(list(struct_pack(k := t, v := lab) ORDER BY t)) FROM "
        f"(SELECT {topic} AS t, {value} AS lab FROM labels l WHERE l.{table.key} = {key} GROUP BY 1))"
    )


def export_sql(con: duckdb.DuckDBPyConnection, flt: ExportFilter, *, text_maps: bool = False,
               utc_naive: bool = False) -> tuple[str, list[Any], tuple[str, ...]]:
    """The SELECT behind every format, its parameters and its column names."""
    labels = label_table(con)
    if labels and not flt.full and not _has_rows(con, "labels"):
        labels = None  # the field appears once analysts have labelled something (or with --full)
    columns = EXPORT_COLUMNS + (FULL_COLUMNS if flt.full else ()) + (("labels",) if labels else ())

    def ts(col: str) -> str:
        return f"timezone('UTC', a.{col}) AS {col}" if utc_naive else f"a.{col}"

    def as_map(expr: str, name: str) -> str:
        return f"to_json(coalesce({expr}, MAP {{}})) AS {name}" if text_maps else f"coalesce({expr}, MAP {{}}) AS {name}"

    params: list[Any] = []
    where: list[str] = []
    if flt.topic is None:
        score, label, reasons = "a.relevance_score", "a.relevance_label", "a.relevance_reasons"
        join = ""
    else:
        score, label, reasons = "r.score", "r.label", "r.reasons"
        join = "JOIN relevance r ON r.canonical_url = a.canonical_url AND r.topic = ?"
        params.append(flt.topic)
    if flt.since is not None:
        where.append("a.first_seen_at >= ?")
        params.append(datetime.combine(flt.since, time(0), tzinfo=UTC))
    if flt.relevant_only:
        where.append(f"{label} = 'relevant'")
    select = [
        "a.url", "a.canonical_url", "a.title", "a.text", "a.site", "a.lang", ts("published_at"), ts("first_seen_at"),
        "a.source", "a.story_id", "a.duplicate_of", f"{score} AS relevance_score", f"{label} AS relevance_label",
        as_map("a.topics", "topics"),
    ]
    if flt.full:
        select += ["a.site_name", "a.author", ts("updated_at"),
                   f"to_json({reasons}) AS relevance_reasons" if text_maps else f"{reasons} AS relevance_reasons",
                   "a.kind", "a.paywalled", "a.copy_kind"]
    if labels:
        select.append(as_map(_labels_sql(labels), "labels"))
    sql = (
        "WITH _default_topic AS (SELECT coalesce((SELECT value FROM meta WHERE key = 'default_topic'), "
        "'rare-earth-trade') AS topic) "
        f"SELECT {', '.join(select)} FROM articles a {join} "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + "ORDER BY a.first_seen_at, a.canonical_url"
    )
    return sql, params, columns


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone() == (True,)


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v


def iter_records(con: duckdb.DuckDBPyConnection, flt: ExportFilter | None = None) -> Iterator[dict[str, Any]]:
    sql, params, columns = export_sql(con, flt or ExportFilter())
    cur = con.execute(sql, params)
    while rows := cur.fetchmany(1000):
        for r in rows:
            yield {k: _jsonable(v) for k, v in zip(columns, r, strict=True)}


def write_jsonl(con: duckdb.DuckDBPyConnection, out: TextIO, flt: ExportFilter | None = None) -> int:
    n = 0
    for rec in iter_records(con, flt):
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_file(con: duckdb.DuckDBPyConnection, fmt: str, path: Path, flt: ExportFilter | None = None) -> int:
    """csv or parquet through DuckDB's COPY (in CSV: maps as JSON text, times as UTC without offset)."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"write_file writes csv or parquet, not {fmt!r}")
    csv = fmt == "csv"
    sql, params, _ = export_sql(con, flt or ExportFilter(), text_maps=csv, utc_naive=csv)
    opts = "(FORMAT csv, HEADER)" if csv else "(FORMAT parquet)"
    target = str(path).replace("'", "''")
    row = con.execute(f"COPY ({sql}) TO '{target}' {opts}", params).fetchone()
    return int(row[0]) if row else 0


def parse_since(value: str | None) -> date | None:
    """``--since YYYY-MM-DD`` (a UTC day)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        from core.errors import ConfigError

        raise ConfigError(f"--since {value!r} is not a date; use YYYY-MM-DD, e.g. 2025-06-01") from exc
