"""Typed, immutable records that flow one way through the pipeline.

    Source ─► Link ─► Page ─► Article ─► TriagedArticle ─► (store) ─► StoryDigest

Stages never reach back upstream; only ``store/`` turns records into rows and rows
into records.  Every record is a frozen dataclass so a stage cannot mutate what an
earlier stage produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SourceKind = Literal["rss", "sitemap", "gdelt", "gnews", "page", "file"]
RelevanceLabel = Literal["relevant", "adjacent", "irrelevant"]
LABELS: tuple[RelevanceLabel, ...] = ("relevant", "adjacent", "irrelevant")


@dataclass(frozen=True, slots=True)
class Source:
    """A configured place to discover article links."""

    name: str
    kind: SourceKind
    url: str
    # True when the source was configured on a private/loopback host on purpose
    # (``--feed http://127.0.0.1…``): its same-host links may then be fetched.
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """A discovered article URL, before it is fetched."""

    url: str
    source: str
    title: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FetchAttempt:
    """One HTTP (or file) request, successful or not, for the ``fetches`` log."""

    source: str
    url: str
    status: int | None
    ok: bool
    error_class: str | None
    error: str | None
    nbytes: int
    ms: float
    attempts: int
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """What reading one source gave (for source health and the run summary)."""

    source: Source
    links: tuple[Link, ...]
    attempt: FetchAttempt
    skipped: int = 0
    not_modified: bool = False
    problem: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    warning: str | None = None
    # Requests after the first (child sitemaps, GDELT windows), for the fetches log.
    extra_attempts: tuple[FetchAttempt, ...] = ()
    # GDELT: the time up to which the query was read (next run starts there).
    cursor: str | None = None

    @property
    def ok(self) -> bool:
        return self.attempt.ok and self.problem is None

    @property
    def attempts(self) -> tuple[FetchAttempt, ...]:
        return (self.attempt, *self.extra_attempts)


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched HTML page, complete (never half-fetched)."""

    url: str
    final_url: str
    source: str
    html: str
    fetched_at: datetime
    content_type: str = "text/html"
    title_hint: str | None = None
    published_hint: datetime | None = None
    # Set by the fetcher when the article belongs under another URL than the one requested
    # (a Google News redirect leads to the publisher's page).
    article_url: str | None = None

    @property
    def stored_url(self) -> str:
        """The URL the article is stored under."""
        return self.article_url or self.url


@dataclass(frozen=True, slots=True)
class Article:
    """Extracted article text and metadata."""

    url: str
    canonical_url: str
    title: str
    text: str
    site: str
    lang: str | None
    published_at: datetime | None
    first_seen_at: datetime
    source: str
    content_hash: str
    author: str | None = None
    updated_at: datetime | None = None
    # The fetched page, zstd-compressed at extraction (core/rawhtml.py), for `reewatch reextract`:
    # a batch waiting for its commit holds ~1/5 of the page's UTF-8 size instead of the str (2.2 bytes a
    # character on the bench's real pages; docs/benchmarks.md, peak RSS).
    raw_html_z: bytes | None = None
    # The publication's own name (og:site_name), for people; ``site`` (the host) is the key.
    site_name: str | None = None


@dataclass(frozen=True, slots=True)
class NoArticle:
    """A page that yielded no article, with the reason (for the fetch log)."""

    url: str
    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class TopicScore:
    """Relevance of one article to one topic, with the evidence behind it."""

    topic: str
    score: float
    label: RelevanceLabel
    reasons: tuple[str, ...] = ()
    model_version: str = "rules-1"


@dataclass(frozen=True, slots=True)
class DedupFeatures:
    """What dedup computed from an article's title and text, in storable form (triage/features.py):
    MinHash signature (128 little-endian uint16) and shingle count, content-term hashes (uint32)
    and counts (uint16), event keys, statement sentences; ``version`` names the code that made them."""

    version: int
    minhash: bytes
    shingles: int
    term_hashes: bytes
    term_counts: bytes
    event_keys: tuple[str, ...]
    sentences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TriagedArticle:
    """An article after dedup, story clustering and relevance scoring."""

    article: Article
    embedding: tuple[float, ...]
    duplicate_of: str | None
    story_id: str
    scores: tuple[TopicScore, ...] = field(default_factory=tuple)
    # Stored beside the article so the next runs load them instead of recomputing (None: computed at load).
    features: DedupFeatures | None = None

    def score_for(self, topic: str) -> TopicScore | None:
        return next((s for s in self.scores if s.topic == topic), None)


@dataclass(frozen=True, slots=True)
class StoryOutlet:
    """One outlet's article inside a story."""

    site: str
    url: str
    title: str


@dataclass(frozen=True, slots=True)
class StoryDigestItem:
    """A story as shown in a digest."""

    story_id: str
    headline: str
    lead: str
    score: float
    label: RelevanceLabel
    first_seen_at: datetime
    outlets: tuple[StoryOutlet, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceReport:
    """Per-source line of a run summary."""

    source: str
    ok: bool
    links: int = 0
    new_links: int = 0
    fetched: int = 0
    stored: int = 0
    copies: int = 0
    relevant: int = 0
    errors: int = 0
    not_modified: bool = False
    error_class: str | None = None
    error: str | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one ingest run did."""

    run_id: str
    db: str
    sources: tuple[SourceReport, ...]
    stored: int
    copies: int
    stories: int
    relevant: int
    no_article: int
    fetch_errors: int
    seconds: float
