"""Relevance scoring speed given embeddings (articles/s), not a test.

    .venv/bin/python bench/relevance_speed.py [--n 2000] [--file ../shared/data/news/dev.jsonl]

Texts: the news/dev pages when present (raw page text, ~1,400 characters each), else
invented filler articles.  Embeddings are random unit vectors: what is timed is everything
score_batch does after the pipeline has embedded the batch (lexical evidence, exemplar
similarity, the head, reasons).  Exemplar embedding happens once before timing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from core.records import Article
from reewatch.evaluate.relevance import item_to_article, read_items
from triage.embed import DEFAULT_MODEL
from triage.relevance import exemplar_state, load_profiles, score_batch

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "news" / "dev.jsonl"
FILLER = (
    "Markets\nCommodities\nSubscribe\n"
    "Exporters said on Monday that shipments of magnets and rare earth oxides had slowed while licences were reviewed. "
    "Analysts expect prices to stay high for weeks.\n"
    "The company also reported higher quarterly revenue and kept its guidance for the year unchanged. " * 4
)


def articles(file: Path, n: int) -> list[Article]:
    if file.is_file():
        base = [item_to_article(it) for it in read_items(file)]
    else:
        base = [item_to_article({"url": f"https://x.example/{i}", "text": f"Headline {i}\n{FILLER}"}) for i in range(50)]
    return [base[i % len(base)] for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=2000, help="articles to score")
    ap.add_argument("--file", type=Path, default=DEV, help="JSONL with a text field (default: news/dev)")
    ap.add_argument("--model", default=DEFAULT_MODEL, help="embedding model (for the exemplars)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (best and median are shown: the CI machine is shared)")
    args = ap.parse_args()
    profiles = load_profiles()
    arts = articles(args.file, args.n)
    for p in profiles:
        exemplar_state(p, args.model)
    dim = exemplar_state(profiles[0], args.model)[0].vectors.shape[1]
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((len(arts), dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    score_batch(profiles, arts[:1], vecs[:1], args.model)  # compile the term patterns
    times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        score_batch(profiles, arts, vecs, args.model)
        times.append(time.perf_counter() - t0)
    best, median = min(times), statistics.median(times)
    chars = sum(len(a.text) for a in arts) / len(arts)
    print(
        f"{len(arts)} articles × {len(profiles)} topic(s), mean {chars:.0f} chars: "
        f"best {len(arts) / best:.0f} articles/s, median {len(arts) / median:.0f} articles/s over {len(times)} runs"
    )


if __name__ == "__main__":
    main()
