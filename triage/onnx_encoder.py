"""A sentence-transformers model run by ONNX Runtime with its feed-forward layers in int8.

MiniLM's title+lead embedding is the largest share of an ingest's compute thread
(docs/benchmarks.md, "where a pass's CPU goes").  Exported to ONNX, with the weights of its
feed-forward products (two thirds of its multiply-adds) in int8, one scale per output column, and
each token's activations quantised to int8 with a scale of its own (the largest magnitude in that
token's row), it embeds with less CPU than torch (docs/benchmarks.md).  A token's scale depends on
nothing but that token and the integer products are exact, so a text gets the same vector alone
and in any batch (ONNX Runtime's own dynamic quantisation takes one scale per batch: the other
texts moved a text's vector).  The vectors stay within a cosine of 0.995 of torch's.  Attention
stays in fp32: in int8 too it saved ~12 % more CPU but moved ecbplus-dev's stories from 0.896 to
0.885 (docs/dedup.md, "Encoder runtime").

Only models sentence-transformers builds as Transformer → mean Pooling → Normalize (the default
all-MiniLM-L6-v2 among them) are run this way; ``OnnxUnsupportedError`` tells the caller to load the
model through sentence-transformers instead.  The quantised file is built once per model and
versions (``$XDG_CACHE_HOME/reewatch/models``, else ``~/.cache/…``), which takes ~10 s and torch;
later processes only open it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Bump when the export or the quantisation recipe changes: cached files of another recipe are
# not used.
RECIPE = "ffn-int8-per-token-eager-1"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_OPSET = 17


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
    from importlib.metadata import version

    import onnxruntime

    weights = sorted((p.name, p.stat().st_size) for p in model_dir.glob("*.safetensors")) or sorted(
        (p.name, p.stat().st_size) for p in model_dir.glob("*.bin"))
    # onnx's version from its metadata: importing onnx takes ~1.7 s, and only the export needs it
    raw = json.dumps([str(model_dir.resolve()), weights, RECIPE, onnxruntime.__version__, version("onnx")])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def feed_forward(node_name: str) -> bool:
    """A feed-forward product of a BERT-style export (``…/intermediate/dense/MatMul``,
    ``…/output/dense/MatMul``; the attention's output is ``…/attention/output/dense/MatMul``)."""
    return "/intermediate/" in node_name or ("/output/dense" in node_name and "/attention/" not in node_name)


def quantise_linear_layers(graph: Any, which: Callable[[str], bool] = feed_forward) -> int:
    """Rewrite each ``MatMul`` by a weight matrix in ``graph`` (an ``onnx.GraphProto``) whose name
    ``which`` accepts as an int8 product: weights per output column, activations per token (row),
    both symmetric; the activations are stored as uint8 around 128 so that ONNX Runtime takes its
    u8×s8 kernels.  Returns how many products were rewritten."""
    from onnx import TensorProto, helper, numpy_helper

    weights = {i.name: i for i in graph.initializer}
    consts = [
        numpy_helper.from_array(np.array(127.0, np.float32), "q8_127"),
        numpy_helper.from_array(np.array(1e-8, np.float32), "q8_eps"),
        numpy_helper.from_array(np.array(128.0, np.float32), "q8_128"),
        numpy_helper.from_array(np.array(128, np.uint8), "q8_zero_a"),
        numpy_helper.from_array(np.array(0, np.int8), "q8_zero_w"),
    ]
    nodes: list[Any] = []
    added: list[Any] = []
    n = 0
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights or not which(node.name):
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weights[node.input[1]]).astype(np.float32)
        w_scale = (np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0).astype(np.float32)
        p = f"q8_{n}_"
        n += 1
        added += [numpy_helper.from_array(np.clip(np.round(w / w_scale), -127, 127).astype(np.int8), p + "w"),
                  numpy_helper.from_array(w_scale, p + "w_scale")]
        x, y = node.input[0], node.output[0]
        nodes += [
            helper.make_node("Abs", [x], [p + "abs"]),
            helper.make_node("ReduceMax", [p + "abs"], [p + "max"], axes=[-1], keepdims=1),
            helper.make_node("Max", [p + "max", "q8_eps"], [p + "max1"]),
            helper.make_node("Div", [p + "max1", "q8_127"], [p + "scale"]),
            helper.make_node("Div", [x, p + "scale"], [p + "xs"]),
            helper.make_node("Round", [p + "xs"], [p + "xr"]),
            helper.make_node("Add", [p + "xr", "q8_128"], [p + "xu"]),
            helper.make_node("Cast", [p + "xu"], [p + "xq"], to=TensorProto.UINT8),
            helper.make_node("MatMulInteger", [p + "xq", p + "w", "q8_zero_a", "q8_zero_w"], [p + "acc"]),
            helper.make_node("Cast", [p + "acc"], [p + "accf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [p + "accf", p + "scale"], [p + "y1"]),
            helper.make_node("Mul", [p + "y1", p + "w_scale"], [y]),
        ]
    used = {i for node in nodes for i in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend([*kept, *consts, *added])
    return n


def _export(model_dir: Path, out: Path) -> None:
    """The transformer's last hidden state as an ONNX graph, its feed-forward layers in int8."""
    import onnx
    import torch
    from transformers import AutoModel, AutoTokenizer

    class _Hidden(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

    # eager attention exports the mask as one addition per layer; the default (sdpa) exports a Where
    # over every layer's scores, ~5 % of the graph's time on one thread (docs/dedup.md, "Encoder runtime")
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    sample = AutoTokenizer.from_pretrained(str(model_dir))(["a sample", "another sample text"], padding=True,
                                                           return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on the graph it writes
            torch.onnx.export(
                _Hidden(bert), tuple(sample[k] for k in _INPUTS), str(fp32), input_names=list(_INPUTS),
                output_names=["hidden"], dynamic_axes={k: {0: "batch", 1: "pieces"} for k in (*_INPUTS, "hidden")},
                opset_version=_OPSET, dynamo=False,
            )
        model = onnx.load(str(fp32))
        if not quantise_linear_layers(model.graph):
            raise OnnxUnsupportedError(f"no feed-forward layers found in the export of {model_dir}")
        part = Path(tmp) / "int8.onnx"
        onnx.save(model, str(part))
        os.replace(part, out)  # atomic: a concurrent builder's file is as good as ours


class PieceTokenizer:
    """The model's ``tokenizer.json`` through the tokenizers library, which is what transformers'
    fast tokenizer runs: the same ids, without loading transformers and torch (~5 s and ~100 MB per
    process).  Called like a transformers tokenizer, for the arguments this project passes."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(path))
        padding = self._tok.padding or {}
        self._pad = (int(padding.get("pad_id", 0)), str(padding.get("pad_token", "[PAD]")))
        self._lock = threading.Lock()  # truncation and padding are settings of the shared tokenizer

    def __call__(self, texts: list[str], *, add_special_tokens: bool = True, truncation: bool = False,
                 max_length: int | None = None, padding: bool = False, return_tensors: str | None = None,
                 ) -> dict[str, Any]:
        with self._lock:
            if truncation and max_length:
                self._tok.enable_truncation(max_length)
            else:
                self._tok.no_truncation()
            if padding:
                self._tok.enable_padding(pad_id=self._pad[0], pad_token=self._pad[1])
            else:
                self._tok.no_padding()
            encs = self._tok.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        out = {"input_ids": [e.ids for e in encs], "attention_mask": [e.attention_mask for e in encs],
               "token_type_ids": [e.type_ids for e in encs]}
        if return_tensors == "np":
            return {k: np.asarray(v, dtype=np.int64) for k, v in out.items()}
        return out


class OnnxEncoder:
    """The calls triage/embed.py makes of a SentenceTransformer (``encode``, ``tokenizer``,
    ``max_seq_length``, the dimension), on the int8 ONNX graph.  ``threads`` (see
    ``triage.embed.model_threads``) picks the session: one per thread count, opened on first use."""

    def __init__(self, model_dir: str, max_seq_length: int) -> None:
        path = Path(model_dir)
        if not _mean_pooled(path):
            raise OnnxUnsupportedError(f"{model_dir} is not a mean-pooled, normalised sentence-transformers model")
        if "usearch.index" in sys.modules and "onnxruntime" not in sys.modules:
            # loaded after usearch, onnxruntime >= 1.23 dies at import (triage/archive.py loads it first)
            raise OnnxUnsupportedError("usearch was imported before onnxruntime")
        if not (path / "tokenizer.json").is_file():
            raise OnnxUnsupportedError(f"{model_dir} has no tokenizer.json (a fast tokenizer)")
        try:
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401
        except ImportError as exc:
            raise OnnxUnsupportedError(f"onnxruntime or tokenizers is not installed ({exc})") from exc
        self.path = cache_dir() / f"{path.name}-{_key(path)}.onnx"
        self.tokenizer = PieceTokenizer(path / "tokenizer.json")
        self.max_seq_length = max_seq_length
        self._dim = int(json.loads((path / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        for attempt in (1, 2):
            try:
                if not self.path.exists():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    _export(path, self.path)
                self._session(os.cpu_count() or 1)  # a broken file fails here, not in the first batch
                break
            except OnnxUnsupportedError:
                raise
            except Exception as exc:  # unwritable cache, an export torch cannot do, a damaged file
                if attempt == 2 or not self.path.is_file():
                    raise OnnxUnsupportedError(f"cannot build or open {self.path}: {exc}") from exc
                self.path.unlink(missing_ok=True)  # damaged: built again once

    def _session(self, threads: int) -> Any:
        import onnxruntime as ort

        with self._lock:
            if threads not in self._sessions:
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = threads
                opts.inter_op_num_threads = 1
                # Idle pool threads would spin on the cores that extraction and the second encoder use.
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                self._sessions[threads] = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
            return self._sessions[threads]

    def get_sentence_embedding_dimension(self) -> int:
        return self._dim

    def encode(self, texts: list[str], batch_size: int = 32, threads: int | None = None, **_: Any) -> NDArray[np.float32]:
        session = self._session(threads or os.cpu_count() or 1)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                                 max_length=self.max_seq_length, return_tensors="np")
            feed = {k: np.asarray(enc[k], dtype=np.int64) for k in _INPUTS}
            hidden = session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            out[start:start + len(pooled)] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out
