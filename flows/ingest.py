"""The ``ingest`` flow: the run of pipeline/ingest.py with its stages as Prefect tasks.

Tasks work on batches (a task run costs tens of ms), network concurrency lives inside the
fetch tasks (one async client), and the flow holds the database's writer slot for the run.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE

from core.errors import ConfigError
from core.memory import limit_malloc_arenas
from core.records import ExtractCounts, Page, RunSummary
from digest.run import run_alerts
from extract.pool import Extracted, extract_shared, submit_shares
from flows.artifacts import publish
from flows.writer import one_writer
from pipeline.ingest import ingest_with_stories
from pipeline.plan import IngestPlan, Stages, chunks, fetch_pages_stage, read_sources_stage, triage_stage
from pipeline.settings import load_settings

# Task timeouts and retries.  Retries only on the I/O tasks (a source or page that failed
# at the network level may answer the next time); extract and triage are deterministic, so
# a retry would fail the same way.  The timeout is a generous ceiling, not an expectation:
# reading 100 sources concurrently takes 5–40 s (fetch.total_timeout_s = 60 s per source,
# sources are read in parallel).  Extract and triage have none: they run in the ingest's compute
# thread, where a Prefect timeout cannot interrupt anything and only logs a warning per batch;
# a stalled extraction worker is taken back by extract/pool.py instead.
READ_SOURCES_TIMEOUT_S = 600.0
IO_RETRIES = 2
IO_RETRY_DELAY_S = 10.0
# Pages per extract task when a distributed task runner (Dask) spreads extraction over
# processes: 32 pages ≈ 1–2 s of trafilatura work, well above Prefect's ~50 ms per task run.
EXTRACT_CHUNK = 32

read_sources_task = task(
    name="read-sources", cache_policy=NO_CACHE, retries=IO_RETRIES,
    retry_delay_seconds=IO_RETRY_DELAY_S, timeout_seconds=READ_SOURCES_TIMEOUT_S,
)(read_sources_stage)
# No Prefect timeout: the batch is fetched from a prefetch thread, where it cannot interrupt;
# pipeline/plan.py enforces FETCH_PAGES_TIMEOUT_S inside (asyncio.wait_for).
fetch_pages_task = task(
    name="fetch-pages", cache_policy=NO_CACHE, retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAY_S,
)(fetch_pages_stage)
extract_task = task(name="extract", cache_policy=NO_CACHE, retries=0)(extract_shared)
triage_task = task(name="triage", cache_policy=NO_CACHE, retries=0)(triage_stage)


def _local_runner() -> bool:
    """Whether this flow's tasks run in this process (no flow, or the thread runner)."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    ctx = FlowRunContext.get()
    runner = ctx.task_runner if ctx else None
    return runner is None or isinstance(runner, ThreadPoolTaskRunner)


def _extract_in_flow(pages: list[Page], keep_raw_html: bool, workers: int) -> Extracted:
    """Extract as one task (shared with ``workers`` worker processes, extract/pool.py), or
    as chunks submitted to a distributed task runner (Dask), whose workers are other processes."""
    if _local_runner() or not pages:
        return extract_task(pages, keep_raw_html, workers)
    futures = extract_task.map(chunks(pages, EXTRACT_CHUNK), keep_raw_html=unmapped(keep_raw_html), workers=unmapped(0))
    parts: list[Extracted] = futures.result()
    return [r for part, _ in parts for r in part], sum((where for _, where in parts), ExtractCounts())


def _hand_over_in_flow(pages: list[Page], keep_raw_html: bool, workers: int) -> bool:
    """The workers get their parts ahead only where the extract task collects them: not under a
    distributed runner, whose own workers extract."""
    return _local_runner() and submit_shares(pages, keep_raw_html, workers)


PREFECT_STAGES = Stages(read_sources_task, fetch_pages_task, _extract_in_flow, triage_task, _hand_over_in_flow)
TASK_RUNNERS = ("thread", "dask")


def _ingest_body(config: str | None, db: str | None, feeds: list[str] | None) -> RunSummary:
    # Before the fetch and commit threads start any malloc arena of their own (core/memory.py).
    limit_malloc_arenas()
    settings = load_settings(Path(config) if config else None, db=Path(db) if db else None)
    plan = IngestPlan.from_settings(settings, feeds)
    with one_writer(plan.db):
        summary, stories = ingest_with_stories(plan, _flow_run_id(), PREFECT_STAGES)
    publish(summary, stories)
    # Breaking alerts go out at once (no-op unless a channel has alerts = true).
    run_alerts(settings.db, settings.digest)
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
