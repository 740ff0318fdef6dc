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
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE

from extract.discover import SourceOutcome, fetch_pages, read_sources
from extract.http import Fetcher, HttpOptions
from extract.robots import RobotsCache
from flows.artifacts import publish
from flows.batches import ARCHIVE_WINDOW as ARCHIVE_WINDOW
from flows.batches import BatchWork
from flows.batches import archive_loads as archive_loads
from flows.batches import new_articles as new_articles
from flows.concurrency import one_writer
from flows.extract_pool import auto_workers, extract_shared
from reewatch.errors import ConfigError
from reewatch.memory import limit_malloc_arenas
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
from store.db import connect, transaction
from triage.archive import Archive
from triage.pipeline import triage_batch
from triage.relevance import TopicProfile

# Before Prefect, the fetch and the commit threads start any arena of their own (reewatch/memory.py).
limit_malloc_arenas()

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
    lock_wait_s: float = LOCK_WAIT_S
    # False: fetch, work on and commit each batch strictly one after the other (the order
    # the overlap must reproduce; tests/test_overlap.py compares the two).
    overlap: bool = True
    # True: with the overlap, batch k+1 is also extracted ahead, in a worker process
    # (flows/extract_pool.py).  Off by default: on 2 cores it oversubscribes torch's two
    # threads (300 real pages: 46.0 s against 39.5 s one batch after the other, load 3).
    extract_ahead: bool = False
    # Worker processes that share each batch's extraction with this one (flows/extract_pool.py);
    # 0: extract here alone.  Ignored while extract_ahead is on (its worker is busy ahead).
    extract_workers: int = 0

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
            min_delay_s=f.min_delay_s, throttle_private=f.throttle_private, obey_robots=f.obey_robots,
            retry_after_max_s=f.retry_after_max_s, sitemap_window_h=f.sitemap_window_h,
            gdelt_lookback_h=f.gdelt_lookback_h, gdelt_max_requests=f.gdelt_max_requests,
        )
        return cls(
            db=s.db, sources=sources, http=http, model=s.model, default_topic=s.default_topic,
            topics_dir=s.topics_dir, keep_raw_html=s.keep_raw_html, batch_size=s.batch_size,
            max_links_per_source=f.max_links_per_source, extract_ahead=s.extract_ahead,
            extract_workers=auto_workers() if s.extract_workers is None else s.extract_workers,
        )


# Task timeouts and retries.  Retries only on the I/O tasks (a source or page that failed
# at the network level may answer the next time); extract and triage are deterministic, so
# a retry would fail the same way.  Timeouts are generous ceilings, not expectations:
# reading 100 sources concurrently takes 5–40 s (fetch.total_timeout_s = 60 s per source,
# sources are read in parallel), a 256-page batch at per_host = 2 takes 10–120 s, extracting
# 256 pages ~15 s and triaging them ~10 s on 2 cores (bench/prefect_overhead.py).
READ_SOURCES_TIMEOUT_S = 600.0
FETCH_PAGES_TIMEOUT_S = 1800.0
EXTRACT_TIMEOUT_S = 900.0
TRIAGE_TIMEOUT_S = 900.0
IO_RETRIES = 2
IO_RETRY_DELAY_S = 10.0
# Pages per extract task when a distributed task runner (Dask) spreads extraction over
# processes: 32 pages ≈ 1–2 s of trafilatura work, well above Prefect's ~50 ms per task run.
EXTRACT_CHUNK = 32


@dataclass
class RunState:
    """What one run's fetchers share: robots.txt rules (read once per host), the time of the
    last request per host (so the minimum delay holds across batches), GDELT cursors."""

    robots: RobotsCache = field(default_factory=RobotsCache)
    host_clock: dict[str, float] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)


def _read_sources(
    plan: IngestPlan, sources: list[Source], validators: dict[str, tuple[str | None, str | None]], state: RunState
) -> list[SourceOutcome]:
    async def go() -> list[SourceOutcome]:
        async with Fetcher(plan.http, robots=state.robots, host_clock=state.host_clock) as f:
            return await read_sources(f, sources, validators, plan.max_links_per_source, cursors=state.cursors)

    return run_sync(go())


def _fetch_pages(plan: IngestPlan, links: list[Link], state: RunState) -> list[tuple[Page | NoArticle | None, FetchAttempt]]:
    async def go() -> list[tuple[Page | NoArticle | None, FetchAttempt]]:
        async with Fetcher(plan.http, robots=state.robots, host_clock=state.host_clock) as f:
            return await asyncio.wait_for(fetch_pages(f, links), FETCH_PAGES_TIMEOUT_S)

    return run_sync(go())


