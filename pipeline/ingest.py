"""One ingest run: sources → links → pages → articles → triage → DuckDB (the body of the
``ingest`` flow, callable directly for tests and benchmarks).

The database file is held only in short windows: reading what the run needs (source state,
seen URLs, the archive), each batch's commit, and the sources' health at the end.  Reading the
sources, fetching, extracting and embedding happen with the file closed, so other processes
(``reewatch query``, exports, the reading room) can open it meanwhile.  The writer slot
(flows/writer.py) keeps other writers out for the whole run.  Each batch is committed before
the next starts, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

from core.errors import ErrorClass
from core.records import RunStats, RunSummary, SourceReport
from pipeline.batches import BatchWork, Tally
from pipeline.leads import health_warning, route, split_leads
from pipeline.plan import DIRECT_STAGES, IngestPlan, RunState, Stages, chunks
from store import articles as store_articles
from store import backlog as store_backlog
from store import sources as store_sources
from store.db import Database, transaction


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
    db = Database(plan.db, wait_s=plan.lock_wait_s)
    with db.write() as con:
        store_articles.set_meta(con, "default_topic", plan.default_topic)
        store_sources.register(con, list(plan.sources))
        # Sources failing repeatedly wait out a growing interval; explicit --feed sources never do.
        due = set(store_sources.due(con, list(plan.sources)))
        # A source that was told to slow down (GDELT's throttle) rests until its back-off ends.
        resting = store_sources.backing_off(con)
        state = RunState(cursors=store_sources.load_cursors(con), backlogs=store_sources.load_backlogs(con))
        validators = store_sources.load_validators(con)
    sources = [s for s in plan.sources if (s.name.startswith("feed:") or s in due) and s.name not in resting]
    outcomes = st.read_sources(plan, sources, validators, state)
    # Google News items are leads, never fetched (pipeline/leads.py): no link cap, no backlog.
    listed = {o.source.name: len(o.links) for o in outcomes}
    outcomes, listed_leads = split_leads(outcomes)
    with db.read() as con:
        # Per source the newest links up to the cap whose retry is due; the rest wait (store/backlog.py).
        pick = store_backlog.select(con, outcomes, plan.fetch.max_links_per_source)
        fresh = store_articles.unseen(con, (lk.url for lk in listed_leads))
    todo, waiting_leads = route(plan.sources, list(pick.todo))
    leads = list({lk.url: lk for lk in [*(lk for lk in listed_leads if lk.url in fresh), *waiting_leads]}.values())
    tally = Tally()
    for lk in [*todo, *leads]:
        tally.per_source[lk.source]["new_links"] += 1
    stats = RunStats()  # a no-op run (nothing new) loads neither the archive nor the model
    if todo or leads:
        stats = BatchWork(plan, st, state, db, run_id, tally).run(chunks(todo, plan.settings.batch_size), leads)
    per_source, totals, story_ids = tally.per_source, tally.totals, tally.story_ids
    # Source health and ETag/Last-Modified are committed only once every page the
    # sources listed is stored: a run killed before this point re-reads the sources in
    # full next time (no 304 can hide links whose pages were never stored).
    # A source none of whose links came to anything (all refused or failed) warns, with the reason.
    warnings = {o.source.name: o.warning or health_warning(per_source[o.source.name]["new_links"],
                                                           per_source[o.source.name], tally.reasons.get(o.source.name))
                for o in outcomes}
    with db.write(checkpoint=True) as con, transaction(con):
        for o in outcomes:
            store_sources.record_outcome(con, replace(o, warning=warnings[o.source.name]))
        store_articles.record_fetches(con, [a for o in outcomes for a in o.attempts], run_id)
        waiting = store_backlog.save(con, pick)
    stats = replace(stats, db_held_s=round(db.held_s, 3), db_windows=db.windows)
    reports = tuple(
        SourceReport(
            source=o.source.name, ok=o.ok, links=listed[o.source.name], new_links=per_source[o.source.name]["new_links"],
            fetched=per_source[o.source.name]["fetched"], stored=per_source[o.source.name]["stored"],
            copies=per_source[o.source.name]["copies"], relevant=per_source[o.source.name]["relevant"],
            errors=per_source[o.source.name]["errors"] + (0 if o.ok else 1), not_modified=o.not_modified,
            error_class=o.attempt.error_class or (ErrorClass.BAD_FEED if o.problem else None),
            error=o.problem or o.attempt.error, leads=per_source[o.source.name]["leads"],
            warning=warnings[o.source.name], backlog=waiting.get(o.source.name, (0, 0))[0],
            aged_out=waiting.get(o.source.name, (0, 0))[1],
        )
        for o in outcomes
    ) + tuple(SourceReport(source=name, ok=True, warning=f"backing off until {until:%Y-%m-%d %H:%M} UTC")
              for name, until in resting.items() if any(s.name == name for s in plan.sources))
    summary = RunSummary(
        run_id=run_id, db=str(plan.db), sources=reports, stored=sum(r.stored for r in reports),
        copies=sum(r.copies for r in reports), stories=len(set().union(*story_ids.values())),
        relevant=sum(r.relevant for r in reports), no_article=totals["no_article"],
        fetch_errors=totals["fetch_errors"], seconds=round(time.perf_counter() - started, 2), stats=stats,
    )
    return summary, {name: len(ids) for name, ids in story_ids.items()}
