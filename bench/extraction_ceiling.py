"""How far can line- and block-level cleaning take our extraction?  ``python -m bench.extraction_ceiling``

For every page of ../shared/data/extraction (skipped cleanly when absent) it runs the shipped extractor,
then measures, per set, the 4-gram shingle F1 mean (the eval's metric) of:

- **shipped**: ``extract_article`` as it is;
- **oracle filter**: the shipped text with every line dropped whose word tokens are mostly (< 50 %) not
  in the ground truth — the best any line filter could do;
- **oracle filter + add**: also appending every page block (``p``, ``li``, headings, table cells, …)
  the text lacks whose tokens are mostly in the ground truth — roughly the best a block scorer over
  the DOM could do starting from our text;
- **learned filter**: a gradient-boosted classifier over 105 features of each line, 22 from its text and 83 from its element (length,
  position, capitals, punctuation, tag, link share, class/id tokens of its ancestors, inside the main
  container or not, …), labelled with the oracle's keep/drop and trained with 2-fold cross-validation
  *by page* (a page's lines are only ever scored by a model that never saw that page), each line's
  weight its token count.  A line is dropped when the model's keep probability is under the threshold.

This is the experiment behind docs/extraction.md's "What is left"; it asserts nothing.  About a
minute on 2 cores.  Reads the data, never copies it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.stages import REPO
from core.text import tokens
from extract.article import SENTENCE_END_RE

DATA = REPO.parent / "shared" / "data" / "extraction"
# A line (or block) belongs to the article when at least this share of its tokens is in the ground truth.
KEEP_SHARE = 0.5
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
SEEDS = (0, 1)
BLOCK_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "pre", "dd", "dt",
              "figcaption")
CLASS_TOKENS = ("related", "promo", "footer", "sidebar", "newsletter", "author", "bio", "caption", "share", "social",
                "teaser", "card", "widget", "ad", "recommend", "more", "tag", "byline", "meta", "article", "content",
                "body", "story", "post", "entry", "text", "comment", "list", "item", "title", "head", "summary",
                "credit", "media", "image", "photo", "gallery", "quote", "box", "embed", "cta", "subscribe",
                "disclaimer", "legal", "copyright", "nav", "menu", "breadcrumb", "date", "main")
ELEMENT_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "td", "div", "span", "a", "figcaption", "blockquote", "pre",
                "strong", "em")
ANCESTOR_TAGS = ("article", "aside", "footer", "header", "nav", "figure", "form", "ul", "ol", "table", "main",
                 "section")
_SPLIT = re.compile(r"[^a-z]+")


def mostly_in(text: str, gold: Counter[str]) -> bool:
    """At least KEEP_SHARE of ``text``'s tokens (as a multiset) are in ``gold``."""
    toks = Counter(tokens(text))
    inside = sum(min(n, gold[t]) for t, n in toks.items())
    return inside >= KEEP_SHARE * max(sum(toks.values()), 1)


def oracle_filter(lines: list[str], gold_text: str) -> list[str]:
    """The lines a perfect line filter keeps."""
    gold = Counter(tokens(gold_text))
    return [line for line in lines if tokens(line) and mostly_in(line, gold)]


def oracle_add(kept: list[str], blocks: list[str], gold_text: str) -> list[str]:
    """``kept`` plus the page blocks it lacks that are mostly ground truth not yet covered."""
    left = Counter(tokens(gold_text)) - Counter(t for line in kept for t in tokens(line))
    joined = " " + " ".join(" ".join(line.split()) for line in kept) + " "
    out = list(kept)
    for block in blocks:
        if f" {block} " in joined or not tokens(block) or not mostly_in(block, left):
            continue
        out.append(block)
        left -= Counter(tokens(block))
    return out


def _key(text: str) -> str:
    return " ".join(text.split())


