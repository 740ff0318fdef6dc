"""Rows for relevance feedback: analyst labels, versioned learned heads, re-scored relevance."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from core.errors import StoreError
from core.records import LABELS, TopicScore
from store.rollup import default_topic, refresh_for_articles
from triage.head import Head
from triage.profiles import TopicProfile


def resolve_article(con: duckdb.DuckDBPyConnection, url: str) -> str:
    """The canonical URL of a stored article given its URL or canonical URL."""
    from core.urls import canonicalize_url

    row = con.execute(
        "SELECT canonical_url FROM documents WHERE canonical_url IN (?, ?) OR url = ? LIMIT 1",
        [url, canonicalize_url(url), url],
    ).fetchone()
    if not row:
        raise StoreError(f"no stored article with URL {url}; label an article that `reewatch run` has stored")
    return str(row[0])


def add_label(con: duckdb.DuckDBPyConnection, url: str, topic: str, label: str) -> str:
    """Store (or replace) an analyst's label; returns the article's canonical URL."""
    if label not in LABELS:
        raise StoreError(f"label must be one of {', '.join(LABELS)}, not {label!r}")
    canonical = resolve_article(con, url)
    con.execute(
        "INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?)", [canonical, topic, label, datetime.now(UTC)]
    )
    return canonical


@dataclass(frozen=True)
class StoredDoc:
    """What scoring needs of a stored article."""

    canonical_url: str
    title: str
    text: str
    vector: NDArray[np.float32] | None  # None when no embedding with this model is stored
    lang: str | None = None  # documents.lang: declared or detected


def _docs(rows: list[tuple[Any, ...]]) -> list[StoredDoc]:
    """Rows of (canonical_url, title, text, vector, lang)."""
    return [StoredDoc(r[0], r[1], r[2], None if r[3] is None else np.asarray(r[3], dtype=np.float32), r[4])
            for r in rows]


def labelled_docs(con: duckdb.DuckDBPyConnection, topic: str, model: str) -> list[tuple[StoredDoc, str]]:
    """Labelled articles of a topic with their stored embedding (if any), oldest label first."""
    rows = con.execute(
        """
        SELECT d.canonical_url, d.title, d.text, e.vector, d.lang, l.label
        FROM labels l JOIN documents d USING (canonical_url)
        LEFT JOIN embeddings e ON e.canonical_url = d.canonical_url AND e.model = ?
        WHERE l.topic = ? ORDER BY l.labelled_at, d.canonical_url
        """,
        [model, topic],
    ).fetchall()
    return list(zip(_docs([r[:5] for r in rows]), [str(r[5]) for r in rows], strict=True))


def iter_docs(con: duckdb.DuckDBPyConnection, model: str, batch: int = 512) -> Iterator[list[StoredDoc]]:
    """Every stored article with its embedding (if any), in batches."""
    cur = con.execute(
        """
        SELECT d.canonical_url, d.title, d.text, e.vector, d.lang FROM documents d
        LEFT JOIN embeddings e ON e.canonical_url = d.canonical_url AND e.model = ?
        ORDER BY d.canonical_url
        """,
        [model],
    )
    while rows := cur.fetchmany(batch):
        yield _docs(rows)


def save_head(
    con: duckdb.DuckDBPyConnection, topic: str, model: str, head: Head, n_examples: int, n_labels: int,
    metrics: dict[str, float],
) -> Head:
    """Store a new head version for the topic; returns it with its version name set."""
    row = con.execute("SELECT coalesce(max(seq), 0) FROM relevance_heads WHERE topic = ?", [topic]).fetchone()
    seq = (int(row[0]) if row else 0) + 1
    versioned = dataclasses.replace(head, version=f"{topic}-h{seq}")
    con.execute(
        "INSERT INTO relevance_heads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [versioned.version, topic, seq, model, datetime.now(UTC), n_examples, n_labels, versioned.to_json(),
         json.dumps(metrics)],
    )
    return versioned


def latest_head(con: duckdb.DuckDBPyConnection, topic: str, model: str) -> Head | None:
    """The newest head trained for this topic with this embedding model, if any."""
    row = con.execute(
        "SELECT head FROM relevance_heads WHERE topic = ? AND model = ? ORDER BY seq DESC LIMIT 1", [topic, model]
    ).fetchone()
    return Head.from_json(str(row[0])) if row else None


def with_trained_heads(con: duckdb.DuckDBPyConnection, profiles: list[TopicProfile], model: str) -> list[TopicProfile]:
    """The profiles, each carrying its latest trained head (unchanged when none is stored)."""
    out = []
    for p in profiles:
        head = latest_head(con, p.name, model)
        out.append(dataclasses.replace(p, head=head) if head is not None else p)
    return out


def save_scores(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[str, TopicScore]], *, refresh_rollup: bool = True
) -> None:
    """Replace the relevance rows of these (article, topic) pairs, and the story rollup rows of
    their stories when a default-topic score changed (``refresh_rollup=False``: the caller
    rebuilds the rollup itself, e.g. once after rescoring everything)."""
    now = datetime.now(UTC)
    con.executemany(
        "INSERT OR REPLACE INTO relevance VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[url, s.topic, s.score, s.label, list(s.reasons), s.model_version, now] for url, s in rows],
    )
    if refresh_rollup:
        topic = default_topic(con)
        refresh_for_articles(con, (url for url, s in rows if s.topic == topic))


def changed_labels(pairs: Iterable[tuple[str | None, str]]) -> Counter[tuple[str, str]]:
    """How many stored articles a re-score moves, per (stored label, new label) pair that differ;
    an article with no stored label counts from "unscored".  Pure."""
    return Counter((old or "unscored", new) for old, new in pairs if old != new)