def _triage(articles: list[Article], archive: Archive, profiles: list[TopicProfile], model: str) -> list[TriagedArticle]:
    return triage_batch(articles, archive, profiles, model)


read_sources_task = task(
    name="read-sources", cache_policy=NO_CACHE, retries=IO_RETRIES,
    retry_delay_seconds=IO_RETRY_DELAY_S, timeout_seconds=READ_SOURCES_TIMEOUT_S,
)(_read_sources)
fetch_pages_task = task(
    name="fetch-pages", cache_policy=NO_CACHE, retries=IO_RETRIES,
    retry_delay_seconds=IO_RETRY_DELAY_S,  # FETCH_PAGES_TIMEOUT_S is enforced inside (asyncio.wait_for):
)(_fetch_pages)  # the batch is fetched from a prefetch thread, where Prefect's timeout cannot interrupt
extract_task = task(name="extract", cache_policy=NO_CACHE, retries=0, timeout_seconds=EXTRACT_TIMEOUT_S)(extract_shared)
triage_task = task(name="triage", cache_policy=NO_CACHE, retries=0, timeout_seconds=TRIAGE_TIMEOUT_S)(_triage)


def _extract_in_flow(pages: list[Page], keep_raw_html: bool, workers: int) -> list[Article | NoArticle]:
    """Extract as one task (shared with ``workers`` worker processes, flows/extract_pool.py), or
    as chunks submitted to a distributed task runner (Dask), whose workers are other processes
    (a batch of up to 32 pages is one chunk)."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    ctx = FlowRunContext.get()
    runner = ctx.task_runner if ctx else None
    if runner is None or isinstance(runner, ThreadPoolTaskRunner) or not pages:
        return extract_task(pages, keep_raw_html, workers)
    futures = extract_task.map(_chunks(pages, EXTRACT_CHUNK), keep_raw_html=unmapped(keep_raw_html), workers=unmapped(0))
    chunks: list[list[Article | NoArticle]] = futures.result()
    return [r for chunk in chunks for r in chunk]


@dataclass(frozen=True)
class Stages:
    """The four batch stages run_ingest calls: Prefect tasks in a flow, plain functions outside."""

    read_sources: Callable[
        [IngestPlan, list[Source], dict[str, tuple[str | None, str | None]], RunState], list[SourceOutcome]
    ]
    fetch_pages: Callable[[IngestPlan, list[Link], RunState], list[tuple[Page | NoArticle | None, FetchAttempt]]]
    extract: Callable[[list[Page], bool, int], list[Article | NoArticle]]
    triage: Callable[[list[Article], Archive, list[TopicProfile], str], list[TriagedArticle]]


DIRECT_STAGES = Stages(_read_sources, _fetch_pages, extract_shared, _triage)
PREFECT_STAGES = Stages(read_sources_task, fetch_pages_task, _extract_in_flow, triage_task)


def default_stages() -> Stages:
    """Prefect tasks inside a flow run; plain function calls anywhere else."""
    from prefect.context import FlowRunContext

    return PREFECT_STAGES if FlowRunContext.get() is not None else DIRECT_STAGES


def _chunks(items: list[T], n: int) -> list[list[T]]:
    return [items[i : i + n] for i in range(0, len(items), max(1, n))]


def run_ingest(plan: IngestPlan, run_id: str | None = None, stages: Stages | None = None) -> RunSummary:
    """One ingest cycle (the body of the flow, callable directly for benchmarks).

    ``stages`` defaults to Prefect tasks inside a flow run and plain calls elsewhere.
    """
    return ingest_with_stories(plan, run_id, stages)[0]


def ingest_with_stories(
    plan: IngestPlan, run_id: str | None = None, stages: Stages | None = None
) -> tuple[RunSummary, dict[str, int]]:
    """run_ingest, plus how many distinct stories each source's new articles joined."""
    st = stages or default_stages()
    started = time.perf_counter()
    run_id = run_id or uuid.uuid4().hex[:12]
    con = connect(plan.db, wait_s=plan.lock_wait_s)
    try:
        store_articles.set_meta(con, "default_topic", plan.default_topic)
        store_sources.register(con, list(plan.sources))
        # Sources failing repeatedly wait out a growing interval; explicit --feed sources never do.
        due = set(store_sources.due(con, list(plan.sources)))
        sources = [s for s in plan.sources if s.name.startswith("feed:") or s in due]
        state = RunState(cursors=store_sources.load_cursors(con))
        outcomes = st.read_sources(plan, sources, store_sources.load_validators(con), state)
        all_links = [lk for o in outcomes for lk in o.links]
        fresh = store_articles.unseen(con, (lk.url for lk in all_links))
        todo = list({lk.url: lk for lk in all_links if lk.url in fresh}.values())
        per_source: dict[str, Counter[str]] = {o.source.name: Counter() for o in outcomes}
        for lk in todo:
            per_source[lk.source]["new_links"] += 1
        totals: Counter[str] = Counter()
        story_ids: dict[str, set[str]] = {}
        if todo:  # a no-op run (nothing new) loads neither the archive nor the model
            work = BatchWork(plan, st, state, con, run_id, per_source, totals, story_ids)
            work.run(_chunks(todo, plan.batch_size))
        # Source health and ETag/Last-Modified are committed only once every page the
        # sources listed is stored: a run killed before this point re-reads the sources in
        # full next time (no 304 can hide links whose pages were never stored).
        with transaction(con):
            for o in outcomes:
                store_sources.record_outcome(con, o)
            store_articles.record_fetches(con, [a for o in outcomes for a in o.attempts], run_id)
        reports = tuple(
            SourceReport(
                source=o.source.name, ok=o.ok, links=len(o.links), new_links=per_source[o.source.name]["new_links"],
                fetched=per_source[o.source.name]["fetched"], stored=per_source[o.source.name]["stored"],
                copies=per_source[o.source.name]["copies"], relevant=per_source[o.source.name]["relevant"],
                errors=per_source[o.source.name]["errors"] + (0 if o.ok else 1), not_modified=o.not_modified,
                error_class=o.attempt.error_class or ("bad_feed" if o.problem else None),
                error=o.problem or o.attempt.error, warning=o.warning,
            )
            for o in outcomes
        )
        summary = RunSummary(
            run_id=run_id, db=str(plan.db), sources=reports, stored=sum(r.stored for r in reports),
            copies=sum(r.copies for r in reports), stories=len(set().union(*story_ids.values())),
            relevant=sum(r.relevant for r in reports), no_article=totals["no_article"],
            fetch_errors=totals["fetch_errors"], seconds=round(time.perf_counter() - started, 2),
        )
        return summary, {name: len(ids) for name, ids in story_ids.items()}
    finally:
        con.close()


