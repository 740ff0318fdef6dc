"""The ``reewatch`` command line.  Heavy imports (Prefect, torch) happen inside commands;
what the commands share (consoles, options, settings, errors, the writer slot) is in reewatch/shell.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from core.errors import ReewatchError
from reewatch.shell import ConfigOpt, DbOpt, console, err, fails_cleanly, load, writer_slot
from reewatch.summary import print_delivery, print_summary

app = typer.Typer(
    help="reewatch: monitor the news on rare-earth trade — fetch, extract, deduplicate, triage, store in DuckDB, digest.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure quality on labelled data (see ../shared/data/README.md for the metrics).", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@app.command()
@fails_cleanly
def run(
    config: ConfigOpt = None,
    db: DbOpt = None,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="Read only this RSS/Atom feed (repeatable; gnews:URL for a Google News-style search feed, stored as leads) instead of the configured sources; may be on 127.0.0.1.")] = None,
    no_digest: Annotated[bool, typer.Option("--no-digest", help="Do not write/deliver the digest after ingesting.")] = False,
    task_runner: Annotated[str, typer.Option("--task-runner", help="thread (default) or dask: spread extraction over processes (needs reewatch[dask]).")] = "thread",
) -> None:
    """Run one monitoring cycle: fetch, extract, triage, store, then the digest.

    Waits for a running ingest of the same database to finish first (the writer slot needs Prefect, which takes seconds to start).
    """
    s = load(config, db, prefect=True)
    from digest.run import run_configured_digest
    from flows.ingest import ingest_flow

    with console.status("ingesting… (first start of Prefect and the model takes a while)"):
        summary = ingest_flow(config=str(config) if config else None, db=str(s.db), feeds=feed, task_runner=task_runner)
    print_summary(summary)
    if not no_digest:
        # the flow gave its writer slot back when it ended; the digest records what it sent
        with writer_slot(s):
            results = run_configured_digest(s.db, s.digest, base_url=s.ui.base_url)
        for r in results:
            print_delivery(r)


@app.command("import")
@fails_cleanly
def import_(
    file: Annotated[Path, typer.Argument(help="JSONL: one object per line with url and html or text; optional title, published_at, source. Also what `reewatch export` writes (JSONL, CSV, Parquet).")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Ingest already-fetched documents from a JSONL file (bad lines are reported and skipped); exported records keep their stories, scores and labels.

    Waits for a running ingest of the same database to finish first (the writer slot needs Prefect, which takes seconds to start).
    """
    s = load(config, db, prefect=True)
    from pipeline.importer import import_jsonl

    if not file.is_file():
        raise ReewatchError(f"{file} does not exist; pass a JSONL file")
    with writer_slot(s):
        result = import_jsonl(file, s, console)
    for bad in result.bad_lines:
        err.print(f"[yellow]{file}:{bad.lineno}:[/] {bad.reason} — skipped")
    console.print(
        f"imported [bold]{result.stored}[/] new articles ({result.copies} copies, {result.relevant} relevant"
        + (f", {result.as_given} as exported" if result.as_given else "")
        + f"); {result.skipped} already stored or not articles; {len(result.bad_lines)} bad lines → {s.db}"
    )


@app.command()
@fails_cleanly
def export(
    db: DbOpt = None,
    config: ConfigOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, csv or parquet.")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (JSONL goes to stdout when absent).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only articles first seen on or after this UTC day (YYYY-MM-DD).")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Score and label for this topic (default: the default topic); only articles scored for it.")] = None,
    relevant_only: Annotated[bool, typer.Option("--relevant-only", help="Only articles labelled relevant (for --topic, else the default topic).")] = False,
    full: Annotated[bool, typer.Option("--full/--contract-only", help="Also site_name, author, updated_at, relevance_reasons and analyst labels (default; a lossless backup for `reewatch import`), or only the contract fields.")] = True,
) -> None:
    """Export stored articles (url, title, text, story_id, duplicate_of, relevance, topics…); `reewatch import` reads it back."""
    s = load(config, db, prefect=False)
    from reewatch.query import open_for_reading
    from store.export import FORMATS, ExportFilter, parse_since, write_file, write_jsonl

    if fmt not in FORMATS:
        raise ReewatchError(f"unknown --format {fmt!r}; use jsonl, csv or parquet")
    if fmt != "jsonl" and out is None:
        raise ReewatchError(f"--format {fmt} needs --out FILE")
    flt = ExportFilter(since=parse_since(since), topic=topic, relevant_only=relevant_only, full=full)
    con = open_for_reading(s.db)
    try:
        if fmt == "jsonl":
            if out is None:
                write_jsonl(con, sys.stdout, flt)
                return
            with out.open("w", encoding="utf-8") as fh:
                n = write_jsonl(con, fh, flt)
        else:
            assert out is not None
            n = write_file(con, fmt, out, flt)
    finally:
        con.close()
    err.print(f"exported {n} articles → {out}")


