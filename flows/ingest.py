"""The ``ingest`` flow: sources → links → pages → articles → triage → DuckDB.

Tasks work on batches (a task run costs tens of ms), network concurrency lives inside
the fetch tasks (one async client), and each batch is committed before the next starts,
so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from extract.article import extract_article
from extract.discover import SourceOutcome, fetch_pages, read_sources
from extract.http import Fetcher, HttpOptions
from reewatch.records import (
    Article,
    FetchAttempt,
    Link,
    NoArticle,
    Page,
    RunSummary,
    Source,
    SourceReport,
    TriagedArticle,
)
from reewatch.settings import Settings, load_settings
from store import articles as store_articles
from store import sources as store_sources
from store.archive import load_archive
from store.db import connect, transaction
from triage.archive import Archive
from triage.pipeline import triage_batch
from triage.relevance import TopicProfile, load_profiles

T = TypeVar("T")
# How long a run waits for another writer to release the database before giving up.
LOCK_WAIT_S = 30.0


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, in a fresh thread if a loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["v"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["e"] = exc

    th = threading.Thread(target=target)
    th.start()
    th.join()
    if "e" in box:
        raise box["e"]
    return box["v"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class IngestPlan:
    """Everything one run needs, as plain values (built from Settings in one place)."""

    db: Path
    sources: tuple[Source, ...]
    http: HttpOptions
    model: str
    default_topic: str
    topics_dir: Path | None
    keep_raw_html: bool
    batch_size: int
    max_links_per_source: int

    @classmethod
    def from_settings(cls, s: Settings, feeds: list[str] | None = None) -> IngestPlan:
        if feeds:
            sources = tuple(
                Source(name=f"feed:{url}", kind="rss", url=url, allow_private=True) for url in dict.fromkeys(feeds)
            )
        else:
            sources = tuple(s.enabled_sources())
        f = s.fetch
        ua = f.user_agent + (f" ({f.contact})" if f.contact else "")
        http = HttpOptions(
            user_agent=ua, connect_timeout_s=f.connect_timeout_s, read_timeout_s=f.read_timeout_s,
            total_timeout_s=f.total_timeout_s, max_bytes=f.max_bytes, per_host=f.per_host,
            max_connections=f.max_connections, max_redirects=f.max_redirects, retries=f.retries,
        )
        return cls(
            db=s.db, sources=sources, http=http, model=s.model, default_topic=s.default_topic,
            topics_dir=s.topics_dir, keep_raw_html=s.keep_raw_html, batch_size=s.batch_size,
            max_links_per_source=f.max_links_per_source,
        )


@task(name="read-sources", cache_policy=NO_CACHE)
def read_sources_task(plan: IngestPlan, validators: dict[str, tuple[str | None, str | None]]) -> list[SourceOutcome]:
    async def go() -> list[SourceOutcome]:
        async with Fetcher(plan.http) as f:
            return await read_sources(f, list(plan.sources), validators, plan.max_links_per_source)

    return run_sync(go())


@task(name="fetch-pages", cache_policy=NO_CACHE, retries=1)
def fetch_pages_task(plan: IngestPlan, links: list[Link]) -> list[tuple[Page | NoArticle | None, FetchAttempt]]:
    async def go() -> list[tuple[Page | NoArticle | None, FetchAttempt]]:
        async with Fetcher(plan.http) as f:
            return await fetch_pages(f, links)

    return run_sync(go())


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(pages: list[Page], keep_raw_html: bool) -> list[Article | NoArticle]:
    return [
        extract_article(
            p.html, url=p.url, source=p.source, fetched_at=p.fetched_at, keep_raw_html=keep_raw_html,
            title_hint=p.title_hint, published_hint=p.published_hint,
        )
        for p in pages
    ]


@task(name="triage", cache_policy=NO_CACHE)
def triage_task(articles: list[Article], archive: Archive, profiles: list[TopicProfile], model: str) -> list[TriagedArticle]:
    return triage_batch(articles, archive, profiles, model)


def new_articles(results: list[Article | NoArticle], archive: Archive) -> tuple[list[Article], list[NoArticle]]:
    """Split extraction results; drop articles whose canonical URL is already known."""
    arts: list[Article] = []
    noarts: list[NoArticle] = []
    seen: set[str] = set()
    for r in results:
        if isinstance(r, NoArticle):
            noarts.append(r)
        elif r.canonical_url in archive.by_canonical or r.canonical_url in seen:
            noarts.append(NoArticle(r.url, r.source, f"same canonical URL as a stored article: {r.canonical_url}"))
        else:
            seen.add(r.canonical_url)
            arts.append(r)
    return arts, noarts


def store_triaged(
    con: Any, plan: IngestPlan, triaged: list[TriagedArticle], noarts: list[NoArticle],
    attempts: list[FetchAttempt], run_id: str,
) -> int:
    return store_articles.save_batch(con, triaged, noarts, attempts, model=plan.model, run_id=run_id)


def _chunks(items: list[T], n: int) -> list[list[T]]:
    return [items[i : i + n] for i in range(0, len(items), max(1, n))]


def run_ingest(plan: IngestPlan, run_id: str | None = None) -> RunSummary:
    """One ingest cycle (the body of the flow, callable directly for benchmarks)."""
    started = time.perf_counter()
    run_id = run_id or uuid.uuid4().hex[:12]
    con = connect(plan.db, wait_s=LOCK_WAIT_S)
    try:
        store_articles.set_meta(con, "default_topic", plan.default_topic)
        store_sources.register(con, list(plan.sources))
        outcomes = read_sources_task(plan, store_sources.load_validators(con))
        all_links = [lk for o in outcomes for lk in o.links]
        fresh = store_articles.unseen(con, (lk.url for lk in all_links))
        todo = list({lk.url: lk for lk in all_links if lk.url in fresh}.values())
        profiles = load_profiles(plan.topics_dir)
        archive = load_archive(con, plan.model)
        per_source: dict[str, Counter[str]] = {o.source.name: Counter() for o in outcomes}
        for lk in todo:
            per_source[lk.source]["new_links"] += 1
        totals: Counter[str] = Counter()
        story_ids: set[str] = set()
        for batch in _chunks(todo, plan.batch_size):
            fetched = fetch_pages_task(plan, batch)
            attempts = [a for _, a in fetched]
            pages = [p for p, _ in fetched if isinstance(p, Page)]
            noarts = [p for p, _ in fetched if isinstance(p, NoArticle)]
            for _, a in fetched:
                per_source[a.source]["fetched" if a.ok else "errors"] += 1
                totals["fetch_errors"] += 0 if a.ok else 1
            arts, more_noarts = new_articles(extract_task(pages, plan.keep_raw_html), archive)
            noarts += more_noarts
            triaged = triage_task(arts, archive, profiles, plan.model)
            store_triaged(con, plan, triaged, noarts, attempts, run_id)
            totals["no_article"] += len(noarts)
            for t in triaged:
                story_ids.add(t.story_id)
                c = per_source[t.article.source]
                c["stored"] += 1
                c["copies"] += t.duplicate_of is not None
                s = t.score_for(plan.default_topic)
                c["relevant"] += bool(s and s.label == "relevant")
        # Source health and ETag/Last-Modified are committed only once every page the
        # sources listed is stored: a run killed before this point re-reads the sources in
        # full next time (no 304 can hide links whose pages were never stored).
        with transaction(con):
            for o in outcomes:
                store_sources.record_outcome(con, o)
            store_articles.record_fetches(con, [o.attempt for o in outcomes], run_id)
        reports = tuple(
            SourceReport(
                source=o.source.name, ok=o.ok, links=len(o.links), new_links=per_source[o.source.name]["new_links"],
                fetched=per_source[o.source.name]["fetched"], stored=per_source[o.source.name]["stored"],
                copies=per_source[o.source.name]["copies"], relevant=per_source[o.source.name]["relevant"],
                errors=per_source[o.source.name]["errors"] + (0 if o.ok else 1), not_modified=o.not_modified,
                error_class=o.attempt.error_class or ("bad_feed" if o.problem else None),
                error=o.problem or o.attempt.error,
            )
            for o in outcomes
        )
        return RunSummary(
            run_id=run_id, db=str(plan.db), sources=reports, stored=sum(r.stored for r in reports),
            copies=sum(r.copies for r in reports), stories=len(story_ids),
            relevant=sum(r.relevant for r in reports), no_article=totals["no_article"],
            fetch_errors=totals["fetch_errors"], seconds=round(time.perf_counter() - started, 2),
        )
    finally:
        con.close()


@flow(name="ingest", log_prints=False, validate_parameters=False)
def ingest_flow(config: str | None = None, db: str | None = None, feeds: list[str] | None = None) -> RunSummary:
    """One monitoring cycle with the given configuration file and overrides."""
    settings = load_settings(Path(config) if config else None, db=Path(db) if db else None)
    return run_ingest(IngestPlan.from_settings(settings, feeds))
