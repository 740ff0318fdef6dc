"""Source configuration and health: conditional-GET validators, cursors, successes,
failures, and the growing interval after which a failing source is tried again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from core.errors import ErrorClass
from core.records import Source, SourceOutcome

# A failing source is retried at the next run after its first failure, then after 30 min,
# 1 h, 2 h… (doubling): with the default 15-minute ingest schedule a dead feed costs ~8
# requests a day instead of 96.  Capped at one day so a feed that comes back is found.
RETRY_FIRST = timedelta(minutes=30)
RETRY_MAX = timedelta(hours=24)


def retry_interval(failures: int) -> timedelta:
    """Pure: how long to leave a source alone after ``failures`` consecutive failures."""
    if failures <= 1:
        return timedelta(0)
    return min(RETRY_MAX, RETRY_FIRST * int(2 ** min(failures - 2, 16)))


def load_validators(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str | None]]:
    """source name → (ETag, Last-Modified) to send as a conditional GET."""
    rows = con.execute("SELECT name, etag, last_modified FROM sources").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def load_cursors(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """source name → cursor of an incremental query (GDELT)."""
    return {r[0]: r[1] for r in con.execute("SELECT name, cursor FROM sources").fetchall()}


def load_backlogs(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """source name → windows a GDELT source left unread (JSON, fetch.gdelt.decode_backlog)."""
    return {r[0]: r[1] for r in con.execute("SELECT name, backlog FROM sources").fetchall()}


def backing_off(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> dict[str, datetime]:
    """source name → the time before which it is not read (a throttle answer asked us to slow down)."""
    now = now or datetime.now(UTC)
    rows = con.execute("SELECT name, backoff_until FROM sources WHERE backoff_until > ?", [now]).fetchall()
    return {str(r[0]): r[1] for r in rows}


def due(con: duckdb.DuckDBPyConnection, sources: list[Source], now: datetime | None = None) -> list[Source]:
    """The sources not waiting out a failure interval."""
    now = now or datetime.now(UTC)
    waiting = {
        r[0] for r in con.execute("SELECT name FROM sources WHERE next_attempt_at > ?", [now]).fetchall()
    }
    return [s for s in sources if s.name not in waiting]


def register(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    for s in sources:
        con.execute(
            "INSERT INTO sources (name, kind, url) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url",
            [s.name, s.kind, s.url],
        )


def record_outcome(con: duckdb.DuckDBPyConnection, o: SourceOutcome, now: datetime | None = None) -> None:
    """Health after one read (call inside the transaction that stores its articles)."""
    now = now or datetime.now(UTC)
    # A windowed source's state moves on whether or not the read worked: the cursor covers only
    # windows read or queued in ``backlog``, and a throttle's back-off must hold either way.
    if o.backlog is not None:
        con.execute("UPDATE sources SET cursor = coalesce(?, cursor), backlog = ?, backoff_until = ? WHERE name = ?",
                    [o.cursor, o.backlog, o.backoff_until, o.source.name])
    if o.backoff_until is not None and not o.ok:
        # Throttled, not failing: the back-off keeps the source away; a growing failure interval
        # on top would leave its backlog unread for hours.
        con.execute("UPDATE sources SET last_attempt_at = ?, last_warning = ? WHERE name = ?",
                    [now, o.problem or o.attempt.error, o.source.name])
        return
    if o.ok:
        con.execute(
            "UPDATE sources SET last_attempt_at = ?, last_success_at = ?, consecutive_failures = 0, "
            "last_error_class = NULL, last_error = NULL, etag = ?, last_modified = ?, next_attempt_at = NULL, "
            "last_warning = ?, cursor = coalesce(?, cursor) WHERE name = ?",
            [now, now, o.etag, o.last_modified, o.warning, o.cursor, o.source.name],
        )
        return
    error_class = o.attempt.error_class or (ErrorClass.BAD_FEED if o.problem else ErrorClass.ERROR)
    row = con.execute("SELECT consecutive_failures FROM sources WHERE name = ?", [o.source.name]).fetchone()
    failures = (int(row[0]) if row else 0) + 1
    con.execute(
        "UPDATE sources SET last_attempt_at = ?, consecutive_failures = ?, last_error_class = ?, last_error = ?, "
        "next_attempt_at = ? WHERE name = ?",
        [now, failures, error_class, o.problem or o.attempt.error, now + retry_interval(failures), o.source.name],
    )


def health(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[object, ...]]:
    """name → (last success, consecutive failures, last error class, last error, next attempt, last warning)."""
    rows = con.execute(
        "SELECT name, last_success_at, consecutive_failures, last_error_class, last_error, next_attempt_at, "
        "last_warning FROM sources"
    ).fetchall()
    return {str(r[0]): tuple(r[1:]) for r in rows}
