"""Records ↔ rows for articles, embeddings, relevance and the seen-URL memory.

Writes are idempotent: an article is keyed by canonical URL and the first stored
version wins, so re-running a batch changes nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb

from reewatch.records import FetchAttempt, NoArticle, TriagedArticle
from store.db import transaction


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def unseen(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> set[str]:
    """The URLs (as given, or by canonical form) never handled before."""
    from extract.urls import canonicalize_url

    urls = list(dict.fromkeys(urls))
    if not urls:
        return set()
    canon = {u: canonicalize_url(u) for u in urls}
    con.execute("CREATE OR REPLACE TEMP TABLE _probe (url VARCHAR, canonical_url VARCHAR)")
    con.executemany("INSERT INTO _probe VALUES (?, ?)", list(canon.items()))
    rows = con.execute(
        """
        SELECT p.url FROM _probe p
        WHERE NOT EXISTS (SELECT 1 FROM seen_urls s WHERE s.url = p.url OR s.canonical_url = p.canonical_url)
          AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.canonical_url = p.canonical_url)
        """
    ).fetchall()
    con.execute("DROP TABLE _probe")
    return {r[0] for r in rows}


def save_batch(
    con: duckdb.DuckDBPyConnection,
    triaged: list[TriagedArticle],
    no_articles: list[NoArticle],
    attempts: list[FetchAttempt],
    *,
    model: str,
    run_id: str,
) -> int:
    """Store one batch in one transaction; returns how many articles were new."""
    now = datetime.now(UTC)
    from extract.urls import canonicalize_url

    with transaction(con):
        before = _count(con)
        for t in triaged:
            a = t.article
            raw = zlib.compress(a.raw_html.encode("utf-8"), 6) if a.raw_html else None
            con.execute(
                "INSERT OR IGNORE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [a.canonical_url, a.url, a.title, a.text, a.site, a.site_name, a.lang, a.author, a.published_at,
                 a.updated_at, a.first_seen_at, a.source, a.content_hash, t.duplicate_of, t.story_id, raw],
            )
            con.execute(
                "INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)",
                [a.canonical_url, model, list(t.embedding)],
            )
            for s in t.scores:
                con.execute(
                    "INSERT OR IGNORE INTO relevance VALUES (?,?,?,?,?,?,?)",
                    [a.canonical_url, s.topic, s.score, s.label, list(s.reasons), s.model_version, now],
                )
            con.execute(
                "INSERT OR IGNORE INTO seen_urls VALUES (?, ?, ?, 'article', NULL, ?)",
                [a.url, a.canonical_url, a.source, a.first_seen_at],
            )
        for n in no_articles:
            con.execute(
                "INSERT OR IGNORE INTO seen_urls VALUES (?, ?, ?, 'no_article', ?, ?)",
                [n.url, canonicalize_url(n.url), n.source, n.reason, now],
            )
        record_fetches(con, attempts, run_id)
        return _count(con) - before


def record_fetches(con: duckdb.DuckDBPyConnection, attempts: list[FetchAttempt], run_id: str) -> None:
    if attempts:
        con.executemany(
            "INSERT INTO fetches VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [[run_id, f.source, f.url, f.status, f.ok, f.error_class, f.error, f.nbytes, f.ms, f.attempts,
              f.fetched_at] for f in attempts],
        )


def _count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM documents").fetchone()
    return int(row[0]) if row else 0
