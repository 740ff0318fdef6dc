"""What is new for a digest channel, and the exactly-once record of what was sent.

A story is *new* for a channel until a delivery to that channel succeeds with it in
(digest or breaking alert).  A story already sent is an *update* when it has gained
member articles (outlets, or a new article with new facts) since it was last sent.
Only a ``sent`` outcome writes ``digest_items``; every attempt is kept in ``digests``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from core.records import LABELS, RelevanceLabel, StoryDigestItem, StoryOutlet
from store.db import transaction
from store.rollup import default_topic

LABEL_ORDER = {"relevant": 2, "adjacent": 1, "irrelevant": 0}
# Longest lead text kept per story (the summary uses its first 2–3 sentences).
LEAD_CHARS = 2000


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """Which stories a channel wants: label floor, score floor, topics, and a time window."""

    min_label: str = "relevant"
    min_score: float = 0.0
    topics: tuple[str, ...] = ()
    since: datetime | None = None


def _labels(min_label: str) -> list[str]:
    floor = LABEL_ORDER.get(min_label, 2)
    return [k for k, v in LABEL_ORDER.items() if v >= floor]


def _topics(con: duckdb.DuckDBPyConnection, topics: tuple[str, ...]) -> list[str]:
    if topics:
        return list(topics)
    return [default_topic(con)]


_STORY_SQL = """
WITH best AS (
    SELECT d.story_id, max(r.score) AS score, arg_max(r.label, r.score) AS label,
           arg_max(r.reasons, r.score) AS reasons
    FROM documents d JOIN relevance r ON r.canonical_url = d.canonical_url
    WHERE list_contains($topics, r.topic)
    GROUP BY d.story_id
), story AS (
    SELECT story_id,
           min(first_seen_at) AS first_seen_at,
           max(first_seen_at) AS last_updated_at,
           arg_min(title, (duplicate_of IS NOT NULL, kind = 'lead', first_seen_at, url)) AS headline,
           arg_min(text, (duplicate_of IS NOT NULL, kind = 'lead', first_seen_at, url)) AS lead
    FROM documents GROUP BY story_id
)
SELECT s.story_id, s.headline, left(s.lead, $lead_chars), b.score, b.label, s.first_seen_at, b.reasons
FROM story s JOIN best b USING (story_id)
WHERE list_contains($labels, b.label) AND b.score >= $min_score
  AND ($since IS NULL OR s.last_updated_at >= $since)
"""


def _select(con: duckdb.DuckDBPyConnection, f: StoryFilter, extra_sql: str, extra: dict[str, Any]) -> list[StoryDigestItem]:
    params: dict[str, Any] = {
        "topics": _topics(con, f.topics), "labels": _labels(f.min_label), "min_score": float(f.min_score),
        "since": f.since, "lead_chars": LEAD_CHARS, **extra,
    }
    rows = con.execute(_STORY_SQL + extra_sql + " ORDER BY s.story_id", params).fetchall()
    outlets = _outlets(con, [r[0] for r in rows])
    languages = _languages(con, [r[0] for r in rows])
    items = []
    for story_id, headline, lead, score, label, first_seen, reasons in rows:
        lab: RelevanceLabel = label if label in LABELS else "irrelevant"
        items.append(
            StoryDigestItem(
                story_id=story_id, headline=headline, lead=lead or "", score=float(score or 0.0), label=lab,
                first_seen_at=first_seen, outlets=outlets.get(story_id, ()), reasons=tuple(reasons or ()),
                languages=languages.get(story_id, ()),
            )
        )
    return items


def _languages(con: duckdb.DuckDBPyConnection, story_ids: list[str]) -> dict[str, tuple[str, ...]]:
    """Each story's member languages (primary subtag), most members first."""
    if not story_ids:
        return {}
    rows = con.execute(
        "SELECT story_id, list(lang ORDER BY n DESC, lang) FROM ("
        "  SELECT story_id, lower(split_part(replace(lang, '_', '-'), '-', 1)) AS lang, count(*) AS n FROM documents"
        "  WHERE list_contains(?, story_id) AND coalesce(lang, '') <> '' GROUP BY ALL"
        ") GROUP BY story_id",
        [story_ids],
    ).fetchall()
    return {str(sid): tuple(str(x) for x in langs) for sid, langs in rows}


def _outlets(con: duckdb.DuckDBPyConnection, story_ids: list[str]) -> dict[str, tuple[StoryOutlet, ...]]:
    if not story_ids:
        return {}
    rows = con.execute(
        "SELECT story_id, coalesce(site_name, site), url, title, kind, paywalled FROM documents "
        "WHERE list_contains(?, story_id) ORDER BY story_id, duplicate_of IS NOT NULL, kind = 'lead', first_seen_at, url",
        [story_ids],
    ).fetchall()
    out: dict[str, list[StoryOutlet]] = defaultdict(list)
    for story_id, site, url, title, kind, paywalled in rows:
        out[story_id].append(StoryOutlet(site=site, url=url, title=title, kind=kind, paywalled=bool(paywalled)))
    return {k: tuple(v) for k, v in out.items()}


