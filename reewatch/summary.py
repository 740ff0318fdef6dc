"""How a run's outcome is printed: the ingest summary table and each digest delivery
(shared by ``reewatch run``, ``digest`` and the demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from reewatch.shell import console, err

if TYPE_CHECKING:
    from core.records import RunSummary
    from digest.run import DeliveryResult


def print_summary(summary: RunSummary) -> None:
    table = Table(title=f"ingest run {summary.run_id}", show_lines=False)
    for col in ("source", "status", "links", "new", "fetched", "stored", "copies", "relevant", "errors"):
        if col in ("source", "status"):
            table.add_column(col, overflow="fold")
        else:
            table.add_column(col, justify="right", no_wrap=True)
    for r in summary.sources:
        status = "[green]ok[/]" if r.ok else f"[red]{r.error_class or 'failed'}[/]"
        if r.ok and r.leads:
            status = f"[green]ok, {r.leads} lead{'' if r.leads == 1 else 's'}[/]"
        if r.ok and r.warning and r.new_links and not r.stored:  # every link refused or failed
            status = f"[yellow]warning: {escape(r.warning[:80])}[/]"
        if r.not_modified:
            status = "[cyan]unchanged (304)[/]"
        table.add_row(r.source, status, str(r.links), str(r.new_links), str(r.fetched), str(r.stored), str(r.copies), str(r.relevant), str(r.errors))
    console.print(table)
    console.print(
        f"stored [bold]{summary.stored}[/] new articles ({summary.copies} copies) in {summary.stories} stories, "
        f"[bold]{summary.relevant}[/] relevant; {summary.no_article} pages were not articles; "
        f"{summary.fetch_errors} page fetches failed; {summary.seconds:.1f} s → {summary.db}"
    )
    failed = [r for r in summary.sources if not r.ok]
    if failed:
        by_class: dict[str, int] = {}
        for r in failed:
            by_class[r.error_class or "error"] = by_class.get(r.error_class or "error", 0) + 1
        parts = ", ".join(f"{n} {explain(c)}" for c, n in sorted(by_class.items(), key=lambda kv: -kv[1]))
        console.print(f"[yellow]{len(failed)} of {len(summary.sources)} sources failed:[/] {parts}")
        if by_class.get("dns", 0) + by_class.get("connect", 0) == len(summary.sources):
            console.print("[yellow]No source was reachable — is this machine offline?[/] Try [bold]make demo[/] (a loopback site, no internet needed).")


def explain(error_class: str) -> str:
    """A source failure class in words."""
    return {
        "dns": "unreachable: name resolution failed — offline?",
        "connect": "unreachable: connection refused or failed",
        "timeout": "timed out",
        "bad_feed": "answered with something that is not a feed",
    }.get(error_class, error_class)


def print_delivery(r: DeliveryResult) -> None:
    what = "alert" if r.kind == "alert" else "digest"
    upd = f" + {r.updates} update{'' if r.updates == 1 else 's'}" if r.updates else ""
    if r.outcome == "sent":
        console.print(f"{what} ({r.channel}): {r.stories} stor{'y' if r.stories == 1 else 'ies'}{upd} → [bold]{r.target}[/]")
    elif r.outcome == "preview":
        console.print(f"preview ({r.channel}): {r.stories} stories{upd} → [bold]{r.target}[/] (nothing marked sent)")
    elif r.outcome == "nothing-new":
        console.print(f"{what} ({r.channel}): nothing new since the last one")
    elif r.outcome == "not-due":
        console.print(f"{what} ({r.channel}): not due yet by its schedule (use --now to send anyway)")
    else:
        err.print(f"[red]{what} to {r.channel} failed:[/] {r.error}")