def _text_features(lines: list[str], title: str) -> list[list[float]]:
    n, lens = len(lines), [len(line) for line in lines]
    total, title_toks = max(sum(lens), 1), set(tokens(title))
    out, seen = [], 0
    for i, line in enumerate(lines):
        words = line.split() or [""]
        letters = [c for c in line if c.isalpha()] or [" "]
        toks = set(tokens(line))
        out.append([
            math.log1p(len(line)), len(words), float(bool(SENTENCE_END_RE.search(line[-3:]))),
            len(SENTENCE_END_RE.findall(line)), sum(w[:1].isupper() for w in words) / len(words),
            sum(c.isdigit() for c in line) / max(len(line), 1), sum(c.isupper() for c in letters) / len(letters),
            float(line.startswith("- ")), float("|" in line), i / max(n - 1, 1), min(i, 20), min(n - 1 - i, 20),
            seen / total, math.log1p(lens[i - 1]) if i else -1.0, math.log1p(lens[i + 1]) if i + 1 < n else -1.0,
            sum(x < 60 for x in lens) / n, math.log1p(n), math.log1p(total),
            len(toks & title_toks) / max(len(toks), 1) if title_toks else -1.0, float(line.rstrip().endswith("?")),
            float(":" in line[:40]), float(line.rstrip().endswith(":")),
        ])
        seen += len(line)
    return out


def _dom_features(lines: list[str], tree: Any) -> list[list[float]]:
    body = tree.find(".//body")
    body = body if body is not None else tree
    by_text = {}
    for el in body.iter():
        if isinstance(el.tag, str) and (k := _key(el.text_content())) and len(k) < 5000:
            by_text[k] = el  # document order: the deepest element with that text wins
    els = []
    for line in lines:
        el = by_text.get(_key(line.lstrip("- ")))
        els.append(el if el is not None else by_text.get(_key(line)))
    weight: dict[Any, int] = {}
    for line, el in zip(lines, els, strict=True):
        for a in el.iterancestors() if el is not None else ():
            weight[a] = weight.get(a, 0) + len(line)
    half = 0.5 * sum(len(line) for line in lines)
    main = max((a for a, w in weight.items() if w >= half), key=lambda a: sum(1 for _ in a.iterancestors()),
               default=None)
    main_depth = sum(1 for _ in main.iterancestors()) if main is not None else 0
    width = 1 + len(ELEMENT_TAGS) + len(CLASS_TOKENS) + len(ANCESTOR_TAGS) + 5
    out = []
    for line, el in zip(lines, els, strict=True):
        if el is None:
            out.append([0.0] + [-1.0] * (width - 1))
            continue
        ancestors = list(el.iterancestors())
        words: set[str] = set()
        for a in [el, *ancestors[:5]]:
            words.update(_SPLIT.split(f"{a.get('class') or ''} {a.get('id') or ''}".lower()))
        tags = {str(a.tag) for a in ancestors}
        parent = el.getparent()
        links = sum(len(_key(a.text_content())) for a in el.iter("a"))
        out.append([1.0, *(float(el.tag == t) for t in ELEMENT_TAGS), *(float(t in words) for t in CLASS_TOKENS),
                    *(float(t in tags) for t in ANCESTOR_TAGS), links / max(len(line), 1), len(ancestors),
                    float(main is not None and (el is main or main in ancestors)),
                    math.log1p(sum(1 for s in parent if s.tag == el.tag)) if parent is not None else 0.0,
                    float(len(ancestors) - main_depth) if main is not None else -1.0])
    return out


