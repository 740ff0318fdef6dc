"""``reewatch demo``: the whole pipeline against the bundled loopback site, offline."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from reewatch.demo.server import serve_site
from reewatch.shell import load, writer_slot
from reewatch.summary import print_summary


def run_demo(db: Path, fresh: bool, console: Console) -> None:
    settings = load(None, db, prefect=True)
    if fresh and db.exists():
        db.unlink()
    from digest.run import run_configured_digest
    from flows.ingest import ingest_flow
    from store.db import connect

    with serve_site() as base:
        console.print(f"demo site serving on [bold]{base}[/] (feed: {base}/feed.xml, "
                      f"Google News-style search: {base}/gnews/search.xml)")
        with console.status("ingesting the demo site… (first start of Prefect and the model takes a while)"):
            # The search feed's items are stored as leads: headline, outlet and link, no page fetched.
            summary = ingest_flow(db=str(db), feeds=[f"{base}/feed.xml", f"gnews:{base}/gnews/search.xml"])
    print_summary(summary)
    with writer_slot(settings):
        results = run_configured_digest(settings.db, settings.digest)
    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT relevance_label, round(relevance_score, 2), title, coalesce(site_name, site), "
            "CASE WHEN duplicate_of IS NULL THEN '' ELSE 'copy' END, kind, story_id FROM articles "
            "ORDER BY relevance_score DESC, title"
        ).fetchall()
    finally:
        con.close()
    table = Table(title=f"stored in {db}")
    for col in ("label", "score", "title", "site", "copy", "kind", "story"):
        table.add_column(col, justify="right" if col == "score" else "left")
    for r in rows:
        table.add_row(*(str(x) for x in r))
    console.print(table)
    for res in results:
        if res.outcome == "sent":
            console.print(f"digest: {res.stories} stories → [bold]{res.target}[/]")
        else:
            console.print(f"digest: {res.outcome}")
    console.print(f"try: reewatch query --db {db} \"SELECT headline, outlets, relevance_score FROM relevant_stories\"")
