"""The model runtimes: MiniLM under ONNX Runtime with int8 feed-forward layers (the default) and
through sentence-transformers (torch); their vectors agree closely enough for the same decisions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, ModelError
from pipeline.settings import load_settings
from triage.embed import DEFAULT_MODEL, DEFAULT_RUNTIME, embed_texts, load_model, resolve_model_path, use_runtime
from triage.onnx_encoder import OnnxEncoder, OnnxUnsupportedError

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
    assert float((a * b).sum(axis=1).min()) > 0.97
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