def page_record(job: tuple[str, str, str, str]) -> dict[str, Any]:
    """Extract one page and describe its lines and blocks (runs in a worker process)."""
    from lxml import etree
    from trafilatura.utils import load_html

    from core.records import Article
    from extract.article import DEAD_WEIGHT_TAGS, extract_article
    from extract.metadata import page_meta

    set_name, url, path, gold = job
    html = gzip.decompress(Path(path).read_bytes()).decode("utf-8", errors="replace")
    fetched = datetime(2026, 12, 1, tzinfo=UTC)
    art = extract_article(html, url=url, source="bench", fetched_at=fetched, keep_raw_html=False)
    text = art.text if isinstance(art, Article) else ""
    lines = [line for line in text.split("\n") if line.strip()]
    tree = load_html(html)
    feats: list[list[float]] = []
    blocks: list[str] = []
    if tree is not None:
        title = page_meta(tree, url, fetched).title or ""
        etree.strip_elements(tree, *DEAD_WEIGHT_TAGS, with_tail=False)
        feats = [a + b for a, b in zip(_text_features(lines, title), _dom_features(lines, tree), strict=True)]
        blocks = [k for el in tree.iter(*BLOCK_TAGS) if (k := _key(el.text_content()))]
    return {"set": set_name, "gold": gold, "text": text, "lines": lines, "features": feats, "blocks": blocks}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def learned_filter(pages: list[dict[str, Any]], seed: int, thresholds: tuple[float, ...]) -> dict[float, dict[str, float]]:
    """Cross-validated (2 folds by page) learned line filter: shingle F1 mean per threshold and set."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    from reewatch.evaluate.metrics import shingle_f1

    rows, labels, weights, folds, owner = [], [], [], [], []
    for i, page in enumerate(pages):
        gold = Counter(tokens(page["gold"]))
        fold = zlib.crc32(f"{page['gold'][:200]}{seed}".encode()) % 2
        for line, feat in zip(page["lines"], page["features"], strict=True):
            rows.append(feat)
            labels.append(int(mostly_in(line, gold)))
            weights.append(max(len(tokens(line)), 1))
            folds.append(fold)
            owner.append(i)
    x, y, w, f = np.array(rows), np.array(labels), np.array(weights, float), np.array(folds)
    prob = np.zeros(len(y))
    for k in (0, 1):
        model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=15,
                                               min_samples_leaf=40, random_state=seed)
        model.fit(x[f != k], y[f != k], sample_weight=w[f != k])
        prob[f == k] = model.predict_proba(x[f == k])[:, 1]
    starts, at = [], 0
    for page in pages:
        starts.append(at)
        at += len(page["lines"])
    out: dict[float, dict[str, float]] = {}
    for thr in thresholds:
        per_set: dict[str, list[float]] = {}
        for page, start in zip(pages, starts, strict=True):
            kept = [line for j, line in enumerate(page["lines"]) if prob[start + j] >= thr]
            per_set.setdefault(page["set"], []).append(shingle_f1("\n".join(kept), page["gold"]))
        out[thr] = {s: _mean(v) for s, v in per_set.items()}
    return out


def run(data: Path = DATA, workers: int = 2) -> dict[str, Any]:
    from reewatch.evaluate.extraction_data import find_sets
    from reewatch.evaluate.metrics import shingle_f1

    jobs = [(g.name, p.url, str(p.html_path), p.text) for g in find_sets(data) for p in g.pages]
    with ProcessPoolExecutor(workers) as ex:
        pages = list(ex.map(page_record, jobs, chunksize=8))
    result: dict[str, Any] = {"pages": {}, "shipped": {}, "oracle_filter": {}, "oracle_filter_add": {}}
    for name in sorted({p["set"] for p in pages}):
        mine = [p for p in pages if p["set"] == name]
        kept = [oracle_filter(p["lines"], p["gold"]) for p in mine]
        result["pages"][name] = len(mine)
        result["shipped"][name] = _mean([shingle_f1(p["text"], p["gold"]) for p in mine])
        result["oracle_filter"][name] = _mean([shingle_f1("\n".join(k), p["gold"]) for k, p in zip(kept, mine, strict=True)])
        result["oracle_filter_add"][name] = _mean([
            shingle_f1("\n".join(oracle_add(k, p["blocks"], p["gold"])), p["gold"]) for k, p in zip(kept, mine, strict=True)])
    result["learned_filter"] = {str(seed): {str(t): v for t, v in learned_filter(pages, seed, THRESHOLDS).items()}
                                for seed in SEEDS}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of extraction sets (default ../shared/data/extraction)")
    parser.add_argument("--out", type=Path, help="also write the numbers as JSON here")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"skipped: {args.data} is absent (the extraction benchmark sets live there)")
        return 0
    res = run(args.data)
    sets = sorted(res["pages"])
    print("shingle F1 mean".ljust(34) + "".join(f"{s} ({res['pages'][s]})".rjust(22) for s in sets))
    for label, key in (("shipped", "shipped"), ("oracle line filter", "oracle_filter"),
                       ("oracle line filter + block add", "oracle_filter_add")):
        print(label.ljust(34) + "".join(f"{res[key][s]:.4f}".rjust(22) for s in sets))
    for seed, by_thr in res["learned_filter"].items():
        for thr, vals in by_thr.items():
            print(f"learned filter, seed {seed}, p<{thr}".ljust(34) + "".join(f"{vals[s]:.4f}".rjust(22) for s in sets))
    if args.out:
        args.out.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
