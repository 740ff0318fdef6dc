"""Reads for the reading room (reewatch/ui): stories with filters and pages, one story's
members, source health, labels.  Every query is a fixed SQL text with bound parameters; a
filter adds one of the fixed clauses below, never text from the caller.

The default topic's stories come from ``story_rollup`` (one row per story, kept by every
write: store/rollup.py), so a page of the newest stories reads no article rows; another
topic's story scores are aggregated from ``relevance`` for that topic.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb
import numpy as np

from store.labels import StoredDoc
from store.rollup import default_topic

Order = Literal["newest", "relevant"]
State = Literal["new", "updated"]
# Columns of ``documents`` that mark a member (docs/ui.md), read when the file has them (older
# files lack them): ``kind`` ('article' or 'lead', 011), ``paywalled`` (a teaser, 011) and
# ``copy_kind`` (how a copy was recognised: url, content, near, paraphrase, rewrite, translation; 013).
OPTIONAL_MEMBER_COLUMNS = ("kind", "paywalled", "copy_kind")

_ORDERS: dict[str, str] = {
    "newest": "s.last_updated_at DESC, s.story_id",
    "relevant": "score DESC NULLS LAST, s.last_updated_at DESC, s.story_id",
}


@dataclass(frozen=True)
class StoryQuery:
    """What the stories page asks for; ``since`` bounds the last update, and ``state`` says
    whether the story began after ``since`` (new) or before it and grew since (updated)."""

    topic: str | None = None  # None: the default topic
    label: str | None = None
    since: datetime | None = None
    lang: str | None = None
    source: str | None = None
    state: State | None = None
    order: Order = "newest"
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class StoryRow:
    story_id: str
    headline: str
    representative_url: str
    score: float | None
    label: str | None
    reasons: tuple[str, ...]
    outlets: tuple[str, ...]
    languages: tuple[str, ...]
    first_seen_at: datetime
    last_updated_at: datetime
    member_count: int
    outlet_count: int


@dataclass(frozen=True)
class StoryPage:
    topic: str
    rows: tuple[StoryRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Member:
    """One article of a story as the story page shows it."""

    canonical_url: str
    url: str
    title: str
    text: str
    outlet: str
    lang: str | None
    source: str
    published_at: datetime | None
    first_seen_at: datetime
    duplicate_of: str | None
    score: float | None
    label: str | None
    reasons: tuple[str, ...]
    analyst_label: str | None
    marks: tuple[str, ...]  # lead, copy or translation, paywalled
    copy_kind: str | None = None  # how a copy was recognised, when the file records it


@dataclass(frozen=True)
class SourceRow:
    source: str
    kind: str | None
    url: str | None
    status: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_error_class: str | None
    last_error: str | None
    next_attempt_at: datetime | None
    last_warning: str | None
    fetches_24h: int
    errors_24h: int
    median_ms_24h: float | None
    articles: int
    articles_7d: int
    relevant: int
    last_article_at: datetime | None
    # When the file records them (010): a throttled source's pause, and what waits for later runs.
    backoff_until: datetime | None = None
    backlog_windows: int | None = None  # GDELT time windows left unread
    backlog_links: int | None = None  # links listed but not handled yet


def _filters(q: StoryQuery, label_col: str) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if q.label:
        clauses.append(f"{label_col} = ?")
        params.append(q.label)
    if q.since is not None:
        clauses.append("s.last_updated_at >= ?")
        params.append(q.since)
        if q.state == "new":
            clauses.append("s.first_seen_at >= ?")
            params.append(q.since)
        elif q.state == "updated":
            clauses.append("s.first_seen_at < ?")
            params.append(q.since)
    if q.lang:
        clauses.append("s.story_id IN (SELECT story_id FROM documents WHERE lang = ?)")
        params.append(q.lang)
    if q.source:
        clauses.append("s.story_id IN (SELECT story_id FROM documents WHERE source = ?)")
        params.append(q.source)
    return clauses, params


def list_stories(con: duckdb.DuckDBPyConnection, q: StoryQuery) -> StoryPage:
    """One page of stories matching ``q``, with the total count and each story's languages."""
    topic = q.topic or default_topic(con)
    page, per_page = max(1, q.page), max(1, q.per_page)
    columns = ("s.story_id, s.headline, s.representative_url, {score}, {label}, {reasons}, s.outlets, "
               "s.first_seen_at, s.last_updated_at, s.member_count, s.outlet_count")
    if topic == default_topic(con):
        frm, pre = "story_rollup s", []
        select = columns.format(score="s.relevance_score AS score", label="s.relevance_label", reasons="s.reasons")
        clauses, params = _filters(q, "s.relevance_label")
    else:
        # Story scores for another topic: the best member's, as the rollup has for the default one.
        frm = ("story_rollup s JOIN (SELECT d.story_id, max(r.score) AS score, arg_max(r.label, r.score) AS label, "
               "arg_max(r.reasons, r.score) AS reasons FROM relevance r JOIN documents d USING (canonical_url) "
               "WHERE r.topic = ? GROUP BY d.story_id) t USING (story_id)")
        pre = [topic]
        select = columns.format(score="t.score AS score", label="t.label", reasons="t.reasons")
        clauses, params = _filters(q, "t.label")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    page_sql = f"SELECT {select}{{total}} FROM {frm}{where} ORDER BY {_ORDERS[q.order]} LIMIT ? OFFSET ?"
    page_params = [*pre, *params, per_page, (page - 1) * per_page]
    total: int | None = None
    if q.lang or q.source:
        # a filter on the members scans every article: once, with the count in the same query
        # (at 1M stored, 318 ms against 290 + 252 ms for a separate count; bench/ui.py)
        found = con.execute(page_sql.format(total=", count(*) OVER ()"), page_params).fetchall()
        rows = [r[:-1] for r in found]
        total = int(found[0][-1]) if found else None
    else:
        rows = con.execute(page_sql.format(total=""), page_params).fetchall()
    if total is None:
        row = con.execute(f"SELECT count(*) FROM {frm}{where}", [*pre, *params]).fetchone()
        total = int(row[0]) if row else 0
    langs = story_languages(con, [str(r[0]) for r in rows])
    out = tuple(
        StoryRow(str(r[0]), str(r[1] or ""), str(r[2] or ""), None if r[3] is None else float(r[3]),
                 None if r[4] is None else str(r[4]), tuple(r[5] or ()), tuple(r[6] or ()), langs.get(str(r[0]), ()),
                 r[7], r[8], int(r[9]), int(r[10]))
        for r in rows
    )
    return StoryPage(topic, out, total, page, per_page)


