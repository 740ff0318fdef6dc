"""Extraction commands: ``reewatch reextract`` (see reewatch.cli.COMMAND_MODULES)."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from core.records import Article, NoArticle
from reewatch.shell import ConfigOpt, DbOpt, console, fails_cleanly, load, writer_slot


def _extract(page: object) -> Article | NoArticle:
    from extract.article import extract_article
    from store.reextract import StoredPage

    assert isinstance(page, StoredPage)
    # keep_raw_html=False: the stored raw HTML is not rewritten, only what was extracted from it.
    return extract_article(page.html, url=page.url, source=page.source, fetched_at=page.first_seen_at,
                           keep_raw_html=False)


@fails_cleanly
def reextract_command(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Re-run extraction on the stored raw HTML (after an upgrade), without refetching.

    Waits for a running ingest of the same database to finish first (the writer slot needs Prefect, which takes seconds to start).
    """
    from store.db import connect
    from store.reextract import count_pages, reextract

    s = load(config, db, prefect=True)
    with writer_slot(s):
        con = connect(s.db)
        try:
            with_html, without = count_pages(con)
            columns = (TextColumn("re-extracting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=console, transient=True) as progress:
                task = progress.add_task("reextract", total=with_html)
                result = reextract(con, _extract, lambda n: progress.advance(task, n))
        finally:
            con.close()
    console.print(
        f"re-extracted {result.total} documents → {s.db}: [bold]{result.changed}[/] changed, "
        f"{result.unchanged} unchanged, {len(result.no_article)} now yield no article (kept as stored), "
        f"{result.undecodable} with unreadable raw HTML; {without} stored without raw HTML were skipped."
    )
    for url, reason in result.no_article[:10]:
        console.print(f"  [yellow]kept[/] {url}: {reason}")
    console.print("[dim]Triage (duplicates, stories, relevance) was not re-run: story_id and duplicate_of are "
                  "unchanged.[/]")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``reewatch`` app."""
    app.command("reextract")(reextract_command)
