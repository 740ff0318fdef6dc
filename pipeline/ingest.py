"""One ingest run: sources → links → pages → articles → triage → DuckDB (the body of the
``ingest`` flow, callable directly for tests and benchmarks).

Each batch is committed before the next starts, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter

from core.records import RunSummary, SourceReport
from pipeline.batches import BatchWork
from pipeline.plan import DIRECT_STAGES, IngestPlan, RunState, Stages, chunks
from store import articles as store_articles
from store import sources as store_sources
from store.db import connect, transaction


def run_ingest(plan: IngestPlan, run_id: str | None = None, stages: Stages | None = None) -> RunSummary:
    """One ingest cycle (the body of the flow, callable directly for benchmarks).

    ``stages`` defaults to plain calls; flows/ingest.py passes Prefect tasks.
    """
    return ingest_with_stories(plan, run_id, stages)[0]


def ingest_with_stories(
    plan: IngestPlan, run_id: str | None = None, stages: Stages | None = None
) -> tuple[RunSummary, dict[str, int]]:
    """run_ingest, plus how many distinct stories each source's new articles joined."""
    st = stages or DIRECT_STAGES
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
            work.run(chunks(todo, plan.settings.batch_size))
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
