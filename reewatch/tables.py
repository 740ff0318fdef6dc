"""Tables for ``reewatch sources`` and ``reewatch stats``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from rich.console import Console
from rich.table import Table

from pipeline.settings import Settings
from reewatch.query import open_for_reading

if TYPE_CHECKING:
    from fetch.check import SourceCheck


def sources_table(s: Settings) -> Table:
    """Configured sources with their health: last success, failures, next try, last error/warning."""
    from datetime import UTC, datetime

    from store.articles import last_run_counts
    from store.backlog import waiting_counts
    from store.sources import backing_off
    from store.sources import health as source_health

    health: dict[str, tuple[object, ...]] = {}
    resting: dict[str, datetime] = {}
    waiting: dict[str, int] = {}
    last_run: dict[str, tuple[int, int, int, int, int]] = {}
    if s.db.exists():
        con = open_for_reading(s.db)
        try:
            health = source_health(con)
            with contextlib.suppress(duckdb.Error):  # a file not yet upgraded to migration 010
                resting, waiting = backing_off(con), waiting_counts(con)
            with contextlib.suppress(duckdb.Error):  # a file not yet upgraded to migration 011
                last_run = last_run_counts(con)
        finally:
            con.close()
    now = datetime.now(UTC)
    table = Table(title=f"sources ({len(s.sources)} configured)")
    # links, articles, leads, refused, failed: what the last run that read the source did.
    for col in ("name", "kind", "enabled", "last success", "failures", "next try", "waiting links",
                "links", "articles", "leads", "refused", "failed", "last error / warning"):
        table.add_column(col, overflow="fold")
    for src in s.sources:
        last_ok, fails, err_class, err, next_at, warning = health.get(src.name, (None, 0, None, None, None, None))
        due = not isinstance(next_at, datetime) or next_at <= now
        next_try = "now" if due else f"{next_at:%Y-%m-%d %H:%M}"
        if src.name in resting:
            next_try = f"backing off until {resting[src.name]:%Y-%m-%d %H:%M}"
        problem = f"{err_class}: {str(err)[:60]}" if err_class else (f"warning: {str(warning)[:60]}" if warning else "")
        table.add_row(
            src.name, src.kind, "yes" if src.enabled else "no",
            f"{last_ok:%Y-%m-%d %H:%M}" if isinstance(last_ok, datetime) else "never",
            str(fails or 0), next_try, str(waiting.get(src.name, 0)),
            *(str(n) for n in last_run.get(src.name, (0, 0, 0, 0, 0))), problem,
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
    con = open_for_reading(db)
    try:
        counts = stats_counts(con, days)
    finally:
        con.close()
    total = sum(n for _, n in counts["label"])
    console.print(counts_table(f"articles per day (first seen, UTC, last {days} days with articles)", "day", counts["day"]))
    console.print(counts_table("articles per source", "source", counts["source"]))
    console.print(counts_table("articles per label (default topic)", "label", counts["label"]))
    console.print(f"{total} articles in {db}")


def check_table(checks: list[SourceCheck]) -> Table:
    """``reewatch sources --check``: one row per source."""
    table = Table(title=f"source check ({len(checks)} sources, one request each)")
    for col in ("name", "kind", "reachable", "looks like", "items", "newest (h)", "robots for its links", "note"):
        table.add_column(col, overflow="fold")
    for c in checks:
        table.add_row(c.name, c.kind, f"yes ({c.status})" if c.reachable else f"[red]no[/] ({c.status})", c.detected,
                      str(c.items), "" if c.newest_age_h is None else f"{c.newest_age_h:g}", c.robots,
                      (c.problem or "")[:120])
    return table

