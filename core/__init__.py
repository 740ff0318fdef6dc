"""The bottom layer: the typed records every stage passes on, one error tree, and the
helpers more than one stage needs (text, URLs, the raw-HTML codec, process memory).

May import: nothing from the project (tests/test_architecture.py, pyproject.toml
[tool.importlinter]).  Everything else may import it.  The names below are imported on
first use (core/lazy.py), so ``import core`` loads nothing beyond this file.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from core.errors import (
        ConfigError,
        DatabaseLockedError,
        DeliveryError,
        ErrorClass,
        FetchRefusedError,
        ModelError,
        ReadOnlyQueryError,
        ReewatchError,
        SchemaTooNewError,
        StoreError,
        http_error_class,
    )
    from core.memory import limit_malloc_arenas
    from core.rawhtml import MAX_HTML_BYTES, ZSTD_MAGIC, compress_html, decompress_html
    from core.records import (
        LABELS,
        Article,
        DedupFeatures,
        ExtractCounts,
        FetchAttempt,
        Link,
        NoArticle,
        Page,
        RelevanceLabel,
        RunStats,
        RunSummary,
        Source,
        SourceKind,
        SourceOutcome,
        SourceReport,
        StoryDigestItem,
        StoryOutlet,
        TopicScore,
        TriagedArticle,
    )
    from core.text import content_hash, sentences_of, tokens
    from core.urls import canonicalize_url

__all__ = [
    "LABELS",
    "MAX_HTML_BYTES",
    "ZSTD_MAGIC",
    "Article",
    "ConfigError",
    "DatabaseLockedError",
    "DedupFeatures",
    "DeliveryError",
    "ErrorClass",
    "ExtractCounts",
    "FetchAttempt",
    "FetchRefusedError",
    "Link",
    "ModelError",
    "NoArticle",
    "Page",
    "ReadOnlyQueryError",
    "ReewatchError",
    "RelevanceLabel",
    "RunStats",
    "RunSummary",
    "SchemaTooNewError",
    "Source",
    "SourceKind",
    "SourceOutcome",
    "SourceReport",
    "StoreError",
    "StoryDigestItem",
    "StoryOutlet",
    "TopicScore",
    "TriagedArticle",
    "canonicalize_url",
    "compress_html",
    "content_hash",
    "decompress_html",
    "http_error_class",
    "limit_malloc_arenas",
    "sentences_of",
    "tokens",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
