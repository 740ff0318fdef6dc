"""``reewatch query``: read-only SQL printed as a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from reewatch.errors import ReadOnlyQueryError, StoreError
from store.db import connect


def _cell(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def run_readonly(db: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run SQL on a read-only connection: DuckDB itself refuses any write."""
    con = connect(db, read_only=True)
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


def print_query(db: Path, sql: str, fmt: str, console: Console) -> None:
    cols, rows = run_readonly(db, sql)
    if fmt == "json":
        for r in rows:
            sys.stdout.write(json.dumps({c: _cell(v) for c, v in zip(cols, r, strict=True)}, ensure_ascii=False, default=str) + "\n")
        return
    if fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        w.writerows([[_cell(v) for v in r] for r in rows])
        return
    table = Table(*cols, show_lines=False)
    for r in rows:
        table.add_row(*("" if v is None else str(_cell(v))[:200] for v in r))
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
