"""What one ingest run needs (``IngestPlan``), what its fetchers share (``RunState``), and its
four batch stages (``Stages``): plain calls here, Prefect tasks in flows/ingest.py."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from core.records import Article, FetchAttempt, Link, NoArticle, Page, Source, SourceOutcome, TriagedArticle
from extract.pool import Extracted, auto_workers, extract_shared, submit_shares
from fetch.discover import fetch_pages, read_sources
from fetch.http import Fetcher
from fetch.options import FetchOptions
from fetch.robots import RobotsCache
from pipeline.settings import Settings
from store.db import WRITE_WAIT_S
from triage.archive import Archive
from triage.pipeline import triage_batch
from triage.relevance import TopicProfile

T = TypeVar("T")

# A batch's pages are fetched under one asyncio deadline (a prefetch thread cannot be
# interrupted from outside): a 64-page batch at per_host = 2 takes 10-120 s on the real web.
FETCH_PAGES_TIMEOUT_S = 1800.0


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
    """One run: the settings it reads, the sources it reads now, and how the batches overlap."""

    settings: Settings
    sources: tuple[Source, ...]
    lock_wait_s: float = WRITE_WAIT_S
    # False: fetch, work on and commit each batch strictly one after the other (the order
    # the overlap must reproduce; tests/test_overlap.py compares the two).
    overlap: bool = True

    @classmethod
    def from_settings(cls, s: Settings, feeds: list[str] | None = None) -> IngestPlan:
        """The configured sources, or only ``feeds`` (which may be on a private host): RSS/Atom
        feeds, or ``gnews:URL`` for a Google News-style search feed (its items are leads)."""
        if feeds:
            sources = tuple(
                Source(name=f"feed:{url}", kind="gnews", url=url.removeprefix("gnews:"), allow_private=True)
                if url.startswith("gnews:") else Source(name=f"feed:{url}", kind="rss", url=url, allow_private=True)
                for url in dict.fromkeys(feeds)
            )
        else:
            sources = tuple(s.enabled_sources())
        return cls(settings=s, sources=sources)

    @property
    def db(self) -> Path:
        return self.settings.db

    @property
    def fetch(self) -> FetchOptions:
        return self.settings.fetch

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def default_topic(self) -> str:
        return self.settings.default_topic

    @property
    def extract_workers(self) -> int:
        """Worker processes sharing each batch's extraction (None in the settings: one per further core)."""
        n = self.settings.extract_workers
        return auto_workers() if n is None else n


@dataclass
class RunState:
    """What one run's fetchers share: robots.txt rules (read once per host), the time of the
    last request per host (so the minimum delay holds across batches), GDELT cursors."""

    robots: RobotsCache = field(default_factory=RobotsCache)
    host_clock: dict[str, float] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)
    backlogs: dict[str, str | None] = field(default_factory=dict)  # GDELT windows left unread


Validators = dict[str, tuple[str | None, str | None]]
Fetched = list[tuple[Page | NoArticle | None, FetchAttempt]]


def read_sources_stage(plan: IngestPlan, sources: list[Source], validators: Validators, state: RunState) -> list[SourceOutcome]:
    async def go() -> list[SourceOutcome]:
        async with Fetcher(plan.fetch, robots=state.robots, host_clock=state.host_clock) as f:
            return await read_sources(f, sources, validators, plan.fetch.max_links_per_source, cursors=state.cursors,
                                      backlogs=state.backlogs)

    return run_sync(go())


def fetch_pages_stage(plan: IngestPlan, links: list[Link], state: RunState) -> Fetched:
    async def go() -> Fetched:
        async with Fetcher(plan.fetch, robots=state.robots, host_clock=state.host_clock) as f:
            return await asyncio.wait_for(fetch_pages(f, links), FETCH_PAGES_TIMEOUT_S)

    return run_sync(go())


def triage_stage(
    articles: list[Article], archive: Archive, profiles: list[TopicProfile], model: str, multilingual: bool = True,
) -> list[TriagedArticle]:
    return triage_batch(articles, archive, profiles, model, multilingual=multilingual)


@dataclass(frozen=True)
class Stages:
    """The four batch stages an ingest calls: plain functions here, Prefect tasks in a flow."""

    read_sources: Callable[[IngestPlan, list[Source], Validators, RunState], list[SourceOutcome]]
    fetch_pages: Callable[[IngestPlan, list[Link], RunState], Fetched]
    # (pages, keep_raw_html, workers) → the results in page order, and where they were extracted
    extract: Callable[[list[Page], bool, int], Extracted]
    # (articles, archive, profiles, model, multilingual) → triaged articles
    triage: Callable[[list[Article], Archive, list[TopicProfile], str, bool], list[TriagedArticle]]
    # (pages, keep_raw_html, workers) → whether the workers got their parts of a fetched batch
    # ahead (extract/pool.py ``submit_shares``); only where ``extract`` is the one that collects them
    hand_over: Callable[[list[Page], bool, int], bool] = submit_shares


DIRECT_STAGES = Stages(read_sources_stage, fetch_pages_stage, extract_shared, triage_stage)


def chunks(items: list[T], n: int) -> list[list[T]]:
    return [items[i : i + n] for i in range(0, len(items), max(1, n))]