TASK_RUNNERS = ("thread", "dask")


def _ingest_body(config: str | None, db: str | None, feeds: list[str] | None) -> RunSummary:
    settings = load_settings(Path(config) if config else None, db=Path(db) if db else None)
    plan = IngestPlan.from_settings(settings, feeds)
    with one_writer(plan.db):
        summary, stories = ingest_with_stories(plan, _flow_run_id(), PREFECT_STAGES)
    publish(summary, stories)
    # Breaking alerts go out at once (no-op unless a channel has alerts = true).
    from flows.digest_flow import alert_after_ingest

    alert_after_ingest(settings)
    return summary


@flow(name="ingest", log_prints=False, validate_parameters=False)
def ingest_flow(
    config: str | None = None, db: str | None = None, feeds: list[str] | None = None, task_runner: str = "thread"
) -> RunSummary:
    """One monitoring cycle with the given configuration file and overrides.

    Holds the database's writer slot (a Prefect concurrency limit) for the whole run and
    attaches a Markdown summary and a per-source table as artifacts.  ``task_runner="dask"``
    runs the cycle as a subflow on a local Dask cluster (prefect-dask, the ``dask`` extra),
    which spreads extraction, the CPU-heavy stage, over processes.
    """
    if task_runner == "thread":
        return _ingest_body(config, db, feeds)
    if task_runner != "dask":
        raise ConfigError(f"unknown task runner {task_runner!r}; use one of {', '.join(TASK_RUNNERS)}")
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ImportError as exc:
        raise ConfigError("task runner 'dask' needs the optional extra: pip install 'reewatch[dask]'") from exc
    on_dask = flow(name="ingest-dask", log_prints=False, validate_parameters=False,
                   task_runner=DaskTaskRunner())(_ingest_body)  # type: ignore[arg-type]
    return on_dask(config, db, feeds)


def _flow_run_id() -> str | None:
    """The flow run's id (short), so fetch rows can be traced to the Prefect run."""
    from prefect.runtime import flow_run

    rid = flow_run.get_id()
    return str(rid).replace("-", "")[:12] if rid else None
