"""Database maintenance commands: ``reewatch schema`` and ``reewatch migrate``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from reewatch.shell import ConfigOpt, DbOpt, console, err, fails_cleanly, load, writer_slot


@fails_cleanly
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


@fails_cleanly
def migrate(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Apply the database migrations this file lacks (every writing command does this too).

    Waits for a running ingest of the same database to finish first (the writer slot needs Prefect, which takes seconds to start).
    """
    from store.db import WRITE_WAIT_S, upgrade

    s = load(config, db, prefect=True)
    existed = s.db.exists()
    with writer_slot(s):
        applied, version = upgrade(s.db, wait_s=WRITE_WAIT_S)
    if not existed:
        console.print(f"created {s.db} at schema version {version}")
    elif applied:
        console.print(f"{s.db}: applied migrations {', '.join(f'{v:03d}' for v in applied)}; now at version {version}")
    else:
        console.print(f"{s.db} is up to date (schema version {version})")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``reewatch`` app."""
    app.command("schema")(schema)
    app.command("migrate")(migrate)
