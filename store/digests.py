"""What is new for a digest channel, and the exactly-once record of what was sent."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from reewatch.records import StoryDigestItem, StoryOutlet

LABEL_ORDER = {"relevant": 2, "adjacent": 1, "irrelevant": 0}


def pending_stories(con: duckdb.DuckDBPyConnection, channel: str, min_label: str = "relevant") -> list[StoryDigestItem]:
    """Stories at or above ``min_label`` never sent successfully to ``channel``."""
    labels = [k for k, v in LABEL_ORDER.items() if v >= LABEL_ORDER.get(min_label, 2)]
    rows = con.execute(
        """
        SELECT s.story_id, s.headline, s.relevance_score, s.relevance_label, s.first_seen_at, s.reasons,
               (SELECT text FROM documents d WHERE d.url = s.representative_url LIMIT 1) AS lead
        FROM stories s
        WHERE list_contains(?, s.relevance_label)
          AND s.story_id NOT IN (SELECT story_id FROM digest_items WHERE channel = ?)
        """,
        [labels, channel],
    ).fetchall()
    items = []
    for story_id, headline, score, label, first_seen, reasons, lead in rows:
        outlets = con.execute(
            "SELECT coalesce(site_name, site), url, title FROM documents WHERE story_id = ? "
            "ORDER BY duplicate_of IS NOT NULL, first_seen_at, url",
            [story_id],
        ).fetchall()
        items.append(
            StoryDigestItem(
                story_id=story_id, headline=headline, lead=(lead or "")[:2000], score=float(score or 0.0),
                label=label, first_seen_at=first_seen,
                outlets=tuple(StoryOutlet(site=o[0], url=o[1], title=o[2]) for o in outlets),
                reasons=tuple(reasons or ()),
            )
        )
    return items


def record_digest(
    con: duckdb.DuckDBPyConnection, digest_id: str, channel: str, items: list[StoryDigestItem], target: str, outcome: str
) -> None:
    """Record a delivery; only a ``sent`` outcome marks its stories as sent."""
    now = datetime.now(UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO digests VALUES (?, ?, ?, ?, ?, ?)", [digest_id, channel, now, len(items), target, outcome])
        if outcome == "sent":
            con.executemany(
                "INSERT INTO digest_items VALUES (?, ?, ?, ?, ?)",
                [[digest_id, channel, it.story_id, len(it.outlets), now] for it in items],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
