"""Keep ``story_rollup`` (store/migrations/008_story_rollup.sql) equal to the ``stories`` view.

Every write that changes documents, default-topic relevance or story ids calls one of these
inside its own transaction, so the rollup commits (or rolls back) with the write.  Pure SQL:
the rows come from the ``stories`` view itself (the one definition of the aggregate), for the
touched stories only; a filter on ``story_id`` reaches the documents scan through the view.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

# The rollup's rows are re-inserted in this order, so the newest stories stay at the end of
# the table and zone maps on last_updated_at skip old row groups (recent_relevant_stories).
_ORDER = "ORDER BY last_updated_at, story_id"
# The views' fallback when meta has no default_topic (006_views.sql, 008_story_rollup.sql).
FALLBACK_TOPIC = "rare-earth-trade"


def refresh_story_rollup(con: duckdb.DuckDBPyConnection, story_ids: Iterable[str]) -> int:
    """Recompute the rollup rows of these stories (gone stories lose their row); returns how many
    stories were asked for.  Call inside the transaction that made the change."""
    ids = sorted({s for s in story_ids if s is not None})
    if not ids:
        return 0
    con.execute("DELETE FROM story_rollup WHERE list_contains($1, story_id)", [ids])
    con.execute(f"INSERT INTO story_rollup SELECT * FROM stories WHERE list_contains($1, story_id) {_ORDER}", [ids])
    return len(ids)


def refresh_for_articles(con: duckdb.DuckDBPyConnection, canonical_urls: Iterable[str]) -> int:
    """Refresh the stories these stored articles belong to; returns how many stories."""
    urls = sorted(set(canonical_urls))
    if not urls:
        return 0
    rows = con.execute(
        "SELECT DISTINCT story_id FROM documents WHERE list_contains($1, canonical_url)", [urls]
    ).fetchall()
    return refresh_story_rollup(con, [str(r[0]) for r in rows])


def rebuild_story_rollup(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every row (after a change that touches all stories: default topic, rescore,
    re-extraction)."""
    con.execute("DELETE FROM story_rollup")
    con.execute(f"INSERT INTO story_rollup SELECT * FROM stories {_ORDER}")


def default_topic(con: duckdb.DuckDBPyConnection) -> str:
    """The topic the views and the rollup score stories by."""
    row = con.execute("SELECT value FROM meta WHERE key = 'default_topic'").fetchone()
    return str(row[0]) if row and row[0] is not None else FALLBACK_TOPIC
