"""Database maintenance commands: ``reewatch schema`` and ``reewatch migrate``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.errors import ReewatchError

console = Console()
err = Console(stderr=True)


def _fail(exc: Exception) -> None:
    err.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(2)


def schema(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the Markdown here (e.g. docs/schema.md) instead of stdout.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when --out (default docs/schema.md) is out of date; write nothing.")] = False,
) -> None:
    """Print the documented database schema (views, tables, columns, migrations) as Markdown."""
    from store.schema_doc import DOC_PATH, schema_markdown, write_schema_doc

    if check:
        target = out or DOC_PATH
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != schema_markdown():
            err.print(f"{target} is out of date; run `reewatch schema --out {target}`")
            raise typer.Exit(1)
        console.print(f"{target} is up to date")
        return
    if out is None:
        sys.stdout.write(schema_markdown())
        return
    changed = write_schema_doc(out)
    console.print(f"{'wrote' if changed else 'unchanged:'} {out}")


def migrate(
    db: Annotated[Path | None, typer.Option("--db", help="DuckDB file (default: `db` in the config; REEWATCH_DB overrides).")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="reewatch.toml to read.")] = None,
) -> None:
    """Apply the database migrations this file lacks (every writing command does this too)."""
    try:
        from pipeline.settings import load_settings
        from store.db import WRITE_WAIT_S, upgrade

        s = load_settings(config, db=db)
        existed = s.db.exists()
        applied, version = upgrade(s.db, wait_s=WRITE_WAIT_S)
        if not existed:
            console.print(f"created {s.db} at schema version {version}")
        elif applied:
            console.print(f"{s.db}: applied migrations {', '.join(f'{v:03d}' for v in applied)}; now at version {version}")
        else:
            console.print(f"{s.db} is up to date (schema version {version})")
    except ReewatchError as exc:
        _fail(exc)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``reewatch`` app."""
    app.command("schema")(schema)
    app.command("migrate")(migrate)