def pending_stories(
    con: duckdb.DuckDBPyConnection, channel: str, min_label: str = "relevant", *, story_filter: StoryFilter | None = None
) -> list[StoryDigestItem]:
    """Stories passing the filter that were never sent successfully to ``channel``."""
    f = story_filter or StoryFilter(min_label=min_label)
    return _select(
        con, f, " AND s.story_id NOT IN (SELECT story_id FROM digest_items WHERE channel = $channel)",
        {"channel": channel},
    )


def updated_stories(
    con: duckdb.DuckDBPyConnection, channel: str, story_filter: StoryFilter
) -> list[tuple[StoryDigestItem, frozenset[str]]]:
    """Stories already sent to ``channel`` that gained articles since; with the URLs already sent."""
    sent = _sent_urls(con, channel)
    if not sent:
        return []
    items = _select(
        con, story_filter, " AND list_contains($sent_ids, s.story_id)", {"sent_ids": sorted(sent)},
    )
    out = []
    for it in items:
        urls, count = sent[it.story_id]
        # Rows written before migration 005 kept only a count: take the first ``count`` outlets as sent.
        known = urls or frozenset(o.url for o in it.outlets[:count])
        if any(o.url not in known for o in it.outlets):
            out.append((it, known))
    return out


def _sent_urls(con: duckdb.DuckDBPyConnection, channel: str) -> dict[str, tuple[frozenset[str], int]]:
    rows = con.execute(
        "SELECT story_id, flatten(list(coalesce(member_urls, []))), max(member_count) FROM digest_items "
        "WHERE channel = ? GROUP BY story_id",
        [channel],
    ).fetchall()
    return {sid: (frozenset(urls or ()), int(n or 0)) for sid, urls, n in rows}


def record_digest(
    con: duckdb.DuckDBPyConnection,
    digest_id: str,
    channel: str,
    items: list[StoryDigestItem],
    target: str,
    outcome: str,
    *,
    kind: str = "digest",
    updates: list[StoryDigestItem] | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record a delivery attempt; only a ``sent`` outcome marks its stories (and updates) as sent."""
    now = now or datetime.now(UTC)
    updates = updates or []
    item_kind = "alert" if kind == "alert" else "new"
    with transaction(con):
        con.execute(
            "INSERT INTO digests (digest_id, channel, created_at, n_stories, target, outcome, kind, error, n_updates) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [digest_id, channel, now, len(items), target, outcome, kind, error, len(updates)],
        )
        if outcome == "sent":
            rows = [(it, item_kind) for it in items] + [(it, "update") for it in updates]
            if rows:
                con.executemany(
                    "INSERT INTO digest_items (digest_id, channel, story_id, member_count, sent_at, kind, member_urls) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [[digest_id, channel, it.story_id, len(it.outlets), now, k, [o.url for o in it.outlets]]
                     for it, k in rows],
                )


def last_success(con: duckdb.DuckDBPyConnection, channel: str) -> datetime | None:
    """When ``channel`` last had a digest run that succeeded (sent, or nothing new)."""
    row = con.execute(
        "SELECT max(created_at) FROM digests WHERE channel = ? AND kind = 'digest' AND outcome IN ('sent', 'nothing-new')",
        [channel],
    ).fetchone()
    return row[0] if row else None


def alert_times(con: duckdb.DuckDBPyConnection, channel: str, since: datetime) -> list[datetime]:
    """When alerts were sent successfully to ``channel`` since ``since`` (for rate limiting)."""
    rows = con.execute(
        "SELECT created_at FROM digests WHERE channel = ? AND kind = 'alert' AND outcome = 'sent' AND created_at >= ? "
        "ORDER BY created_at",
        [channel, since],
    ).fetchall()
    return [r[0] for r in rows]


def daily_relevant_volume(
    con: duckdb.DuckDBPyConnection, start: date, end: date, topics: tuple[str, ...] = ()
) -> dict[date, int]:
    """Articles labelled relevant for any of ``topics`` (default topic) per UTC day of publication, else first sight."""
    rows = con.execute(
        """
        SELECT CAST(timezone('UTC', coalesce(d.published_at, d.first_seen_at)) AS DATE) AS day,
               count(DISTINCT d.canonical_url)
        FROM documents d JOIN relevance r ON r.canonical_url = d.canonical_url
        WHERE r.label = 'relevant' AND list_contains(?, r.topic)
        GROUP BY day HAVING day BETWEEN ? AND ?
        """,
        [_topics(con, topics), start, end],
    ).fetchall()
    return {d: int(n) for d, n in rows}
