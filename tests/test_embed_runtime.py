"""The model runtimes: MiniLM under ONNX Runtime with int8 feed-forward layers (the default) and
through sentence-transformers (torch); their vectors agree closely enough for the same decisions, and
an int8 vector does not depend on the batch or the threads it was computed with."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, ModelError
from pipeline.settings import load_settings
from triage.embed import (
    DEFAULT_MODEL,
    DEFAULT_RUNTIME,
    embed_texts,
    load_model,
    model_threads,
    resolve_model_path,
    use_runtime,
)
from triage.onnx_encoder import OnnxEncoder, OnnxUnsupportedError, PieceTokenizer

pytestmark = pytest.mark.slow

TEXTS = [
    "Valdoria halts cobalt concentrate exports to Karesh refiners pending a licence review",
    "Karesh refiners say Valdorian cobalt licences are arriving slowly after the export halt",
    "The Ferrow marathon was won in record time on a cool Sunday morning",
    "Harbour authorities in Dallow reopened the container terminal after a week of repairs",
]


def test_the_default_runtime_is_int8_onnx_and_agrees_with_torch() -> None:
    onnx = load_model(DEFAULT_MODEL)
    assert isinstance(onnx, OnnxEncoder) and onnx.path.is_file()
    a = embed_texts(TEXTS, DEFAULT_MODEL)
    use_runtime("torch")
    try:
        torch_model = load_model(DEFAULT_MODEL, 96)  # another key: loaded now, with torch
        b = np.asarray(torch_model.encode(TEXTS, normalize_embeddings=True), dtype=np.float32)
    finally:
        use_runtime(DEFAULT_RUNTIME)
    assert not isinstance(torch_model, OnnxEncoder)
    assert a.shape == b.shape == (4, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.99
    # the related pair stays the nearest pair under both
    for v in (a, b):
        sims = v @ v.T
        assert sims[0, 1] > max(sims[0, 2], sims[0, 3], sims[1, 2], sims[2, 3]) + 0.2


def test_a_model_that_is_not_mean_pooled_is_left_to_sentence_transformers(tmp_path: Path) -> None:
    model_dir = tmp_path / "cls-model"
    shutil.copytree(resolve_model_path(DEFAULT_MODEL), model_dir)
    cfg = model_dir / "1_Pooling" / "config.json"
    pooling = json.loads(cfg.read_text())
    cfg.write_text(json.dumps({**pooling, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    with pytest.raises(OnnxUnsupportedError, match="mean-pooled"):
        OnnxEncoder(str(model_dir), 128)
    assert not isinstance(load_model(str(model_dir)), OnnxEncoder)


def test_a_runtime_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="onnx-int8, torch"):
        use_runtime("gpu")
    config = tmp_path / "reewatch.toml"
    config.write_text('model_runtime = "gpu"\n')
    with pytest.raises(ConfigError, match="model_runtime"):
        load_settings(config)


def test_an_int8_vector_is_the_same_in_any_batch_and_with_any_threads() -> None:
    alone = np.vstack([embed_texts([t]) for t in TEXTS])
    with model_threads(1):
        one_thread = embed_texts(TEXTS)
    together = embed_texts(TEXTS + [t.upper() for t in TEXTS])[: len(TEXTS)]
    # each token's activations have a scale of their own, and integer products are exact
    assert np.array_equal(alone, together)
    assert np.array_equal(alone, one_thread)


def test_a_process_that_loaded_usearch_first_embeds_with_torch_rather_than_dying() -> None:
    # onnxruntime >= 1.23 imported after usearch ends the process (a segmentation fault)
    code = ("import usearch.index\n"
            "from triage.embed import embed_texts, load_model\n"
            f"print(type(load_model()).__name__, embed_texts({TEXTS[:1]!r}).shape)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parent.parent, env={**os.environ, "PYTHONPATH": "."})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[-3:] == ["SentenceTransformer", "(1,", "384)"]


def test_an_unwritable_model_cache_leaves_the_model_to_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with pytest.raises(OnnxUnsupportedError, match="cannot build or open"):
        OnnxEncoder(resolve_model_path(DEFAULT_MODEL), 128)
    model = load_model(DEFAULT_MODEL, 77)  # another key: loaded now
    assert not isinstance(model, OnnxEncoder)
    assert embed_texts(TEXTS[:1], DEFAULT_MODEL, 77).shape == (1, 384)


def test_a_damaged_model_file_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = OnnxEncoder(resolve_model_path(DEFAULT_MODEL), 128)
    first.path.write_bytes(b"not an onnx graph")
    again = OnnxEncoder(resolve_model_path(DEFAULT_MODEL), 128)
    assert again.path == first.path and again.path.stat().st_size > 1_000_000
    assert np.array_equal(again.encode(TEXTS), embed_texts(TEXTS))


def test_the_piece_tokenizer_gives_the_ids_transformers_gives() -> None:
    from transformers import AutoTokenizer

    model_dir = Path(resolve_model_path(DEFAULT_MODEL))
    ours, theirs = PieceTokenizer(model_dir / "tokenizer.json"), AutoTokenizer.from_pretrained(str(model_dir))
    texts = [*TEXTS, "", "  ", "Ünïcödé façade – naïve “quotes” … ÀÉÎ", "商务部宣布对稀土实施出口管制。",
             "レアアース輸出規制が強化された", " ".join(TEXTS) * 4]
    for max_length in (128, 16):
        kw = {"add_special_tokens": True, "truncation": True, "max_length": max_length}
        assert ours(texts, **kw)["input_ids"] == theirs(texts, **kw)["input_ids"]
        ours_np = ours(texts, padding=True, return_tensors="np", **kw)
        theirs_np = theirs(texts, padding=True, return_tensors="np", **kw)
        for key in ("input_ids", "attention_mask", "token_type_ids"):
            assert np.array_equal(ours_np[key], theirs_np[key]), key


def test_embedding_with_the_int8_runtime_loads_neither_torch_nor_transformers() -> None:
    load_model()  # built in this process's cache first, if it is not yet
    code = ("import sys\n"
            "from triage.embed import embed_texts\n"
            f"embed_texts({TEXTS[:2]!r})\n"
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parent.parent, env={**os.environ, "PYTHONPATH": "."})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "[]"