@app.command()
@fails_cleanly
def digest(
    db: DbOpt = None,
    config: ConfigOpt = None,
    to: Annotated[list[str] | None, typer.Option("--to", help="Apprise URL to deliver to (repeatable), e.g. mailto://user:pass@host, json://host/path, or 'file'; default: the configured channels, else a file under data/digests/.")] = None,
    channel: Annotated[list[str] | None, typer.Option("--channel", help="Only this configured channel (repeatable).")] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Write the HTML digest under the digest dir and mark nothing sent.")] = False,
    fmt: Annotated[list[str] | None, typer.Option("--format", "-f", help="markdown, html or text (repeatable); default: by channel.")] = None,
    now: Annotated[bool, typer.Option("--now", help="Ignore channel schedules: send to every channel now.")] = False,
    alerts: Annotated[bool, typer.Option("--alerts", help="Send breaking alerts (stories above the alert threshold) instead of the digest.")] = False,
) -> None:
    """Compose and deliver the digest of relevant stories new since the last one (one entry per story).

    Waits for a running ingest of the same database to finish first (the writer slot needs Prefect, which takes seconds to start).
    """
    s = load(config, db, prefect=True)
    from digest.channels import check_format
    from digest.run import DigestOptions, run_alerts, run_configured_digest

    if alerts:
        with writer_slot(s):
            results = run_alerts(s.db, s.digest)
        if not results:
            console.print("alerts: nothing above the threshold, or no channel with alerts = true")
    else:
        try:
            formats = tuple(check_format(f) for f in fmt or [])
        except ValueError as exc:
            raise ReewatchError(str(exc)) from exc
        opts = DigestOptions(settings=s.digest, preview=preview, force=now or bool(to), formats=formats,
                             base_url=s.ui.base_url)
        with writer_slot(s):
            results = run_configured_digest(s.db, s.digest, targets=list(to or []), only=list(channel or []), options=opts)
    failed = False
    for r in results:
        print_delivery(r)
        failed |= r.outcome == "failed"
    if failed:
        raise typer.Exit(1)


