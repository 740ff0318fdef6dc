"""Store exported records as given (``reewatch import`` of what ``reewatch export`` wrote).

Articles, embeddings, scores and seen-URL rows go through :func:`store.articles.save_batch`
(first stored version wins).  Analyst labels live in a ``labels`` table that a later
migration adds; this module finds its columns at run time, so it works whether or not
the table exists and whatever extra columns it has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from core.records import TriagedArticle
from store import articles as store_articles
from store.db import transaction

# Columns that may hold the labelled article's key, in order of preference.
_KEY_COLUMNS = ("canonical_url", "url", "article_url")


@dataclass(frozen=True, slots=True)
class LabelColumn:
    name: str
    data_type: str
    nullable: bool
    has_default: bool


@dataclass(frozen=True, slots=True)
class LabelTable:
    """How the ``labels`` table of this database is laid out."""

    key: str                 # column with the article's canonical URL (or URL)
    topic: str | None        # column with the topic, when labels are per topic
    label: str               # column with the label
    stamp: str | None        # a timestamp column: the latest label per topic wins
    columns: tuple[LabelColumn, ...]

    @property
    def keyed_by_url(self) -> bool:
        return self.key != "canonical_url"


def label_table(con: duckdb.DuckDBPyConnection) -> LabelTable | None:
    """The ``labels`` table's layout, or None when this database has none (or none we understand)."""
    rows = con.execute(
        "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
        "WHERE table_name = 'labels' AND table_schema = 'main' ORDER BY ordinal_position"
    ).fetchall()
    cols = tuple(LabelColumn(str(r[0]), str(r[1]).upper(), r[2] == "YES", r[3] is not None) for r in rows)
    names = [c.name for c in cols]
    key = next((k for k in _KEY_COLUMNS if k in names), None)
    if key is None or "label" not in names:
        return None
    stamp = next((c.name for c in cols if c.data_type.startswith("TIMESTAMP")), None)
    return LabelTable(key, "topic" if "topic" in names else None, "label", stamp, cols)


def _filler(col: LabelColumn, now: datetime) -> object:
    """A value for a required column this module does not know."""
    t = col.data_type
    if t.startswith("TIMESTAMP") or t == "DATE":
        return now
    if t == "BOOLEAN":
        return False
    if any(t.startswith(p) for p in ("INT", "BIGINT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL", "HUGEINT", "UBIGINT", "UINTEGER")):
        return 0
    return "import"


def save_labels(
    con: duckdb.DuckDBPyConnection,
    labels: Mapping[str, Mapping[str, str]],
    urls: Mapping[str, str],
    default_topic: str,
) -> int:
    """Add analyst labels (canonical URL → topic → label) that are not there yet; returns how many.

    ``urls`` maps canonical URL → URL, for a table keyed by URL.  Without a ``labels``
    table nothing is stored.
    """
    table = label_table(con)
    if table is None or not labels:
        return 0
    now = datetime.now(UTC)
    known = {table.key, table.label} | ({table.topic} if table.topic else set())
    extra = [c for c in table.columns if c.name not in known and not c.nullable and not c.has_default]
    cols = [table.key, *([table.topic] if table.topic else []), table.label, *(c.name for c in extra)]
    insert = f"INSERT INTO labels ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    exists = f"SELECT count(*) FROM labels WHERE {table.key} = ?" + (f" AND {table.topic} = ?" if table.topic else "")
    added = 0
    with transaction(con):
        for canonical, by_topic in labels.items():
            key = urls.get(canonical, canonical) if table.keyed_by_url else canonical
            for topic, label in by_topic.items():
                if not table.topic and topic != default_topic:
                    continue
                probe = [key, topic] if table.topic else [key]
                row = con.execute(exists, probe).fetchone()
                if row and row[0]:
                    continue
                con.execute(insert, [*probe, label, *(_filler(c, now) for c in extra)])
                added += 1
    return added


def save_exported(
    con: duckdb.DuckDBPyConnection,
    triaged: list[TriagedArticle],
    labels: Mapping[str, Mapping[str, str]],
    *,
    model: str,
    default_topic: str,
) -> int:
    """Store exported articles with their stories, copy links and scores as given; returns how many were new."""
    stored = store_articles.save_batch(con, triaged, [], [], model=model, run_id="import")
    save_labels(con, labels, {t.article.canonical_url: t.article.url for t in triaged}, default_topic)
    return stored


def stored_canonicals(con: duckdb.DuckDBPyConnection, canonical_urls: list[str]) -> set[str]:
    """Which of these canonical URLs are already stored."""
    if not canonical_urls:
        return set()
    rows = con.execute(
        "SELECT canonical_url FROM documents WHERE list_contains(?, canonical_url)", [canonical_urls]
    ).fetchall()
    return {str(r[0]) for r in rows}
