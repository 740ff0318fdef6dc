"""``reewatch import``: JSONL documents → extract (when HTML) → triage → store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from extract.article import extract_article
from extract.jsonl import BadLine, parse_line
from flows.ingest import IngestPlan, new_articles
from reewatch.records import Article, NoArticle, Page
from reewatch.settings import Settings
from store import articles as store_articles
from store.archive import load_archive
from store.db import connect
from triage.pipeline import triage_batch
from triage.relevance import load_profiles


@dataclass
class ImportResult:
    stored: int = 0
    copies: int = 0
    relevant: int = 0
    skipped: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)


def import_jsonl(path: Path, settings: Settings, console: Console) -> ImportResult:
    plan = IngestPlan.from_settings(settings)
    result = ImportResult()
    now = datetime.now(UTC)
    con = connect(plan.db, wait_s=30.0)
    try:
        store_articles.set_meta(con, "default_topic", plan.default_topic)
        profiles = load_profiles(plan.topics_dir)
        archive = load_archive(con, plan.model)
        pending: list[Article | NoArticle] = []

        def flush() -> None:
            arts, noarts = new_articles(pending, archive)
            triaged = triage_batch(arts, archive, profiles, plan.model)
            result.stored += store_articles.save_batch(con, triaged, noarts, [], model=plan.model, run_id="import")
            result.copies += sum(t.duplicate_of is not None for t in triaged)
            result.relevant += sum(
                1 for t in triaged if (sc := t.score_for(plan.default_topic)) is not None and sc.label == "relevant"
            )
            result.skipped += len(noarts)
            pending.clear()

        total = path.stat().st_size
        with path.open(encoding="utf-8", errors="replace") as fh, Progress(console=console, transient=True) as progress:
            bar = progress.add_task("importing", total=total)
            for lineno, line in enumerate(fh, 1):
                progress.advance(bar, len(line.encode("utf-8")))
                item = parse_line(line, lineno, now)
                if item is None:
                    continue
                if isinstance(item, BadLine):
                    result.bad_lines.append(item)
                    continue
                if isinstance(item, Page):
                    pending.append(extract_article(item.html, url=item.url, source=item.source, fetched_at=item.fetched_at,
                                                   keep_raw_html=plan.keep_raw_html, title_hint=item.title_hint,
                                                   published_hint=item.published_hint))
                else:
                    pending.append(item)
                if len(pending) >= plan.batch_size:
                    flush()
            flush()
    finally:
        con.close()
    return result
