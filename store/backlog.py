"""Nothing a source listed is lost: the per-source link backlog and the per-URL retry budget.

- Link cap: a run fetches at most ``fetch.max_links_per_source`` new links per source, newest
  first; the rest wait in ``link_backlog`` for later runs until they age out of BACKLOG_WINDOW.
- Retries: a page whose fetch failed (403, 5xx, timeout…) waits in the backlog and is tried
  again RETRY_BACKOFF after each failure; after the last one it is given up (``seen_urls``
  outcome ``gave_up``; view ``failed_links``).  Failures are counted from the ``fetches`` log,
  one row per run that tried the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from core.records import Link, SourceOutcome
from core.urls import canonicalize_url
from store.articles import insert_rows, unseen

# Links older than this leave the backlog unfetched (counted as aged out): the digest offers
# stories of the last 7 days (digest lookback_days), so an older article reaches no digest.
BACKLOG_WINDOW = timedelta(days=7)
# Waits after the 1st, 2nd and 3rd failed fetch of a page; a 4th failure gives it up.  The faults
# worth a retry (rate limits, deploys, outages) pass within hours; 1 + 6 + 24 h spans a day and
# a half, well inside BACKLOG_WINDOW, at 3 extra requests per dead link instead of ~96 a day.
RETRY_BACKOFF = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
_BACKLOG_COLUMNS = (
    ("source", "VARCHAR"), ("url", "VARCHAR"), ("title", "VARCHAR"), ("published_at", "TIMESTAMPTZ"),
    ("added_at", "TIMESTAMPTZ"),
)
_SEEN_COLUMNS = (
    ("url", "VARCHAR"), ("canonical_url", "VARCHAR"), ("source", "VARCHAR"), ("outcome", "VARCHAR"),
    ("reason", "VARCHAR"), ("first_seen_at", "TIMESTAMPTZ"),
)


def retry_wait(failures: int) -> timedelta | None:
    """Pure: how long after its last failed fetch a page is tried again; None: given up."""
    if failures <= 0:
        return timedelta(0)
    if failures > len(RETRY_BACKOFF):
        return None
    return RETRY_BACKOFF[failures - 1]


def retry_due(failures: int, last_failed_at: datetime | None, now: datetime) -> bool:
    """Pure: whether a page with ``failures`` failed fetches may be fetched at ``now``."""
    wait = retry_wait(failures)
    return wait is not None and (last_failed_at is None or now >= last_failed_at + wait)


def too_old(link: Link, added_at: datetime, now: datetime) -> bool:
    """Pure: a link ages by its publication time when known, else by when it first waited."""
    return (link.published_at or added_at) < now - BACKLOG_WINDOW


@dataclass(frozen=True)
class Pick:
    """A run's links to fetch, and every unseen link each source has (listed now or waiting)."""

    todo: tuple[Link, ...]
    candidates: dict[str, tuple[Link, ...]] = field(default_factory=dict)
    added_at: dict[tuple[str, str], datetime] = field(default_factory=dict)


