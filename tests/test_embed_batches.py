"""Embedding batches by word-piece length (triage/embed.py): every text once, longest first,
no batch padded far beyond its shortest text, and the vectors do not depend on the batching."""

from __future__ import annotations

import numpy as np
import pytest

from triage.embed import BATCH_SIZE, PAD_RATIO, embed_texts, length_batches, load_model

pytestmark = pytest.mark.slow

SHORT = "China tightened licences for rare-earth magnets."
LONG = " ".join([
    "The commerce ministry said exporters of neodymium-iron-boron magnets, dysprosium and terbium",
    "must now file end-user certificates, and carmakers in Germany, Japan and the United States",
    "reported that parts shipments had been held at the border for weeks while licences were reviewed",
] * 3)


def test_batches_cover_every_text_and_close_before_heavy_padding() -> None:
    tok = load_model().tokenizer
    texts = [SHORT] * 5 + [LONG] * 3 + [SHORT + " " + SHORT] * 40
    batches = length_batches(tok, texts, 128)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(texts)))
    lengths = [len(x) for x in tok(texts, truncation=True, max_length=128)["input_ids"]]
    assert lengths[flat[0]] == max(lengths)  # longest first
    for b in batches:
        assert len(b) <= BATCH_SIZE
        assert min(lengths[i] for i in b) >= PAD_RATIO * lengths[b[0]]
    assert any(set(b) == {5, 6, 7} for b in batches), "the three long texts are not padded with the short ones"


def test_vectors_do_not_depend_on_the_batching() -> None:
    texts = [SHORT, LONG, SHORT + " Prices rose.", LONG[:200]]
    together = embed_texts(texts)
    alone = np.vstack([embed_texts([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