@app.command()
@fails_cleanly
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run read-only, e.g. \"SELECT * FROM relevant_stories LIMIT 10\".")],
    db: DbOpt = None,
    config: ConfigOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Run read-only SQL against the database (tables and views: articles, stories, relevant_stories, …)."""
    s = load(config, db, prefect=False)
    from reewatch.query import print_query

    print_query(s.db, sql, fmt, console)


@app.command()
@fails_cleanly
def demo(
    db: Annotated[Path, typer.Option("--db", help="DuckDB file for the demo.")] = Path("data/demo.duckdb"),
    fresh: Annotated[bool, typer.Option("--fresh/--keep", help="Start from an empty demo database.")] = True,
) -> None:
    """Offline demo: serve the bundled sample site on 127.0.0.1 and run the pipeline on it."""
    from reewatch.demo.run import run_demo

    run_demo(db, fresh, console)


@app.command()
@fails_cleanly
def serve(
    config: ConfigOpt = None,
    db: DbOpt = None,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="Ingest only these feeds (repeatable).")] = None,
    ingest_every: Annotated[int, typer.Option("--ingest-every", min=1, help="Seconds between ingests.")] = 900,
    no_digest: Annotated[bool, typer.Option("--no-digest", help="Do not schedule the daily digest.")] = False,
    timezone: Annotated[str, typer.Option("--timezone", help="Time zone of the daily 07:00 digest (IANA name).")] = "UTC",
    task_runner: Annotated[str, typer.Option("--task-runner", help="thread (default) or dask (needs reewatch[dask]).")] = "thread",
    ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Serve the Prefect UI from the local server.")] = True,
    web: Annotated[bool, typer.Option("--web/--no-web", help="Serve the reading room (`reewatch ui`) beside it.")] = True,
    web_port: Annotated[int | None, typer.Option("--web-port", min=1, max=65535, help="Port of the reading room (default: ui.port).")] = None,
) -> None:
    """Serve the ingest and digest deployments on their schedules (starts a local Prefect server if none is configured), and the reading room."""
    s = load(config, db, prefect=True)
    from reewatch.serve import ServeOptions, serve_forever

    opts = ServeOptions(config, feed, ingest_every, not no_digest, timezone, task_runner, ui, web, web_port)
    serve_forever(s, opts, console)


@app.command("ui")
@fails_cleanly
def reading_room(
    config: ConfigOpt = None,
    db: DbOpt = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default: ui.host, 127.0.0.1); any other needs the token.")] = None,
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Port (default: ui.port).")] = None,
) -> None:
    """Serve the reading room: stories, sources and volume in the browser, with relevance feedback (docs/ui.md).

    Labels and retrains are written through the writer slot: a click during an ingest is queued until it ends.
    """
    s = load(config, db, prefect=True)
    from reewatch.ui.server import run_ui, ui_config

    cfg, generated = ui_config(s, host, port)
    run_ui(cfg, generated, console)


@app.command()
@fails_cleanly
def sources(
    config: ConfigOpt = None,
    db: DbOpt = None,
    check: Annotated[bool, typer.Option("--check", help="Read each configured source once now and report: reachable, kind detected, items, newest item age, robots.txt for its links. Stores nothing.")] = False,
) -> None:
    """Show the configured sources and their health (last success, failures, last run's links, articles, leads, refused, failed)."""
    s = load(config, db, prefect=False)
    if check:
        from fetch.check import check_sources, contact_warning
        from pipeline.plan import run_sync
        from reewatch.tables import check_table

        if warning := contact_warning(s.fetch):
            err.print(f"[yellow]warning:[/] {warning}")
        with console.status(f"reading {len(s.enabled_sources())} sources…"):
            checks = run_sync(check_sources(s.fetch, s.enabled_sources()))
        console.print(check_table(checks))
        return
    from reewatch.tables import sources_table

    console.print(sources_table(s))


@app.command()
@fails_cleanly
def stats(
    config: ConfigOpt = None,
    db: DbOpt = None,
    days: Annotated[int, typer.Option("--days", help="How many recent days the per-day table shows.")] = 14,
) -> None:
    """Counts per day, per source and per relevance label, with a small bar chart."""
    s = load(config, db, prefect=False)
    from reewatch.tables import print_stats

    print_stats(s.db, console, days=days)


@eval_app.command("extraction")
@fails_cleanly
def eval_extraction(
    directory: Annotated[Path, typer.Argument(help="A folder like ../shared/data/extraction (ScrapingHub and/or WCXB sets).")],
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N pages of each set (a quick check).")] = None,
) -> None:
    """Bag F1 and 4-gram shingle F1 of extracted text, date accuracy, ms/page."""
    from reewatch.evaluate import extraction

    raise typer.Exit(extraction.main(directory, console, limit=limit))


@eval_app.command("dedup")
@fails_cleanly
def eval_dedup(
    file: Annotated[Path, typer.Argument(help="news/dev.jsonl (copy_of, story) or ecbplus-dev.jsonl (cluster).")],
    config: ConfigOpt = None,
    as_imported: Annotated[bool, typer.Option(
        "--as-imported", help="Build each item as `reewatch import` builds a url + text record (headline, "
                              "furniture and dateline read from the text).")] = False,
) -> None:
    """Pairwise P/R/F1 of copies and B-cubed P/R/F1 of stories."""
    from reewatch.evaluate import dedup

    s = load(config, None, prefect=True)
    raise typer.Exit(dedup.main(file, s.model, console, as_imported=as_imported))


@eval_app.command("relevance")
@fails_cleanly
def eval_relevance(
    file: Annotated[Path, typer.Argument(help="JSONL with text and relevance 0/1/2 (format of news/dev.jsonl).")],
    config: ConfigOpt = None,
) -> None:
    """Precision, recall, F1 (relevant vs irrelevant), ROC AUC, and how adjacent items score."""
    from reewatch.evaluate import relevance

    s = load(config, None, prefect=True)
    raise typer.Exit(relevance.main(file, s.model, s.topics_dir, console))


# Command groups that live in their own modules (each defines ``register(app)``).
COMMAND_MODULES = ("reewatch.commands.extraction", "reewatch.commands.relevance", "reewatch.commands.maintenance")


def _register_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
