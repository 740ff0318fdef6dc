"""``reewatch query``: read-only SQL printed as a table, CSV or JSON lines.

Two guards: every statement is classified first and anything but a read (SELECT, FROM,
WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA, CALL) is refused before it runs; and
the connection is read-only, so DuckDB itself refuses any write that got through.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import duckdb
from rich.console import Console
from rich.table import Table

from core.errors import ConfigError, ReadOnlyQueryError, StoreError
from store.db import READ_WAIT_S, connect

FORMATS = ("table", "csv", "json")
# Statement types that only read (DESCRIBE/SHOW/SUMMARIZE parse as SELECT).
READ_STATEMENTS = frozenset({"SELECT", "EXPLAIN", "PRAGMA", "CALL"})
# A table cell longer than this is cut (the full value is in --format csv/json).
MAX_CELL_CHARS = 200


def statement_kinds(sql: str) -> list[str]:
    """The type of each statement in ``sql`` (e.g. ["SELECT"], ["INSERT"]), parsed by DuckDB."""
    try:
        stmts = duckdb.connect().extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {str(exc).splitlines()[0]}") from exc
    return [str(st.type).rsplit(".", 1)[-1] for st in stmts]


def refuse_writes(sql: str) -> None:
    """Raise ReadOnlyQueryError, naming the statement, unless every statement only reads."""
    kinds = statement_kinds(sql)
    if not kinds:
        raise StoreError("no SQL statement given")
    bad = [k for k in kinds if k not in READ_STATEMENTS]
    if bad:
        raise ReadOnlyQueryError(
            f"refused: `reewatch query` is read-only and does not run {bad[0]} statements "
            "(nothing was executed; use SELECT … or the views articles, stories, relevant_stories, "
            "daily_volume, source_health)"
        )


def tell_stderr(message: str) -> None:
    """The one line a reader prints when it has waited READ_WAIT_NOTICE_S for a writer."""
    Console(stderr=True).print(f"{message}…", highlight=False)


def open_for_reading(db: Path, on_wait: Callable[[str], None] | None = tell_stderr) -> duckdb.DuckDBPyConnection:
    """The database opened read-only for a command, waiting up to READ_WAIT_S for an ingest's
    commit window to close (saying so on stderr after 2 s) before DuckDB's lock error stands."""
    return connect(db, read_only=True, wait_s=READ_WAIT_S, on_wait=on_wait)


def run_readonly(
    db: Path, sql: str, wait_s: float = 0.0, on_wait: Callable[[str], None] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run read-only SQL; a write is refused before it runs, and DuckDB refuses it too.  The open
    waits up to ``wait_s`` for a writer (``reewatch query`` passes READ_WAIT_S)."""
    refuse_writes(sql)
    con = connect(db, read_only=True, wait_s=wait_s, on_wait=on_wait)
    try:
        try:
            cur = con.execute(sql)
        except duckdb.Error as exc:
            msg = str(exc)
            if "read-only" in msg.lower() or "read only" in msg.lower():
                raise ReadOnlyQueryError(f"refused: `reewatch query` is read-only ({msg.splitlines()[0]})") from exc
            raise StoreError(f"query failed: {msg}") from exc
        cols = [d[0] for d in (cur.description or [])]
        return cols, cur.fetchall() if cols else []
    finally:
        con.close()


def cell(v: Any) -> Any:
    """A value as JSON can carry it (times as ISO 8601, maps as objects)."""
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dict):
        return {str(k): cell(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [cell(x) for x in v]
    if isinstance(v, bytes):
        return f"<{len(v)} bytes>"
    return v


def _text(v: Any) -> str:
    if v is None:
        return ""
    c = cell(v)
    s = json.dumps(c, ensure_ascii=False) if isinstance(c, dict | list) else str(c)
    return s if len(s) <= MAX_CELL_CHARS else s[: MAX_CELL_CHARS - 1] + "…"


def _csv_value(v: Any) -> Any:
    c = cell(v)
    return json.dumps(c, ensure_ascii=False) if isinstance(c, dict | list) else c


def write_rows(cols: list[str], rows: list[tuple[Any, ...]], fmt: str, out: TextIO, console: Console) -> None:
    """Rows as JSON lines, CSV (lists and maps as JSON) or a rich table with a row count."""
    if fmt == "json":
        for r in rows:
            out.write(json.dumps({c: cell(v) for c, v in zip(cols, r, strict=True)}, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        w = csv.writer(out)
        w.writerow(cols)
        for r in rows:
            w.writerow([_csv_value(v) for v in r])
    else:
        table = Table(*cols, show_lines=False)
        for r in rows:
            table.add_row(*(_text(v) for v in r))
        console.print(table)
        console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")


def print_query(db: Path, sql: str, fmt: str, console: Console) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown --format {fmt!r}; use table, csv or json")
    cols, rows = run_readonly(db, sql, wait_s=READ_WAIT_S, on_wait=tell_stderr)
    write_rows(cols, rows, fmt, sys.stdout, console)
