"""DuckDB: the only place that opens the database (``connect``, numbered migrations, the
write wait), records ↔ rows for every table, the archive dedup reads, digest bookkeeping,
export/import of rows, re-extraction of the kept raw HTML, and the record of who holds a
database's writer slot (``holder``).

May import: ``core`` and ``triage`` (the archive and feature records it fills).  Decides no
relevance and no stories.  ``articles``, ``backlog``, ``browse``, ``sources``, ``export``,
``reextract`` and ``schema_doc`` are public as namespaces (``store.articles.save_batch``).  The names below
are imported on first use (core/lazy.py): ``import store`` loads no duckdb.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from store import articles, backlog, browse, export, reextract, schema_doc, sources
    from store.archive import load_archive
    from store.db import WRITE_WAIT_S, connect, migrations, schema_version, transaction, upgrade
    from store.digests import (
        StoryFilter,
        alert_times,
        daily_relevant_volume,
        last_success,
        pending_stories,
        record_digest,
        updated_stories,
    )
    from store.holder import (
        forget_holder,
        holder_path,
        is_dead_holder,
        record_holder,
        take_dead_holder,
        this_holder,
    )
    from store.importing import save_exported, stored_canonicals
    from store.labels import (
        StoredDoc,
        add_label,
        iter_docs,
        labelled_docs,
        latest_head,
        save_head,
        save_scores,
        with_trained_heads,
    )
    from store.rollup import rebuild_story_rollup, refresh_for_articles, refresh_story_rollup

__all__ = [
    "WRITE_WAIT_S",
    "StoredDoc",
    "StoryFilter",
    "add_label",
    "alert_times",
    "articles",
    "backlog",
    "browse",
    "connect",
    "daily_relevant_volume",
    "export",
    "forget_holder",
    "holder_path",
    "is_dead_holder",
    "iter_docs",
    "labelled_docs",
    "last_success",
    "latest_head",
    "load_archive",
    "migrations",
    "pending_stories",
    "rebuild_story_rollup",
    "record_digest",
    "record_holder",
    "reextract",
    "refresh_for_articles",
    "refresh_story_rollup",
    "save_exported",
    "save_head",
    "save_scores",
    "schema_doc",
    "schema_version",
    "sources",
    "stored_canonicals",
    "take_dead_holder",
    "this_holder",
    "transaction",
    "updated_stories",
    "upgrade",
    "with_trained_heads",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
