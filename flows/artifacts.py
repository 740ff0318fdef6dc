"""Run summaries as Prefect artifacts: a Markdown summary and one table row per source.

The rendering (``summary_markdown``, ``source_rows``) is pure; ``publish`` only hands the
result to Prefect, inside a flow run.
"""

from __future__ import annotations

from typing import Any

from core.records import RunSummary

SUMMARY_KEY = "ingest-summary"
SOURCES_KEY = "ingest-sources"
SOURCE_COLUMNS = ("source", "status", "links", "fetched", "new", "copies", "stories", "relevant", "errors")


def _status(ok: bool, not_modified: bool, error_class: str | None) -> str:
    if not_modified:
        return "unchanged (304)"
    return "ok" if ok else (error_class or "failed")


def source_rows(summary: RunSummary, stories_by_source: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """One row per source: fetched, new (stored), copies, stories, relevant, errors."""
    stories_by_source = stories_by_source or {}
    return [
        {
            "source": r.source,
            "status": _status(r.ok, r.not_modified, r.error_class),
            "links": r.links,
            "fetched": r.fetched,
            "new": r.stored,
            "copies": r.copies,
            "stories": stories_by_source.get(r.source, 0),
            "relevant": r.relevant,
            "errors": r.errors,
        }
        for r in summary.sources
    ]


def summary_markdown(summary: RunSummary) -> str:
    """A short Markdown report of one ingest run."""
    failed = [r for r in summary.sources if not r.ok]
    lines = [
        f"# Ingest run `{summary.run_id}`",
        "",
        f"- database: `{summary.db}`",
        f"- sources read: {len(summary.sources)} ({len(failed)} failed)",
        f"- new articles stored: **{summary.stored}** ({summary.copies} copies) in {summary.stories} stories",
        f"- relevant: **{summary.relevant}**",
        f"- pages that were not articles: {summary.no_article}",
        f"- page fetches that failed: {summary.fetch_errors}",
        f"- time: {summary.seconds:.1f} s",
    ]
    if failed:
        lines += ["", "## Failed sources", ""]
        lines += [f"- `{r.source}`: {r.error_class or 'error'} — {r.error or ''}".rstrip(" —") for r in failed]
    return "\n".join(lines) + "\n"


def publish(summary: RunSummary, stories_by_source: dict[str, int] | None = None) -> None:
    """Attach both artifacts to the current flow run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(summary_markdown(summary), key=SUMMARY_KEY, description="reewatch ingest run summary")
    create_table_artifact(source_rows(summary, stories_by_source), key=SOURCES_KEY, description="per-source counts")
