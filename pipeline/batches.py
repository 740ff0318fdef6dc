"""The batches of one ingest run: fetched (and extracted) ahead, triaged in order, each
committed behind the next (pipeline/overlap.py), with the same results and commit order as
one batch after the other (``IngestPlan.overlap = False``, tests/test_overlap.py).

After extraction every batch, a run's or ``reewatch import``'s, takes one path to the
database: ``triage_and_store`` (new articles → triage → counted → one commit)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from core.errors import ErrorClass
from core.records import Article, ExtractCounts, FetchAttempt, Link, NoArticle, Page, RunStats, TriagedArticle
from extract.pool import (
    MIN_SHARED_PAGES,
    Extracted,
    drop_submitted,
    extract_in_worker,
    model_threads_beside_workers,
    warm_up,
)
from fetch.gnews import UNRESOLVED
from pipeline.leads import lead_article
from pipeline.overlap import FETCH_AHEAD, OrderedWriter, Prefetch, below_normal_priority
from pipeline.plan import IngestPlan, RunState, Stages, chunks
from store import articles as store_articles
from store.archive import read_archive
from store.db import Database
from store.labels import with_trained_heads
from triage.archive import Archive
from triage.embed import loaded_models, model_threads
from triage.pipeline import prepare
from triage.relevance import TopicProfile, load_profiles

# How far back new articles are compared for copies and stories: stories join only within days
# (triage/stories.py), copies republished a month later are rare, and loading costs ~0.9 ms per
# stored article (docs/benchmarks.md), so the window keeps a run's cost flat as the archive grows.
ARCHIVE_WINDOW = timedelta(days=30)


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


def topic_profiles(con: Any, plan: IngestPlan) -> list[TopicProfile]:
    """The configured topics, each with the latest head trained from analyst labels (`reewatch train`)."""
    return with_trained_heads(con, load_profiles(plan.settings.topics_dir), plan.model)


def store_triaged(
    db: Database, plan: IngestPlan, triaged: list[TriagedArticle], noarts: list[NoArticle],
    attempts: list[FetchAttempt], run_id: str,
) -> int:
    """One batch committed in one short write window (its rows are converted before the window opens)."""
    staged = store_articles.stage_batch(triaged, noarts, attempts, model=plan.model, run_id=run_id)
    try:
        with db.write() as con:
            return store_articles.commit_staged(con, staged)
    finally:
        staged.discard()


@dataclass
class Tally:
    """What batches added up to: per source (new_links, fetched, errors, stored, copies, relevant),
    in all (no_article, fetch_errors), and the stories each source's new articles joined."""

    per_source: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    totals: Counter[str] = field(default_factory=Counter)
    story_ids: dict[str, set[str]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # per source, the last failed fetch's error

    def count(self, triaged: list[TriagedArticle], noarts: list[NoArticle], default_topic: str) -> None:
        """A triaged batch: each article is stored (the commit adds every one: ``new_articles``
        left out those already stored), a copy or not, relevant to the default topic or not."""
        self.totals["no_article"] += len(noarts)
        for t in triaged:
            self.story_ids.setdefault(t.article.source, set()).add(t.story_id)
            c = self.per_source[t.article.source]
            c["stored"] += 1
            c["leads"] += t.article.kind == "lead"
            c["copies"] += t.duplicate_of is not None
            s = t.score_for(default_topic)
            c["relevant"] += bool(s and s.label == "relevant")

    def total(self, key: str) -> int:
        """``key`` summed over the sources."""
        return sum(c[key] for c in self.per_source.values())


@dataclass(frozen=True)
class IngestTarget:
    """Where extracted batches go: the stages that triage them, the archive and topics they are
    triaged against, the database and run id they are stored under, the tally they count in."""

    plan: IngestPlan
    st: Stages
    db: Database
    run_id: str
    archive: Archive
    profiles: list[TopicProfile]
    tally: Tally


def triage_and_store(
    target: IngestTarget, extracted: list[Article | NoArticle], noarts: list[NoArticle] | None = None,
    attempts: list[FetchAttempt] | None = None,
) -> Callable[[], int]:
    """One extracted batch: articles already stored (by canonical URL) set aside, the rest triaged
    (the archive gains them), everything counted in the tally; returns the batch's commit (articles,
    pages without one, fetch log; how many articles were new), which ``reewatch import`` runs at
    once and an ingest run behind the next batch.  ``noarts`` and ``attempts``: the batch's pages
    that gave no article before extraction, and its fetches."""
    plan = target.plan
    arts, dropped = new_articles(extracted, target.archive)
    noarts = [*(noarts or []), *dropped]
    triaged = target.st.triage(arts, target.archive, target.profiles, plan.model, plan.settings.multilingual)
    target.tally.count(triaged, noarts, plan.default_topic)
    return partial(store_triaged, target.db, plan, triaged, noarts, attempts or [], target.run_id)


# A fetched batch, and its extraction when it was done ahead (off the main thread).
FetchedBatch = tuple[list[tuple[Page | NoArticle | None, FetchAttempt]], Extracted | None]


def _pages(fetched: list[tuple[Page | NoArticle | None, FetchAttempt]]) -> list[Page]:
    return [p for p, _ in fetched if isinstance(p, Page)]


@dataclass
class BatchWork:
    """The batches of one run: fetched one ahead in a background thread, extracted and
    triaged in order in a thread below normal priority, each committed in a background
    thread at normal priority (one at a time, in order) while the next is extracted and
    triaged (pipeline/overlap.py)."""

    plan: IngestPlan
    st: Stages
    state: RunState
    db: Database
    run_id: str
    tally: Tally

    def run(self, batches: list[list[Link]], leads: list[Link] | None = None) -> RunStats:
        """Work on ``batches``, then store ``leads`` (links not fetched, pipeline/leads.py);
        returns what the run loaded and where its extraction ran."""
        plan, st = self.plan, self.st
        models_before = loaded_models()
        ahead_extract = plan.overlap and plan.settings.extract_ahead
        shared = 0 if ahead_extract else plan.extract_workers
        if ahead_extract:
            warm_up()  # the extraction worker imports while the sources' pages are fetched
        elif shared and any(len(b) >= MIN_SHARED_PAGES for b in batches):
            warm_up(shared)  # the workers import while the first batch is fetched
        with self.db.read() as con:
            profiles = topic_profiles(con, plan)
            archive, computed = read_archive(con, plan.model, since=datetime.now(UTC) - ARCHIVE_WINDOW)
        if computed:  # features missing or outdated in the store: kept for the next load
            with self.db.write() as con:
                store_articles.save_features(con, computed)
        target = IngestTarget(plan, st, self.db, self.run_id, archive, profiles, self.tally)

        def fetch(batch: list[Link]) -> FetchedBatch:
            fetched = st.fetch_pages(plan, batch, self.state)
            # extract_ahead: extracted here too, in the worker process (off the main thread's GIL)
            if ahead_extract:
                return fetched, extract_in_worker(_pages(fetched), plan.settings.keep_raw_html)
            if shared and plan.overlap:
                # the workers start on their shares now, at idle priority, while the batch before is
                # triaged; its extraction (``st.extract``) collects them (extract/pool.py)
                st.hand_over(_pages(fetched), plan.settings.keep_raw_html, shared)
            return fetched, None

        ahead = FETCH_AHEAD if plan.overlap else 0
        threads = model_threads_beside_workers() if ahead_extract else None
        try:
            with model_threads(threads), Prefetch(fetch, batches, ahead) as fetched_batches, OrderedWriter() as writer:
                # The CPU work in a thread below the writer's priority, started after the writer
                # (a thread inherits its creator's niceness): pipeline/overlap.py.
                where = below_normal_priority(
                    lambda: self._work(target, shared, batches, fetched_batches, writer, leads or []))
        finally:
            drop_submitted()  # shares handed over for a batch the run never reached
        return RunStats(archive_loaded=True, model_loaded=bool(loaded_models() - models_before), extract=where)

    def _work(
        self, target: IngestTarget, shared: int, batches: list[list[Link]], fetched_batches: Iterable[FetchedBatch],
        writer: OrderedWriter, leads: list[Link],
    ) -> ExtractCounts:
        """Extract (``shared``: with that many worker processes) and triage each fetched batch in
        order, handing its commit to ``writer``; then the leads."""
        plan, st = self.plan, self.st
        where = ExtractCounts()
        if plan.overlap:  # while the first batch is fetched
            prepare(target.profiles, plan.model)
        by_url = {lk.url: lk for b in batches for lk in b if lk.redirect}
        for fetched, done_ahead in fetched_batches:
            extracted, counts = (done_ahead if done_ahead is not None
                                 else st.extract(_pages(fetched), plan.settings.keep_raw_html, shared))
            where += counts
            noarts, attempts = self.fetch_outcome(fetched)
            # A Google News link that could not be resolved is kept as a lead (fetch.gnews).
            fallen = [n for n in noarts if n.reason.startswith(UNRESOLVED) and n.url in by_url]
            noarts = [n for n in noarts if n not in fallen]
            extracted = [*extracted, *(lead_article(by_url[n.url]) for n in fallen)]
            writer.submit(triage_and_store(target, extracted, noarts, attempts))
            if not plan.overlap:
                writer.drain()
        # Leads after the articles: a headline joins the story of the articles it matches; stored
        # first, a headline-only story would draw the next articles into it instead.
        for part in chunks(leads, plan.settings.batch_size):
            writer.submit(triage_and_store(target, [lead_article(lk) for lk in part]))
            if not plan.overlap:
                writer.drain()
        return where

    def fetch_outcome(
        self, fetched: list[tuple[Page | NoArticle | None, FetchAttempt]],
    ) -> tuple[list[NoArticle], list[FetchAttempt]]:
        """A fetched batch's pages that gave no article before extraction, and its fetches (counted per source)."""
        attempts = [a for _, a in fetched]
        noarts = [p for p, _ in fetched if isinstance(p, NoArticle)]
        # A Google News redirect is stored under the publisher's URL; remember the
        # redirect too, or it would be fetched again every run.
        noarts += [NoArticle(p.url, p.source, f"redirect to {p.stored_url}") for p in _pages(fetched) if p.stored_url != p.url]
        for a in attempts:
            c = self.tally.per_source[a.source]
            c["fetched" if a.ok else "errors"] += 1
            c["refused"] += a.error_class == ErrorClass.ROBOTS
            if not a.ok:
                self.tally.reasons[a.source] = a.error or a.error_class or ""
            self.tally.totals["fetch_errors"] += 0 if a.ok else 1
        for n in noarts:
            self.tally.per_source[n.source]["no_article"] += not n.reason.startswith(UNRESOLVED)
        return noarts, attempts
