"""Tables for ``reewatch sources`` and ``reewatch stats``."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from reewatch.settings import Settings
from store.db import connect


def sources_table(s: Settings) -> Table:
    health: dict[str, tuple[object, ...]] = {}
    if s.db.exists():
        con = connect(s.db, read_only=True)
        try:
            for row in con.execute(
                "SELECT name, last_success_at, consecutive_failures, last_error_class, last_error FROM sources"
            ).fetchall():
                health[str(row[0])] = row[1:]
        finally:
            con.close()
    table = Table(title=f"sources ({len(s.sources)} configured)")
    for col in ("name", "kind", "enabled", "last success", "failures", "last error"):
        table.add_column(col)
    for src in s.sources:
        last_ok, fails, err_class, err = health.get(src.name, (None, 0, None, None))
        table.add_row(
            src.name, src.kind, "yes" if src.enabled else "no",
            f"{last_ok:%Y-%m-%d %H:%M}" if last_ok else "never",
            str(fails or 0), f"{err_class}: {str(err)[:60]}" if err_class else "",
        )
    return table


def _bar(n: int, top: int, width: int = 30) -> str:
    return "█" * max(1 if n else 0, round(width * n / top)) if top else ""


def print_stats(db: Path, console: Console) -> None:
    con = connect(db, read_only=True)
    try:
        for title, sql in (
            ("articles per day (first seen)", "SELECT CAST(first_seen_at AS DATE) AS day, count(*) FROM articles GROUP BY 1 ORDER BY 1 DESC LIMIT 30"),
            ("articles per source", "SELECT source, count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC"),
            ("articles per label", "SELECT coalesce(relevance_label, 'unscored'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC"),
        ):
            rows = con.execute(sql).fetchall()
            top = max((int(r[1]) for r in rows), default=0)
            table = Table(title=title)
            table.add_column(title.split(" per ")[1].split(" ")[0])
            table.add_column("count", justify="right")
            table.add_column("")
            for key, n in rows:
                table.add_row(str(key), str(n), f"[cyan]{_bar(int(n), top)}[/]")
            console.print(table)
    finally:
        con.close()
