"""The batches of one ingest run: fetched (and extracted) ahead, triaged in order, each
committed behind the next (pipeline/overlap.py), with the same results and commit order as
one batch after the other (``IngestPlan.overlap = False``, tests/test_overlap.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from core.records import Article, FetchAttempt, Link, NoArticle, Page, TriagedArticle
from extract.pool import (
    MIN_SHARED_PAGES,
    extract_in_worker,
    model_threads_beside_workers,
    warm_up,
)
from pipeline.overlap import FETCH_AHEAD, OrderedWriter, Prefetch
from pipeline.plan import IngestPlan, RunState, Stages
from store import articles as store_articles
from store.archive import load_archive
from store.labels import with_trained_heads
from triage.archive import Archive
from triage.embed import model_threads
from triage.pipeline import prepare
from triage.relevance import TopicProfile, load_profiles

# How far back new articles are compared for copies and stories.  Stories join only within
# days of each other (triage/stories.py); copies republished a month later are rare, and
# loading the archive costs ~0.9 ms per stored article (bench/, issue #9), so the window
# keeps each run's cost flat as the archive grows.
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


def store_triaged(
    con: Any, plan: IngestPlan, triaged: list[TriagedArticle], noarts: list[NoArticle],
    attempts: list[FetchAttempt], run_id: str,
) -> int:
    return store_articles.save_batch(con, triaged, noarts, attempts, model=plan.model, run_id=run_id)


_archive_loads = 0
# A fetched batch, and its extraction when it was done ahead (off the main thread).
FetchedBatch = tuple[list[tuple[Page | NoArticle | None, FetchAttempt]], list[Article | NoArticle] | None]


def _pages(fetched: list[tuple[Page | NoArticle | None, FetchAttempt]]) -> list[Page]:
    return [p for p, _ in fetched if isinstance(p, Page)]


def archive_loads() -> int:
    """How many times this process has loaded the archive for an ingest (a no-op run adds none)."""
    return _archive_loads


@dataclass
class BatchWork:
    """The batches of one run: fetched one ahead in a background thread, extracted and
    triaged here in order, each committed in a background thread (one at a time, in
    order) while the next is extracted and triaged (pipeline/overlap.py)."""

    plan: IngestPlan
    st: Stages
    state: RunState
    con: Any
    run_id: str
    per_source: dict[str, Counter[str]]
    totals: Counter[str]
    story_ids: dict[str, set[str]]

    def run(self, batches: list[list[Link]]) -> None:
        global _archive_loads
        plan, st = self.plan, self.st
        ahead_extract = plan.overlap and plan.settings.extract_ahead
        shared = 0 if ahead_extract else plan.extract_workers
        if ahead_extract:
            warm_up()  # the extraction worker imports while the sources' pages are fetched
        elif shared and any(len(b) >= MIN_SHARED_PAGES for b in batches):
            warm_up(shared)  # the workers import while the first batch is fetched
        # The latest head trained from analyst labels (`reewatch train`), when there is one.
        profiles = with_trained_heads(self.con, load_profiles(plan.settings.topics_dir), plan.model)
        archive = load_archive(self.con, plan.model, since=datetime.now(UTC) - ARCHIVE_WINDOW)
        _archive_loads += 1

        def fetch(batch: list[Link]) -> FetchedBatch:
            fetched = st.fetch_pages(plan, batch, self.state)
            # extract_ahead: extracted here too, in the worker process (off the main thread's GIL)
            return fetched, extract_in_worker(_pages(fetched), plan.settings.keep_raw_html) if ahead_extract else None

        ahead = FETCH_AHEAD if plan.overlap else 0
        threads = model_threads_beside_workers() if ahead_extract else None
        with model_threads(threads), Prefetch(fetch, batches, ahead) as fetched_batches, OrderedWriter() as writer:
            if plan.overlap:  # while the first batch is fetched
                prepare(profiles, plan.model)
            for fetched, extracted in fetched_batches:
                if extracted is None:
                    extracted = st.extract(_pages(fetched), plan.settings.keep_raw_html, shared)
                triaged, noarts, attempts = self.process(fetched, extracted, archive, profiles)
                writer.submit(partial(store_triaged, self.con, plan, triaged, noarts, attempts, self.run_id))
                if not plan.overlap:
                    writer.drain()

    def process(
        self, fetched: list[tuple[Page | NoArticle | None, FetchAttempt]], extracted: list[Article | NoArticle],
        archive: Archive, profiles: list[TopicProfile],
    ) -> tuple[list[TriagedArticle], list[NoArticle], list[FetchAttempt]]:
        plan, per_source = self.plan, self.per_source
        attempts = [a for _, a in fetched]
        pages = _pages(fetched)
        noarts = [p for p, _ in fetched if isinstance(p, NoArticle)]
        # A Google News redirect is stored under the publisher's URL; remember the
        # redirect too, or it would be fetched again every run.
        noarts += [NoArticle(p.url, p.source, f"redirect to {p.stored_url}") for p in pages if p.stored_url != p.url]
        for _, a in fetched:
            per_source[a.source]["fetched" if a.ok else "errors"] += 1
            self.totals["fetch_errors"] += 0 if a.ok else 1
        arts, more_noarts = new_articles(extracted, archive)
        noarts += more_noarts
        triaged = self.st.triage(arts, archive, profiles, plan.model)
        self.totals["no_article"] += len(noarts)
        for t in triaged:
            self.story_ids.setdefault(t.article.source, set()).add(t.story_id)
            c = per_source[t.article.source]
            c["stored"] += 1
            c["copies"] += t.duplicate_of is not None
            s = t.score_for(plan.default_topic)
            c["relevant"] += bool(s and s.label == "relevant")
        return triaged, noarts, attempts
