"""`reewatch eval relevance FILE.jsonl`: P/R/F1 of relevant (2) vs irrelevant (0) at the
shipped thresholds, ROC AUC of the score, how adjacent (1) items score, and false alarms
on pages that never name the topic (definitions in ../shared/data/README.md)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.errors import ReewatchError
from core.records import Article, TopicScore

# The JSONL items carry raw page text without a separate title: its first line is taken
# as the title when it is at most this long (a headline), else the title is empty.
TITLE_MAX_CHARS = 200
TOPIC = "rare-earth-trade"


def item_to_article(item: dict[str, Any]) -> Article:
    text = str(item.get("text", "")).strip()
    first, _, rest = text.partition("\n")
    title, body = (first.strip(), rest) if len(first) <= TITLE_MAX_CHARS else ("", text)
    url = str(item.get("url") or item.get("id") or hashlib.sha1(text.encode()).hexdigest())
    now = datetime.now(UTC)
    return Article(
        url=url, canonical_url=url, title=title, text=body, site="", lang=item.get("lang"), published_at=None,
        first_seen_at=now, source="eval", content_hash=hashlib.sha1(text.encode()).hexdigest(),
    )


def read_items(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReewatchError(f"cannot read {path}: {exc}") from exc
    return [json.loads(line) for line in lines if line.strip()]


def roc_auc(scores: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos, neg = scores[positive], scores[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


@dataclass(frozen=True)
class RelevanceReport:
    n: int
    precision: float
    recall: float
    f1: float
    auc: float
    adjacent_quartiles: tuple[float, ...]
    relevant_median: float
    irrelevant_median: float
    adjacent_labels: dict[str, int]
    no_subject_total: int
    no_subject_relevant: int
    articles_per_s: float
    # language → (core items labelled relevant, core items); and every non-English core item as
    # (id, lang, score, label), lowest score first.
    core_by_lang: dict[str, tuple[int, int]] = field(default_factory=dict)
    non_english_core: tuple[tuple[str, str, float, str], ...] = ()


def summarize(gold: list[int], scores: list[TopicScore], no_subject: list[bool], seconds: float) -> RelevanceReport:
    """Metrics from gold labels (0/1/2) and the scores (pure)."""
    y = np.array(gold)
    s = np.array([t.score for t in scores], dtype=np.float64)
    pred = np.array([t.label == "relevant" for t in scores])
    m = y != 1
    tp = int((pred & (y == 2)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 2)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    adj = s[y == 1]
    ns = np.array(no_subject, dtype=bool)
    labels = [t.label for t, g in zip(scores, gold, strict=True) if g == 1]
    return RelevanceReport(
        n=len(gold), precision=p, recall=r, f1=2 * p * r / (p + r) if p + r else 0.0,
        auc=roc_auc(s[m], (y == 2)[m]),
        adjacent_quartiles=tuple(float(q) for q in np.percentile(adj, [0, 25, 50, 75, 100])) if len(adj) else (),
        relevant_median=float(np.median(s[y == 2])) if (y == 2).any() else float("nan"),
        irrelevant_median=float(np.median(s[y == 0])) if (y == 0).any() else float("nan"),
        adjacent_labels={k: labels.count(k) for k in ("relevant", "adjacent", "irrelevant")},
        no_subject_total=int(ns.sum()), no_subject_relevant=int((ns & pred).sum()),
        articles_per_s=len(gold) / seconds if seconds > 0 else float("inf"),
    )


def evaluate(path: Path, model_name: str, topics_dir: Path | None, topic: str = TOPIC) -> RelevanceReport:
    from triage.embed import dedup_text, embed_texts
    from triage.evidence import lexical_evidence
    from triage.langs import article_lang
    from triage.pipeline import relevance_vectors
    from triage.relevance import exemplar_state, load_profiles, score_batch

    items = read_items(path)
    profiles = [p for p in load_profiles(topics_dir) if p.name == topic]
    if not profiles:
        raise ReewatchError(f"no topic profile named {topic!r}")
    arts = [item_to_article(it) for it in items]
    vecs = embed_texts([dedup_text(a.title, a.text) for a in arts], model_name)
    # languages and multilingual vectors as the ingest has them (triage.pipeline.triage_batch)
    langs = [article_lang(a.lang, a.title, a.text) for a in arts]
    mvecs = relevance_vectors([(a.title, a.text) for a in arts], langs)
    exemplar_state(profiles[0], model_name)  # embed exemplars and compile terms before timing
    score_batch(profiles, arts[:1], vecs[:1], model_name)
    t0 = time.perf_counter()
    scores = [row[0] for row in score_batch(profiles, arts, vecs, model_name, langs, mvecs)]
    seconds = time.perf_counter() - t0
    no_subject = [not lexical_evidence(profiles[0], a.title, a.text).has_subject for a in arts]
    rep = summarize([int(it["relevance"]) for it in items], scores, no_subject, seconds)
    return replace(rep, **by_language(items, scores))


def by_language(items: list[dict[str, Any]], scores: list[TopicScore]) -> dict[str, Any]:
    """The core (relevance 2) items by language: how many are labelled relevant, and the
    non-English ones with their scores (pure)."""
    counts: dict[str, list[int]] = {}
    rows: list[tuple[str, str, float, str]] = []
    for it, s in zip(items, scores, strict=True):
        if int(it["relevance"]) != 2:
            continue
        lang = str(it.get("lang") or "?")
        c = counts.setdefault(lang, [0, 0])
        c[0] += s.label == "relevant"
        c[1] += 1
        if lang != "en":
            rows.append((str(it.get("id") or it.get("url")), lang, s.score, s.label))
    return {"core_by_lang": {k: (v[0], v[1]) for k, v in sorted(counts.items())},
            "non_english_core": tuple(sorted(rows, key=lambda r: (r[2], r[0])))}


def main(file: Path, model_name: str, topics_dir: Path | None, console: Any) -> int:
    try:
        rep = evaluate(file, model_name, topics_dir)
    except (ReewatchError, KeyError, ValueError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    from triage.relevance import ADJACENT_AT, RELEVANT_AT

    console.print(f"[bold]relevance[/] on {file} ({rep.n} items), relevant ≥ {RELEVANT_AT}, adjacent ≥ {ADJACENT_AT}")
    console.print(f"  relevant (2) vs irrelevant (0): P {rep.precision:.3f}  R {rep.recall:.3f}  F1 {rep.f1:.3f}  AUC {rep.auc:.3f}")
    q = ", ".join(f"{v:.2f}" for v in rep.adjacent_quartiles)
    console.print(f"  adjacent (1) scores min/q1/median/q3/max: {q}")
    console.print(f"  medians: relevant {rep.relevant_median:.2f}, irrelevant {rep.irrelevant_median:.2f}; adjacent labelled {rep.adjacent_labels}")
    console.print(f"  pages naming no topic term: {rep.no_subject_relevant}/{rep.no_subject_total} labelled relevant")
    langs = ", ".join(f"{k} {r}/{n}" for k, (r, n) in rep.core_by_lang.items())
    console.print(f"  core (2) items labelled relevant, by language: {langs}")
    for item_id, lang, score, label in rep.non_english_core:
        console.print(f"    {lang} {item_id}: {score:.2f} {label}")
    console.print(f"  scoring given embeddings: {rep.articles_per_s:.0f} articles/s")
    return 0
