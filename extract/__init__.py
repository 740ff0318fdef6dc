"""HTML → Article: trafilatura plus our cleaning, page metadata, dates and language
(``extract_article``, pure: no I/O, no settings), the import-line parser, and the pool of
extraction worker processes that lets one run use every core.

May import: ``core``.  Never fetches (``fetch``), stores or runs flows.  The names below are
imported on first use (core/lazy.py): ``import extract`` does not load trafilatura (~1 s).
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from extract.article import article_from_text, extract_article
    from extract.dates import to_utc
    from extract.jsonl import BadLine, Exported, parse_line, parse_record
    from extract.metadata import PageMeta, page_meta
    from extract.pool import (
        MIN_SHARED_PAGES,
        Extracted,
        auto_workers,
        extract_in_worker,
        extract_pages,
        extract_shared,
        model_threads_beside_workers,
        warm_up,
        worker_pids,
    )

__all__ = [
    "MIN_SHARED_PAGES",
    "BadLine",
    "Exported",
    "Extracted",
    "PageMeta",
    "article_from_text",
    "auto_workers",
    "extract_article",
    "extract_in_worker",
    "extract_pages",
    "extract_shared",
    "model_threads_beside_workers",
    "page_meta",
    "parse_line",
    "parse_record",
    "to_utc",
    "warm_up",
    "worker_pids",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
