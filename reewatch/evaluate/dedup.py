"""`reewatch eval dedup FILE.jsonl`: copies and stories against labelled data.

Formats (detected from the first row):
  news/dev.jsonl      — ``url``, ``text``, ``copy_of``, ``story``: copies and stories;
  ecbplus-dev.jsonl   — ``doc_name``, ``text``, ``cluster``: stories only (no copy labels).
Items go through the ingest code path (``dedup_batch`` over an empty Archive, in file
order, no publication dates).  Metrics as in ../shared/data/README.md: pairwise
precision/recall/F1 of "is a copy of" (transitive closure) and B-cubed of story ids.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from core.records import Article
from core.text import content_hash
from core.urls import canonicalize_url
from triage.align import SentenceEmbedder
from triage.archive import Archive
from triage.dedup import DedupDecision, dedup_batch

# A first line this short, followed by more text, is taken as the headline.
TITLE_MAX_CHARS = 200
EVAL_SEEN_AT = datetime(2025, 1, 1, tzinfo=UTC)


# news/dev notes end with "[copy kind: <kind>; 5-gram containment vs copy_of = <x>]" (its README).
_COPY_KIND_RE = re.compile(r"copy kind:\s*([^;\]]+)")


@dataclass(frozen=True, slots=True)
class Item:
    article: Article
    story: str
    copy_of: str | None  # url of the labelled original (news format only)
    copy_kind: str | None = None  # near-verbatim, lightly edited, paraphrase/rewrite, translation


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _prf(p: float, r: float) -> PRF:
    return PRF(p, r, 2 * p * r / (p + r) if p + r else 0.0)


def split_title(text: str) -> tuple[str, str]:
    text = text.strip()
    first, _, rest = text.partition("\n")
    if rest.strip() and len(first) <= TITLE_MAX_CHARS:
        return first.strip(), rest.strip()
    return "", text


def load_items(path: Path) -> tuple[str, list[Item]]:
    """``("news" | "ecbplus", items)`` in file order."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kind = "ecbplus" if rows and "cluster" in rows[0] else "news"
    items = []
    for r in rows:
        url = r.get("url") or r.get("source_url") or f"https://ecbplus.invalid/{r['doc_name']}"
        if kind == "ecbplus":
            url = f"https://ecbplus.invalid/{r['doc_name']}"  # source URLs repeat across docs
        title, text = split_title(r["text"])
        art = Article(
            url=url, canonical_url=canonicalize_url(url), title=title, text=text,
            site=urlsplit(url).hostname or "", lang=r.get("lang"), published_at=None, first_seen_at=EVAL_SEEN_AT,
            source="eval", content_hash=content_hash(r["text"]),
        )
        kind_m = _COPY_KIND_RE.search(str(r.get("note") or "")) if r.get("copy_of") else None
        items.append(Item(art, str(r.get("story") or r.get("cluster")), r.get("copy_of"),
                          kind_m.group(1).strip() if kind_m else None))
    return kind, items


def _groups(parent: dict[int, int | None]) -> list[int]:
    """Union-find closure of copy links: a group id per item."""
    root = list(range(len(parent)))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for i, p in parent.items():
        if p is not None:
            root[find(i)] = find(p)
    return [find(i) for i in range(len(parent))]


