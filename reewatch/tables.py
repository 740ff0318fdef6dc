"""Tables for ``reewatch sources`` and ``reewatch stats``."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from pipeline.settings import Settings
from store.db import connect


def sources_table(s: Settings) -> Table:
    """Configured sources with their health: last success, failures, next try, last error/warning."""
    from datetime import UTC, datetime

    from store.sources import health as source_health

    health: dict[str, tuple[object, ...]] = {}
    if s.db.exists():
        con = connect(s.db, read_only=True)
        try:
            health = source_health(con)
        finally:
            con.close()
    now = datetime.now(UTC)
    table = Table(title=f"sources ({len(s.sources)} configured)")
    for col in ("name", "kind", "enabled", "last success", "failures", "next try", "last error / warning"):
        table.add_column(col, overflow="fold")
    for src in s.sources:
        last_ok, fails, err_class, err, next_at, warning = health.get(src.name, (None, 0, None, None, None, None))
        due = not isinstance(next_at, datetime) or next_at <= now
        problem = f"{err_class}: {str(err)[:60]}" if err_class else (f"warning: {str(warning)[:60]}" if warning else "")
        table.add_row(
            src.name, src.kind, "yes" if src.enabled else "no",
            f"{last_ok:%Y-%m-%d %H:%M}" if isinstance(last_ok, datetime) else "never",
            str(fails or 0), "now" if due else f"{next_at:%Y-%m-%d %H:%M}", problem,
        )
    return table


# Width in characters of the longest bar in ``reewatch stats`` (fits an 80-column terminal
# beside the key and count columns).
BAR_WIDTH = 30


def bar(n: int, top: int, width: int = BAR_WIDTH) -> str:
    """A bar of block characters, ``width`` long for ``top``; any non-zero count shows."""
    return "█" * max(1 if n else 0, round(width * n / top)) if top > 0 else ""


def stats_counts(con: duckdb.DuckDBPyConnection, days: int = 14) -> dict[str, list[tuple[str, int]]]:
    """Articles per UTC day first seen (latest ``days``, oldest first), per source and per label."""
    per_day = con.execute(
        "SELECT first_seen_day, count(*) FROM articles GROUP BY 1 ORDER BY 1 DESC LIMIT ?", [max(days, 1)]
    ).fetchall()
    per_source = con.execute("SELECT source, count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    per_label = con.execute(
        "SELECT coalesce(relevance_label, 'unscored'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    return {
        "day": [(str(d), int(n)) for d, n in reversed(per_day)],
        "source": [(str(k), int(n)) for k, n in per_source],
        "label": [(str(k), int(n)) for k, n in per_label],
    }


def counts_table(title: str, key: str, rows: list[tuple[str, int]]) -> Table:
    top = max((n for _, n in rows), default=0)
    table = Table(title=title)
    table.add_column(key)
    table.add_column("articles", justify="right")
    table.add_column("")
    for k, n in rows:
        table.add_row(k, str(n), f"[cyan]{bar(n, top)}[/]")
    return table


def print_stats(db: Path, console: Console, days: int = 14) -> None:
    con = connect(db, read_only=True)
    try:
        counts = stats_counts(con, days)
    finally:
        con.close()
    total = sum(n for _, n in counts["label"])
    console.print(counts_table(f"articles per day (first seen, UTC, last {days} days with articles)", "day", counts["day"]))
    console.print(counts_table("articles per source", "source", counts["source"]))
    console.print(counts_table("articles per label (default topic)", "label", counts["label"]))
    console.print(f"{total} articles in {db}")