def story_languages(con: duckdb.DuckDBPyConnection, story_ids: list[str]) -> dict[str, tuple[str, ...]]:
    """Languages of each story's members, sorted."""
    if not story_ids:
        return {}
    rows = con.execute(
        "SELECT story_id, list(DISTINCT lang ORDER BY lang) FILTER (WHERE lang IS NOT NULL) FROM documents "
        "WHERE story_id IN (SELECT unnest(?)) GROUP BY story_id",
        [story_ids],
    ).fetchall()
    return {str(r[0]): tuple(r[1] or ()) for r in rows}


def story_analyst_labels(con: duckdb.DuckDBPyConnection, story_ids: list[str], topic: str) -> dict[str, tuple[str, ...]]:
    """The analyst labels given to each story's members for ``topic`` (distinct, sorted)."""
    if not story_ids:
        return {}
    rows = con.execute(
        "SELECT d.story_id, list(DISTINCT l.label ORDER BY l.label) FROM labels l JOIN documents d USING (canonical_url) "
        "WHERE l.topic = ? AND d.story_id IN (SELECT unnest(?)) GROUP BY d.story_id",
        [topic, story_ids],
    ).fetchall()
    return {str(r[0]): tuple(r[1] or ()) for r in rows}


def facets(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values the filters offer: languages and sources (most articles first), scored topics."""
    langs = con.execute(
        "SELECT lang FROM documents WHERE lang IS NOT NULL GROUP BY lang ORDER BY count(*) DESC, lang"
    ).fetchall()
    sources = con.execute("SELECT source FROM documents GROUP BY source ORDER BY count(*) DESC, source").fetchall()
    topics = con.execute("SELECT DISTINCT topic FROM relevance ORDER BY topic").fetchall()
    return {"languages": [str(r[0]) for r in langs], "sources": [str(r[0]) for r in sources],
            "topics": [str(r[0]) for r in topics]}


def story_header(con: duckdb.DuckDBPyConnection, story_id: str) -> StoryRow | None:
    """The story as the default topic's rollup has it, or None when no such story is stored."""
    r = con.execute(
        "SELECT story_id, headline, representative_url, relevance_score, relevance_label, reasons, outlets, "
        "first_seen_at, last_updated_at, member_count, outlet_count FROM story_rollup WHERE story_id = ?",
        [story_id],
    ).fetchone()
    if r is None:
        return None
    langs = story_languages(con, [story_id])
    return StoryRow(str(r[0]), str(r[1] or ""), str(r[2] or ""), None if r[3] is None else float(r[3]),
                    None if r[4] is None else str(r[4]), tuple(r[5] or ()), tuple(r[6] or ()),
                    langs.get(story_id, ()), r[7], r[8], int(r[9]), int(r[10]))


def present_columns(con: duckdb.DuckDBPyConnection, table: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """Which of ``names`` the file's ``table`` has (in the order asked)."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND list_contains(?, column_name)",
        [table, list(names)],
    ).fetchall()
    have = {str(r[0]) for r in rows}
    return tuple(c for c in names if c in have)


def optional_member_columns(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Which of OPTIONAL_MEMBER_COLUMNS this file's ``documents`` has."""
    return present_columns(con, "documents", OPTIONAL_MEMBER_COLUMNS)


def member_marks(duplicate_of: str | None, kind: object = None, paywalled: object = None,
                 copy_kind: object = None) -> tuple[str, ...]:
    """Pure: the marks of one member: lead (``kind``), then translation (a copy whose ``copy_kind``
    says so) or copy (``duplicate_of`` set), then paywalled."""
    marks = []
    if kind == "lead":
        marks.append("lead")
    if duplicate_of:
        marks.append("translation" if copy_kind == "translation" else "copy")
    if paywalled is True:
        marks.append("paywalled")
    return tuple(marks)


def story_members(con: duckdb.DuckDBPyConnection, story_id: str, topic: str) -> list[Member]:
    """Every stored article of the story, first seen first, with its ``topic`` score and analyst label."""
    extra = optional_member_columns(con)
    extra_sql = "".join(f", d.{c}" for c in extra)  # names from OPTIONAL_MEMBER_COLUMNS only
    rows = con.execute(
        f"""
        SELECT d.canonical_url, d.url, d.title, d.text, coalesce(d.site_name, d.site), d.lang, d.source,
               d.published_at, d.first_seen_at, d.duplicate_of, r.score, r.label, r.reasons, l.label{extra_sql}
        FROM documents d
        LEFT JOIN relevance r ON r.canonical_url = d.canonical_url AND r.topic = ?
        LEFT JOIN labels l ON l.canonical_url = d.canonical_url AND l.topic = ?
        WHERE d.story_id = ?
        ORDER BY d.first_seen_at, d.url
        """,
        [topic, topic, story_id],
    ).fetchall()
    out = []
    for r in rows:
        opt = dict(zip(extra, r[14:], strict=True))
        out.append(Member(
            str(r[0]), str(r[1]), str(r[2] or ""), str(r[3] or ""), str(r[4] or ""), r[5], str(r[6]), r[7], r[8], r[9],
            None if r[10] is None else float(r[10]), r[11], tuple(r[12] or ()), r[13],
            member_marks(r[9], opt.get("kind"), opt.get("paywalled"), opt.get("copy_kind")),
            None if opt.get("copy_kind") is None else str(opt["copy_kind"]),
        ))
    return out


def story_originals(con: duckdb.DuckDBPyConnection, story_id: str) -> list[str]:
    """Canonical URLs a label on the whole story applies to: its originals (every member when all are copies)."""
    rows = con.execute(
        "SELECT canonical_url, duplicate_of IS NULL FROM documents WHERE story_id = ? ORDER BY first_seen_at, url",
        [story_id],
    ).fetchall()
    originals = [str(r[0]) for r in rows if r[1]]
    return originals or [str(r[0]) for r in rows]


def source_rows(con: duckdb.DuckDBPyConnection) -> list[SourceRow]:
    """The ``source_health`` view with each source's back-off (next attempt, a throttle's pause), last
    warning and backlogs (those the file records)."""
    have = present_columns(con, "sources", ("backoff_until", "backlog"))
    links = bool(present_columns(con, "link_backlog", ("source",)))
    # fixed fragments, chosen by which columns exist
    backoff = "s.backoff_until" if "backoff_until" in have else "NULL"
    windows = "s.backlog" if "backlog" in have else "NULL"
    waiting = "(SELECT count(*) FROM link_backlog b WHERE b.source = h.source)" if links else "NULL"
    rows = con.execute(
        f"""
        SELECT h.source, h.kind, h.url, h.status, h.last_attempt_at, h.last_success_at, h.consecutive_failures,
               h.last_error_class, h.last_error, s.next_attempt_at, s.last_warning, h.fetches_24h, h.errors_24h,
               h.median_ms_24h, h.articles, h.articles_7d, h.relevant, h.last_article_at,
               {backoff}, {windows}, {waiting}
        FROM source_health h LEFT JOIN sources s ON s.name = h.source
        ORDER BY h.source
        """
    ).fetchall()
    return [
        SourceRow(str(r[0]), r[1], r[2], str(r[3] or ""), r[4], r[5], int(r[6] or 0), r[7], r[8], r[9], r[10],
                  int(r[11] or 0), int(r[12] or 0), None if r[13] is None else float(r[13]), int(r[14] or 0),
                  int(r[15] or 0), int(r[16] or 0), r[17], r[18], _window_count(r[19]),
                  None if r[20] is None else int(r[20]))
        for r in rows
    ]


def _window_count(backlog: object) -> int | None:
    """How many time windows a source's ``backlog`` (JSON pairs) holds; None when unrecorded."""
    if backlog is None:
        return None
    try:
        windows = json.loads(str(backlog))
    except ValueError:
        return None
    return len(windows) if isinstance(windows, list) else None


def label_counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Analyst labels per topic and label."""
    out: dict[str, dict[str, int]] = {}
    for topic, label, n in con.execute("SELECT topic, label, count(*) FROM labels GROUP BY ALL").fetchall():
        out.setdefault(str(topic), {})[str(label)] = int(n)
    return out


def label_fingerprint(con: duckdb.DuckDBPyConnection, topic: str) -> str:
    """A short hash of the topic's analyst labels: a retrain confirmed after they changed is refused."""
    h = hashlib.sha1()
    for url, label in con.execute(
        "SELECT canonical_url, label FROM labels WHERE topic = ? ORDER BY canonical_url", [topic]
    ).fetchall():
        h.update(f"{url}\t{label}\n".encode())
    return h.hexdigest()[:16]


def stored_labels(con: duckdb.DuckDBPyConnection, topic: str) -> dict[str, str]:
    """canonical URL → the stored relevance label for ``topic``."""
    rows = con.execute("SELECT canonical_url, label FROM relevance WHERE topic = ?", [topic]).fetchall()
    return {str(u): str(lab) for u, lab in rows}


def docs_after(
    con: duckdb.DuckDBPyConnection, model: str, topic: str, after: str, limit: int
) -> list[tuple[StoredDoc, str | None]]:
    """The next ``limit`` stored articles by canonical URL after ``after`` (keyset paging, so each
    batch can use its own short-lived connection), with their ``model`` embedding and ``topic`` label."""
    rows = con.execute(
        """
        SELECT d.canonical_url, d.title, d.text, e.vector, r.label, d.lang FROM documents d
        LEFT JOIN embeddings e ON e.canonical_url = d.canonical_url AND e.model = ?
        LEFT JOIN relevance r ON r.canonical_url = d.canonical_url AND r.topic = ?
        WHERE d.canonical_url > ? ORDER BY d.canonical_url LIMIT ?
        """,
        [model, topic, after, limit],
    ).fetchall()
    return [
        (StoredDoc(str(r[0]), str(r[1]), str(r[2]), None if r[3] is None else np.asarray(r[3], dtype=np.float32),
                   None if r[5] is None else str(r[5])),
         None if r[4] is None else str(r[4]))
        for r in rows
    ]
