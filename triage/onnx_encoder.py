"""A sentence-transformers model run by ONNX Runtime with its feed-forward layers in int8.

MiniLM's title+lead embedding is the largest share of an ingest's compute thread
(docs/benchmarks.md, "where a pass's CPU goes").  Exported to ONNX and with the 12 feed-forward
matrix products quantised to int8 (per output channel; the attention stays fp32), it embeds
the bench's texts ~1.25× faster and its vectors stay within a cosine of 0.984 of torch's
(mean 0.9955), close enough that the dedup thresholds hold (docs/dedup.md, "Encoder runtime").
Quantising the attention too was ~1.45× faster but moved the vectors four times as far and cost
ecbplus-dev 0.013.

Only the models sentence-transformers builds as Transformer → mean Pooling → Normalize (the
default all-MiniLM-L6-v2 among them) are run this way; ``OnnxUnsupportedError`` tells the caller to
load the model through sentence-transformers instead.  The exported and quantised file is built
once per model and versions (``$XDG_CACHE_HOME/reewatch/models``, else ``~/.cache/…``), which
takes ~10 s and torch; later processes only open it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Bump when the export or the quantisation recipe changes: cached files of another recipe are
# not used.
RECIPE = "ffn-int8-per-channel-1"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxUnsupportedError(Exception):
    """The model is not one this module runs (or ONNX Runtime is missing): use sentence-transformers."""


def cache_dir() -> Path:
    """Where built models are kept: the user's cache (XDG_CACHE_HOME, else ~/.cache), shared by
    every database and configuration on the machine."""
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "reewatch" / "models"


def _mean_pooled(model_dir: Path) -> bool:
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        cfg = json.loads((model_dir / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    modes = {k for k, v in cfg.items() if k.startswith("pooling_mode") and v}
    return kinds == ["Transformer", "Pooling", "Normalize"] and modes == {"pooling_mode_mean_tokens"}


def _key(model_dir: Path) -> str:
    import onnxruntime
    import torch

    weights = sorted((p.name, p.stat().st_size) for p in model_dir.glob("*.safetensors")) or sorted(
        (p.name, p.stat().st_size) for p in model_dir.glob("*.bin"))
    raw = json.dumps([str(model_dir.resolve()), weights, RECIPE, onnxruntime.__version__, torch.__version__])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def _export(model_dir: Path, out: Path) -> None:
    """The transformer's last hidden state as an ONNX graph, feed-forward products in int8."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    class _Hidden(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

    bert = AutoModel.from_pretrained(str(model_dir)).eval()
    sample = AutoTokenizer.from_pretrained(str(model_dir))(["a sample", "another sample text"], padding=True,
                                                           return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on the graph it writes
            torch.onnx.export(
                _Hidden(bert), tuple(sample[k] for k in _INPUTS), str(fp32), input_names=list(_INPUTS),
                output_names=["hidden"], dynamic_axes={k: {0: "batch", 1: "pieces"} for k in (*_INPUTS, "hidden")},
                opset_version=17, dynamo=False,
            )
        import onnx

        ffn = [n.name for n in onnx.load(str(fp32)).graph.node
               if n.op_type == "MatMul" and ("/intermediate/" in n.name or ("/output/dense" in n.name and "attention" not in n.name))]
        if not ffn:
            raise OnnxUnsupportedError(f"no feed-forward layers found in the export of {model_dir}")
        part = Path(tmp) / "int8.onnx"
        logging.disable(logging.WARNING)  # its advice to pre-process the graph, on the root logger
        try:
            quantize_dynamic(str(fp32), str(part), weight_type=QuantType.QInt8, per_channel=True, nodes_to_quantize=ffn)
        finally:
            logging.disable(logging.NOTSET)
        os.replace(part, out)  # atomic: a concurrent builder's file is as good as ours


class OnnxEncoder:
    """The calls triage/embed.py makes of a SentenceTransformer (``encode``, ``tokenizer``,
    ``max_seq_length``, the dimension), on the int8 ONNX graph."""

    def __init__(self, model_dir: str, max_seq_length: int, threads: int | None = None) -> None:
        path = Path(model_dir)
        if not _mean_pooled(path):
            raise OnnxUnsupportedError(f"{model_dir} is not a mean-pooled, normalised sentence-transformers model")
        try:
            import onnxruntime as ort
            from transformers import AutoTokenizer
        except ImportError as exc:
            raise OnnxUnsupportedError(f"onnxruntime is not installed ({exc})") from exc
        out = cache_dir() / f"{path.name}-{_key(path)}.onnx"
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            _export(path, out)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        # Idle pool threads would spin on the cores that extraction and the second encoder use.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(out), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.max_seq_length = max_seq_length
        self.path = out
        self._dim = int(json.loads((path / "config.json").read_text(encoding="utf-8"))["hidden_size"])

    def get_sentence_embedding_dimension(self) -> int:
        return self._dim

    def encode(self, texts: list[str], batch_size: int = 32, **_: Any) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.get_sentence_embedding_dimension()), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                                 max_length=self.max_seq_length, return_tensors="np")
            feed = {k: np.asarray(enc[k], dtype=np.int64) for k in _INPUTS}
            hidden = self._session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            out[start:start + len(pooled)] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out
