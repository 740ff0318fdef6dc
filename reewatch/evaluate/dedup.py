"""`reewatch eval dedup FILE.jsonl`: copies and stories against labelled data.

Formats (detected from the first row):
  news/dev.jsonl      — ``url``, ``text``, ``copy_of``, ``story``: copies and stories;
  ecbplus-dev.jsonl   — ``doc_name``, ``text``, ``cluster``: stories only (no copy labels).
Items go through the ingest code path (``dedup_batch`` over an empty Archive), twice for news:
with the file's ``published_at`` (the realistic case; decided earliest first) and without it
(file order).  Metrics as in ../shared/data/README.md: pairwise precision/recall/F1 of "is a
copy of" (transitive closure), the share of copy pairs whose two items end in one story, the
precision of ``duplicate_of`` links (a link between two items of different labelled stories is
wrong), B-cubed of story ids, and all of them by language.  The multilingual encoder
(triage/embed.py ``MULTILINGUAL_MODEL``) is used as the ingest uses it: only when the items are
in more than one language.

``--as-imported`` builds each item the way ``reewatch import`` builds a ``url`` + ``text`` record
(extract/jsonl.py: the text-capture cleaning picks the headline, drops furniture and datelines, and
reads a dateline's date as ``published_at``); records the import rejects (a list page, nothing but
furniture) are counted and left out of the scores.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any
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
    published_at: datetime | None = None  # the file's approximate publication time (news format)


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


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_items(path: Path) -> tuple[str, list[Item]]:
    """``("news" | "ecbplus", items)`` in file order, title = the first line when it is short."""
    return _items(_rows(path))


def _items(rows: list[dict[str, Any]]) -> tuple[str, list[Item]]:
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
                          kind_m.group(1).strip() if kind_m else None, _parse_time(r.get("published_at"))))
    return kind, items


def imported_items(path: Path) -> tuple[str, list[Item], Counter[str]]:
    """The items as ``reewatch import`` makes them from ``url`` + ``text`` (+ ``lang``) records,
    and how many records it rejects, by reason."""
    from extract.jsonl import parse_record

    rows = _rows(path)
    kind, items = _items(rows)
    kept: list[Item] = []
    rejected: Counter[str] = Counter()
    for n, (it, r) in enumerate(zip(items, rows, strict=True), 1):
        record = {"url": it.article.url, "text": r["text"], **({"lang": r["lang"]} if r.get("lang") else {})}
        got = parse_record(record, n, EVAL_SEEN_AT, "eval")
        if isinstance(got, Article):
            kept.append(replace(it, article=got))
        else:
            rejected[getattr(got, "reason", type(got).__name__).split(":")[0]] += 1
    return kind, kept, rejected


def _parse_time(v: object) -> datetime | None:
    if not isinstance(v, str) or not v:
        return None
    t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def dated(items: list[Item], shift: timedelta = timedelta(0)) -> list[Item]:
    """The items with the file's ``published_at`` (moved by ``shift``; for the robustness check); an
    item without one keeps what its article has (an imported capture's dateline)."""
    return [replace(it, article=replace(it.article, published_at=it.published_at + shift if it.published_at
                                        else it.article.published_at))
            for it in items]


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
    # share of labelled copy pairs whose two items end in one predicted story (caught, total)
    copy_pairs_in_story: tuple[int, int] = (0, 0)
    # predicted duplicate_of links between items of one labelled story (right, total)
    copy_links_right: tuple[int, int] = (0, 0)


def bcubed_items(pred: Sequence[Hashable], gold: Sequence[Hashable], which: Sequence[int]) -> PRF:
    """B-cubed over the whole clustering, averaged over the items ``which`` only (per language)."""
    pc: dict[Hashable, set[int]] = defaultdict(set)
    gc: dict[Hashable, set[int]] = defaultdict(set)
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        pc[p].add(i)
        gc[g].add(i)
    if not which:
        return PRF(1.0, 1.0, 1.0)
    prec = sum(len(pc[pred[i]] & gc[gold[i]]) / len(pc[pred[i]]) for i in which) / len(which)
    rec = sum(len(pc[pred[i]] & gc[gold[i]]) / len(gc[gold[i]]) for i in which) / len(which)
    return _prf(prec, rec)


def copy_pairs(items: list[Item]) -> list[tuple[int, int]]:
    """Every labelled copy pair (transitive closure of ``copy_of``)."""
    idx = {it.article.url: i for i, it in enumerate(items)}
    gold = _groups({i: idx.get(it.copy_of) if it.copy_of else None for i, it in enumerate(items)})
    return [(a, b) for a, b in combinations(range(len(items)), 2) if gold[a] == gold[b]]


def score(kind: str, items: list[Item], decisions: list[DedupDecision]) -> DedupScores:
    idx = {it.article.url: i for i, it in enumerate(items)}
    stories = bcubed([d.story_id for d in decisions], [it.story for it in items])
    copies = None
    in_story = links = (0, 0)
    if kind == "news":
        gold = _groups({i: idx.get(it.copy_of) if it.copy_of else None for i, it in enumerate(items)})
        pred = _groups({i: idx.get(d.duplicate_of) if d.duplicate_of else None for i, d in enumerate(decisions)})
        copies = pairwise(pred, gold)
        pairs = copy_pairs(items)
        in_story = (sum(decisions[a].story_id == decisions[b].story_id for a, b in pairs), len(pairs))
        made = [(i, idx[d.duplicate_of]) for i, d in enumerate(decisions) if d.duplicate_of in idx]
        links = (sum(items[i].story == items[j].story for i, j in made), len(made))
    return DedupScores(kind, len(items), copies, stories, tuple(decisions), in_story, links)


def by_language(items: list[Item], decisions: Sequence[DedupDecision]) -> dict[str, tuple[int, PRF, tuple[int, int]]]:
    """Per language: (items, stories B-cubed over its items, copy pairs touching it in one story)."""
    pred = [d.story_id for d in decisions]
    gold = [it.story for it in items]
    pairs = copy_pairs(items)
    out: dict[str, tuple[int, PRF, tuple[int, int]]] = {}
    for lang in sorted({it.article.lang or "?" for it in items}):
        which = [i for i, it in enumerate(items) if (it.article.lang or "?") == lang]
        mine = [(a, b) for a, b in pairs if a in which or b in which]
        out[lang] = (len(which), bcubed_items(pred, gold, which),
                     (sum(pred[a] == pred[b] for a, b in mine), len(mine)))
    return out


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


def run(kind: str, items: list[Item], vecs: object, embed: SentenceEmbedder | None = None,
        mvecs: object = None, membed: SentenceEmbedder | None = None) -> DedupScores:
    """Dedup the items over an empty archive (the ingest code path) and score them;
    ``embed`` enables the sentence-alignment rewrite layer, ``mvecs`` (multilingual vectors,
    one row per item) the cross-language layer."""
    v = np.asarray(vecs, dtype=np.float32)
    mv = np.asarray(mvecs, dtype=np.float32) if mvecs is not None else None
    decisions = dedup_batch([it.article for it in items], v, Archive(v.shape[1]), embed, mv, membed)
    return score(kind, items, decisions)


def _ratio(x: tuple[int, int]) -> str:
    return f"{x[0] / x[1]:.3f} ({x[0]}/{x[1]})" if x[1] else "—"


def main(file: Path, model_name: str, console: Console, *, as_imported: bool = False) -> int:
    if not file.is_file():
        console.print(f"[red]no such file: {file}[/]")
        return 2
    from triage.archive import Archive as _Archive
    from triage.embed import MULTILINGUAL_MODEL
    from triage.pipeline import dedup_vectors, multilingual_vectors

    if as_imported:
        kind, items, rejected = imported_items(file)
        console.print(f"as imported: {len(items)} records stored, {sum(rejected.values())} rejected"
                      + "".join(f"; {n} {reason}" for reason, n in rejected.most_common()))
    else:
        kind, items = load_items(file)
    t0 = time.perf_counter()
    vecs = dedup_vectors([it.article for it in items], model_name)
    mvecs = multilingual_vectors([it.article for it in items], _Archive(vecs.shape[1]), every_row=True)
    t1 = time.perf_counter()
    embedder = CountingEmbedder(model_name)
    has_dates = any(it.published_at is not None for it in items)
    runs = [("with published_at", dated(items)), ("without published_at", items)] if has_dates else [("", items)]
    results = []
    for label, its in runs:
        t = time.perf_counter()
        results.append((label, its, run(kind, its, vecs, embedder, mvecs, CountingEmbedder(MULTILINGUAL_MODEL)),
                        time.perf_counter() - t))
    table = Table(title=f"dedup on {file.name} ({kind}, {len(items)} items)")
    for col in ("measure", "precision", "recall", "F1"):
        table.add_column(col)
    for label, _, res, _ in results:
        suffix = f", {label}" if label else ""
        if res.copies is not None:
            table.add_row(f"copies (pairwise){suffix}", *(f"{x:.3f}" for x in (res.copies.precision, res.copies.recall, res.copies.f1)))
        table.add_row(f"stories (B-cubed){suffix}", *(f"{x:.3f}" for x in (res.stories.precision, res.stories.recall, res.stories.f1)))
    console.print(table)
    for label, its, res, _ in results:
        if kind != "news":
            continue
        console.print(f"[bold]{label or 'news'}[/]: copy pairs in one story {_ratio(res.copy_pairs_in_story)}; "
                      f"copy links right {_ratio(res.copy_links_right)}")
        kinds = links_by_kind(its, res.decisions)
        console.print("  copy links caught, by kind: " + ", ".join(f"{k} {c}/{t}" for k, (c, t) in sorted(kinds.items())))
        langs = by_language(its, res.decisions)
        console.print("  by language: " + "; ".join(
            f"{lang} n={n} stories F1 {p.f1:.3f} copy pairs in story {_ratio(cp)}" for lang, (n, p, cp) in langs.items()))
    res = results[0][2]
    dedup_s = sum(r[3] for r in results)
    console.print(
        f"embedding {1000 * (t1 - t0) / max(1, len(items)):.1f} ms/article "
        f"({'with' if mvecs is not None else 'without'} the multilingual encoder), "
        f"dedup {1000 * dedup_s / max(1, len(items) * len(results)):.2f} ms/article/run; "
        f"{sum(d.duplicate_of is not None for d in res.decisions)} copies, "
        f"{len({d.story_id for d in res.decisions})} stories; "
        f"{embedder.sentences} sentences embedded in {embedder.calls} alignment calls"
    )
    return 0
