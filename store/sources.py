"""Source configuration and health: conditional-GET validators, successes, failures."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from extract.discover import SourceOutcome
from reewatch.records import Source


def load_validators(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str | None]]:
    """source name → (ETag, Last-Modified) to send as a conditional GET."""
    rows = con.execute("SELECT name, etag, last_modified FROM sources").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def register(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    for s in sources:
        con.execute(
            "INSERT INTO sources (name, kind, url) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url",
            [s.name, s.kind, s.url],
        )


def record_outcome(con: duckdb.DuckDBPyConnection, o: SourceOutcome) -> None:
    """Health after one read (call inside the transaction that stores its articles)."""
    now = datetime.now(UTC)
    if o.ok:
        con.execute(
            "UPDATE sources SET last_attempt_at = ?, last_success_at = ?, consecutive_failures = 0, "
            "last_error_class = NULL, last_error = NULL, etag = ?, last_modified = ? WHERE name = ?",
            [now, now, o.etag, o.last_modified, o.source.name],
        )
    else:
        error_class = o.attempt.error_class or ("bad_feed" if o.problem else "error")
        con.execute(
            "UPDATE sources SET last_attempt_at = ?, consecutive_failures = consecutive_failures + 1, "
            "last_error_class = ?, last_error = ? WHERE name = ?",
            [now, error_class, o.problem or o.attempt.error, o.source.name],
        )