def pairwise(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> PRF:
    """Pairwise P/R/F1 of "same group" (only pairs inside groups count)."""
    tp = fp = fn = 0
    for a, b in combinations(range(len(pred)), 2):
        p, g = pred[a] == pred[b], gold[a] == gold[b]
        tp += p and g
        fp += p and not g
        fn += g and not p
    return _prf(tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


def bcubed(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> PRF:
    """B-cubed precision/recall/F1 of a clustering against gold clusters."""
    n = len(pred)
    if n == 0:
        return PRF(1.0, 1.0, 1.0)
    pc: dict[Hashable, set[int]] = defaultdict(set)
    gc: dict[Hashable, set[int]] = defaultdict(set)
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        pc[p].add(i)
        gc[g].add(i)
    prec = rec = 0.0
    for i in range(n):
        both = len(pc[pred[i]] & gc[gold[i]])
        prec += both / len(pc[pred[i]])
        rec += both / len(gc[gold[i]])
    return _prf(prec / n, rec / n)


@dataclass(frozen=True, slots=True)
class DedupScores:
    kind: str
    n: int
    copies: PRF | None
    stories: PRF
    decisions: tuple[DedupDecision, ...]


def score(kind: str, items: list[Item], decisions: list[DedupDecision]) -> DedupScores:
    idx = {it.article.url: i for i, it in enumerate(items)}
    stories = bcubed([d.story_id for d in decisions], [it.story for it in items])
    copies = None
    if kind == "news":
        gold = _groups({i: idx.get(it.copy_of) if it.copy_of else None for i, it in enumerate(items)})
        pred = _groups({i: idx.get(d.duplicate_of) if d.duplicate_of else None for i, d in enumerate(decisions)})
        copies = pairwise(pred, gold)
    return DedupScores(kind, len(items), copies, stories, tuple(decisions))


def links_by_kind(items: list[Item], decisions: Sequence[DedupDecision]) -> dict[str, tuple[int, int]]:
    """Labelled copy links per copy kind: (caught, total); a link is caught when the item
    and its original end up in one predicted copy group."""
    idx = {it.article.url: i for i, it in enumerate(items)}
    pred = _groups({i: idx.get(d.duplicate_of) if d.duplicate_of else None for i, d in enumerate(decisions)})
    out: dict[str, tuple[int, int]] = {}
    for i, it in enumerate(items):
        if it.copy_of is None or it.copy_of not in idx:
            continue
        caught, total = out.get(it.copy_kind or "unlabelled", (0, 0))
        out[it.copy_kind or "unlabelled"] = (caught + (pred[i] == pred[idx[it.copy_of]]), total + 1)
    return out


def stories_with_languages_placed(items: list[Item], decisions: Sequence[DedupDecision]) -> PRF | None:
    """Stories B-cubed if every non-English item had been put in the predicted story that
    holds most English members of its labelled story (an all-foreign story: with its first
    member): what the English-only default model's misplaced foreign items cost.  None when
    every item is English or untagged."""
    pred = [d.story_id for d in decisions]
    foreign = [i for i, it in enumerate(items) if it.article.lang not in (None, "en")]
    if not foreign:
        return None
    placed = list(pred)
    for i in foreign:
        mates = [j for j, it in enumerate(items) if it.story == items[i].story]
        english = Counter(pred[j] for j in mates if items[j].article.lang in (None, "en"))
        placed[i] = english.most_common(1)[0][0] if english else placed[mates[0]]
    return bcubed(placed, [it.story for it in items])


class CountingEmbedder:
    """The dedup model's sentence embedder, counting the sentences it embeds."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self.sentences = 0
        self.calls = 0

    def __call__(self, texts: list[str]) -> NDArray[np.float32]:
        from triage.embed import embed_texts

        self.sentences += len(texts)
        self.calls += 1
        return embed_texts(texts, self.model_name)


def run(kind: str, items: list[Item], vecs: object, embed: SentenceEmbedder | None = None) -> DedupScores:
    """Dedup the items over an empty archive (the ingest code path) and score them;
    ``embed`` enables the sentence-alignment rewrite layer."""
    v = np.asarray(vecs, dtype=np.float32)
    decisions = dedup_batch([it.article for it in items], v, Archive(v.shape[1]), embed)
    return score(kind, items, decisions)


def main(file: Path, model_name: str, console: Console) -> int:
    if not file.is_file():
        console.print(f"[red]no such file: {file}[/]")
        return 2
    from triage.pipeline import dedup_vectors

    kind, items = load_items(file)
    t0 = time.perf_counter()
    vecs = dedup_vectors([it.article for it in items], model_name)
    t1 = time.perf_counter()
    embedder = CountingEmbedder(model_name)
    res = run(kind, items, vecs, embedder)
    t2 = time.perf_counter()
    table = Table(title=f"dedup on {file.name} ({kind}, {res.n} items)")
    for col in ("measure", "precision", "recall", "F1"):
        table.add_column(col)
    if res.copies is not None:
        table.add_row("copies (pairwise)", *(f"{x:.3f}" for x in (res.copies.precision, res.copies.recall, res.copies.f1)))
    table.add_row("stories (B-cubed)", *(f"{x:.3f}" for x in (res.stories.precision, res.stories.recall, res.stories.f1)))
    console.print(table)
    if kind == "news":
        kinds = links_by_kind(items, res.decisions)
        console.print("copy links caught, by kind: " + ", ".join(f"{k} {c}/{t}" for k, (c, t) in sorted(kinds.items())))
        placed = stories_with_languages_placed(items, res.decisions)
        if placed is not None:
            n_foreign = sum(it.article.lang not in (None, "en") for it in items)
            console.print(f"stories B-cubed F1 with the {n_foreign} non-English items placed with their story's English "
                          f"members: {placed.f1:.3f} (what the English-only model's misplacements cost)")
    console.print(
        f"embedding {1000 * (t1 - t0) / max(1, res.n):.1f} ms/article, dedup {1000 * (t2 - t1) / max(1, res.n):.2f} ms/article; "
        f"{sum(d.duplicate_of is not None for d in res.decisions)} copies, "
        f"{len({d.story_id for d in res.decisions})} stories; "
        f"{embedder.sentences} sentences embedded in {embedder.calls} alignment calls"
    )
    return 0
