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
    # gnews: resolve each item to the publisher's page (beyond Google's robots.txt, opt-in);
    # False: items are stored as leads (docs/fetching.md).
    resolve: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """A discovered article URL, before it is fetched."""

    url: str
    source: str
    title: str | None = None
    published_at: datetime | None = None
    # What a news aggregator's item says about the article (RSS ``<source url=…>`` and the item
    # description, HTML stripped), and whether ``url`` is the aggregator's redirect rather than
    # the article (a Google News item link): such a link is stored as a lead, not fetched.
    outlet: str | None = None
    outlet_url: str | None = None
    snippet: str | None = None
    redirect: bool = False
    lang: str | None = None  # the feed's declared language (RSS <language>)


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
    # GDELT: the time up to which the query was read or queued (next run starts there), the
    # windows left unread (JSON, fetch.gdelt.encode_backlog; None: not a windowed source), and
    # the time before which the source is not read again after a throttle answer.
    cursor: str | None = None
    backlog: str | None = None
    backoff_until: datetime | None = None
    # Links past the per-source cap, newest first: kept for later runs (store/backlog.py).
    overflow: tuple[Link, ...] = ()

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
    # "article": the page's text; "lead": a headline without its page's text: an aggregator's item
    # (headline, outlet, snippet, its link) whose page was not fetched, or an imported record that is
    # only a headline.  ``paywalled``: the page gave a teaser, not the article.
    kind: str = "article"
    paywalled: bool = False


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
    # The multilingual encoder's vector (triage/crosslingual.py; None when not computed: a
    # one-language run) and what kind of copy ``duplicate_of`` is (None for an original).
    mvector: tuple[float, ...] | None = None
    copy_kind: str | None = None

    def score_for(self, topic: str) -> TopicScore | None:
        return next((s for s in self.scores if s.topic == topic), None)


@dataclass(frozen=True, slots=True)
class StoryOutlet:
    """One outlet's article inside a story."""

    site: str
    url: str
    title: str
    kind: str = "article"  # "lead": a headline without its page's text (Article.kind)
    paywalled: bool = False


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
    # The members' languages, most members first (ties by code): the first is the story's own,
    # the rest are shown as "also in" (empty when no member's language is known).
    languages: tuple[str, ...] = ()


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
    # Unseen links left for later runs (the link cap, a retry not yet due), and links dropped
    # from that backlog for age (store/backlog.py).
    backlog: int = 0
    aged_out: int = 0
    # Links stored as leads without a fetch (Google News items, docs/fetching.md).
    leads: int = 0


@dataclass(frozen=True, slots=True)
class ExtractCounts:
    """Where extraction ran (extract/pool.py): parts of batches a worker process extracted, parts
    extracted here because their worker had died or could not start, and parts this process took
    back because, once it was done with its own share, no worker had started them or the worker
    had not delivered them in time (the results are the same wherever a part ran)."""

    worker_shares: int = 0
    fallback_shares: int = 0
    taken_back: int = 0

    def __add__(self, other: ExtractCounts) -> ExtractCounts:
        return ExtractCounts(self.worker_shares + other.worker_shares, self.fallback_shares + other.fallback_shares,
                             self.taken_back + other.taken_back)


@dataclass(frozen=True, slots=True)
class RunStats:
    """What an ingest run did besides storing, for tests and benchmarks: whether it loaded the dedup
    archive and an embedding model (one already in the process's cache does not count; a run with
    nothing new loads neither), where its extraction ran, and how long it held the database file
    open (other processes cannot open it meanwhile), in how many windows."""

    archive_loaded: bool = False
    model_loaded: bool = False
    extract: ExtractCounts = ExtractCounts()
    db_held_s: float = 0.0
    db_windows: int = 0


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
    stats: RunStats = RunStats()
