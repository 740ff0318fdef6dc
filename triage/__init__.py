"""Pure decisions over records and vectors: the embedding model (loaded once per process),
copies and same-story clustering against an in-memory archive, topic profiles, relevance
scores with their reasons, and the learned heads.

May import: ``core``.  Never touches DuckDB, the network or Prefect (``store`` loads the
archive and saves the results).  The names below are imported on first use
(core/lazy.py): ``import triage`` loads neither torch nor sentence-transformers.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from triage.align import SentenceEmbedder
    from triage.archive import Archive, ArchiveEntry
    from triage.dedup import DedupDecision, dedup_batch, entry_for
    from triage.embed import DEFAULT_MODEL, dedup_text, embed_texts, load_model, loaded_models, model_threads
    from triage.evidence import lexical_evidence
    from triage.features import FEATURES_VERSION, Features, article_features, pack, unpack
    from triage.head import Head
    from triage.pipeline import dedup_vectors, prepare, triage_batch
    from triage.profiles import TopicProfile, load_profiles
    from triage.relevance import (
        ADJACENT_AT,
        RELEVANT_AT,
        exemplar_state,
        features_for,
        head_for,
        label_for,
        score_batch,
        score_texts,
        train_head,
    )

__all__ = [
    "ADJACENT_AT",
    "DEFAULT_MODEL",
    "FEATURES_VERSION",
    "RELEVANT_AT",
    "Archive",
    "ArchiveEntry",
    "DedupDecision",
    "Features",
    "Head",
    "SentenceEmbedder",
    "TopicProfile",
    "article_features",
    "dedup_batch",
    "dedup_text",
    "dedup_vectors",
    "embed_texts",
    "entry_for",
    "exemplar_state",
    "features_for",
    "head_for",
    "label_for",
    "lexical_evidence",
    "load_model",
    "load_profiles",
    "loaded_models",
    "model_threads",
    "pack",
    "prepare",
    "score_batch",
    "score_texts",
    "train_head",
    "triage_batch",
    "unpack",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
