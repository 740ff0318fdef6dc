"""Readers for the extraction benchmarks in ../shared/data/extraction (both formats).

- ScrapingHub: ``ground-truth.json`` = ``{id: {url, articleBody}}`` and ``html/<id>.html.gz``.
- WCXB: ``ground-truth/<id>.json`` → ``ground_truth.main_content`` (+ ``publish_date``) and
  ``html/<id>.html.gz``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True, slots=True)
class GoldPage:
    """One benchmark page: its HTML and what should be extracted from it."""

    page_id: str
    url: str
    html_path: Path
    text: str
    published: date | None = None

    def html(self) -> str:
        return gzip.decompress(self.html_path.read_bytes()).decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class GoldSet:
    name: str
    pages: tuple[GoldPage, ...]


def _date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def read_scrapinghub(folder: Path) -> GoldSet:
    gt = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [
        GoldPage(pid, item.get("url", ""), folder / "html" / f"{pid}.html.gz", item.get("articleBody") or "")
        for pid, item in sorted(gt.items())
        if (folder / "html" / f"{pid}.html.gz").is_file()
    ]
    return GoldSet(folder.name, tuple(pages))


def read_wcxb(folder: Path) -> GoldSet:
    pages = []
    for path in sorted((folder / "ground-truth").glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        html_path = folder / "html" / f"{path.stem}.html.gz"
        gt = item.get("ground_truth") or {}
        if not html_path.is_file() or not gt.get("main_content"):
            continue
        pages.append(GoldPage(path.stem, item.get("url", ""), html_path, gt["main_content"],
                              _date(gt.get("publish_date"))))
    return GoldSet(folder.name, tuple(pages))


def find_sets(directory: Path) -> Iterator[GoldSet]:
    """Every benchmark set in ``directory`` (itself a set, or a folder of sets)."""
    candidates = [directory, *sorted(p for p in directory.iterdir() if p.is_dir())] if directory.is_dir() else []
    for folder in candidates:
        if (folder / "ground-truth.json").is_file():
            yield read_scrapinghub(folder)
        elif (folder / "ground-truth").is_dir():
            yield read_wcxb(folder)


def subset(gold: GoldSet, n: int) -> GoldSet:
    """A fixed, evenly spread subset of ``n`` pages (deterministic, for fast gates)."""
    if n >= len(gold.pages):
        return gold
    step = len(gold.pages) / n
    return GoldSet(gold.name, tuple(gold.pages[int(i * step)] for i in range(n)))