def failures(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> dict[str, tuple[int, datetime, str | None]]:
    """url → (failed fetches, the last one's time, its error) from the fetches log."""
    urls = list(dict.fromkeys(urls))
    if not urls:
        return {}
    rows = con.execute(
        "SELECT f.url, count(*), max(f.fetched_at), arg_max(coalesce(f.error, f.error_class), f.fetched_at) "
        "FROM fetches f WHERE NOT f.ok AND f.url IN (SELECT unnest($1::VARCHAR[])) GROUP BY f.url",
        [urls],
    ).fetchall()
    return {str(r[0]): (int(r[1]), r[2], r[3]) for r in rows}


def load(con: duckdb.DuckDBPyConnection, sources: list[str]) -> dict[str, list[tuple[Link, datetime]]]:
    """source → its waiting links with the time each first waited."""
    rows = con.execute(
        "SELECT source, url, title, published_at, added_at FROM link_backlog "
        "WHERE source IN (SELECT unnest($1::VARCHAR[])) ORDER BY source, published_at DESC NULLS LAST, url",
        [sources],
    ).fetchall()
    out: dict[str, list[tuple[Link, datetime]]] = {}
    for src, url, title, published, added in rows:
        out.setdefault(src, []).append((Link(url, src, title, published), added))
    return out


def select(con: duckdb.DuckDBPyConnection, outcomes: list[SourceOutcome], limit: int,
           now: datetime | None = None) -> Pick:
    """The links this run fetches: per source the newest ``limit`` unseen links whose retry is
    due, from what it listed now (links and overflow) and what waited in its backlog."""
    now = now or datetime.now(UTC)
    waiting = load(con, [o.source.name for o in outcomes])
    listed: dict[str, dict[str, Link]] = {}
    added_at: dict[tuple[str, str], datetime] = {}
    for o in outcomes:
        mine = listed.setdefault(o.source.name, {})
        for lk in (*o.links, *o.overflow):
            mine.setdefault(lk.url, lk)
        for lk, added in waiting.get(o.source.name, []):
            mine.setdefault(lk.url, lk)
            added_at[(o.source.name, lk.url)] = added
    fresh = unseen(con, (u for mine in listed.values() for u in mine))
    failed = failures(con, fresh)
    todo: dict[str, Link] = {}
    candidates: dict[str, tuple[Link, ...]] = {}
    for name, mine in listed.items():
        cands = sorted((lk for lk in mine.values() if lk.url in fresh),
                       key=lambda lk: lk.published_at or now, reverse=True)
        candidates[name] = tuple(cands)
        due = [lk for lk in cands if lk.url not in todo and _due(failed.get(lk.url), now)]
        todo.update((lk.url, lk) for lk in due[: max(limit, 0)])
    return Pick(tuple(todo.values()), candidates, added_at)


def _due(failure: tuple[int, datetime, str | None] | None, now: datetime) -> bool:
    return failure is None or retry_due(failure[0], failure[1], now)


def save(con: duckdb.DuckDBPyConnection, pick: Pick, now: datetime | None = None) -> dict[str, tuple[int, int]]:
    """After a run (inside its final transaction): every candidate still unseen waits in its
    source's backlog, a page out of retries is given up, a link past BACKLOG_WINDOW is dropped.
    Returns source → (links waiting, links aged out)."""
    now = now or datetime.now(UTC)
    still = unseen(con, (lk.url for cands in pick.candidates.values() for lk in cands))
    failed = failures(con, still)
    gave_up: list[tuple[Any, ...]] = []
    counts: dict[str, tuple[int, int]] = {}
    for name, cands in pick.candidates.items():
        rows: list[tuple[Any, ...]] = []
        aged = 0
        for lk in cands:
            if lk.url not in still:
                continue
            n, _, error = failed.get(lk.url, (0, None, None))
            if retry_wait(n) is None:
                gave_up.append((lk.url, canonicalize_url(lk.url), name, "gave_up",
                                f"{n} failed fetches; last: {error}"[:500], now))
                continue
            added = pick.added_at.get((name, lk.url), now)
            if too_old(lk, added, now):
                aged += 1
                continue
            rows.append((name, lk.url, lk.title, lk.published_at, added))
        con.execute("DELETE FROM link_backlog WHERE source = ?", [name])
        insert_rows(con, "link_backlog", _BACKLOG_COLUMNS, rows, key_len=2)
        counts[name] = (len(rows), aged)
    insert_rows(con, "seen_urls", _SEEN_COLUMNS, gave_up, key_len=1)
    return counts


def waiting_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """source → links waiting in its backlog (for ``reewatch sources``)."""
    return {str(r[0]): int(r[1]) for r in
            con.execute("SELECT source, count(*) FROM link_backlog GROUP BY source").fetchall()}
