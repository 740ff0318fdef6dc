"""`reewatch eval extraction DIR`: our extraction against trafilatura on labelled pages.

The baselines are trafilatura's own article settings: comments off (the reader comments are
not the article, and the ground truths leave them out), balanced and ``favor_recall``; its
all-defaults run, which keeps comments, is printed as well, labelled so.  Per set: bag F1
and 4-gram shingle F1 (mean, median), published-date found / same-day rates where the
ground truth has a date, CPU ms/page (median, process time of everything the method does,
HTML already decompressed in memory), and reewatch's gain over the strongest baseline.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from core.records import Article
from extract.article import extract_article
from extract.dates import to_utc
from extract.metadata import page_meta
from reewatch.evaluate.extraction_data import GoldSet, find_sets, subset
from reewatch.evaluate.metrics import Summary, bag_f1, shingle_f1, summarize

# Every benchmark page was crawled before today, so "now" stands in for "fetched at"
# (WCXB pages carry dates up to March 2026: an earlier fixed date would reject them as future).
EVAL_FETCHED_AT = datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str
    published: datetime | None = None


Extractor = Callable[[str, str], Extracted]


@dataclass(frozen=True, slots=True)
class SetResult:
    name: str
    method: str
    bag: Summary
    shingle: Summary
    ms_median: float
    dated: int  # pages whose ground truth has a date
    date_found: int
    date_same_day: int

    @property
    def date_found_rate(self) -> float:
        return self.date_found / self.dated if self.dated else float("nan")

    @property
    def date_same_day_rate(self) -> float:
        return self.date_same_day / self.dated if self.dated else float("nan")


def ours(html: str, url: str) -> Extracted:
    """The shipped extractor (``extract_article``)."""
    result = extract_article(html, url=url, source="eval", fetched_at=EVAL_FETCHED_AT, keep_raw_html=False)
    if isinstance(result, Article):
        return Extracted(result.text, result.published_at)
    return Extracted("")


def trafilatura_with(*, include_comments: bool = True, favor_recall: bool = False) -> Extractor:
    """``trafilatura.extract(html, url=url, ...)`` with these options, the others at their defaults."""
    import trafilatura

    def extract(html: str, url: str) -> Extracted:
        text = trafilatura.extract(html, url=url, include_comments=include_comments, favor_recall=favor_recall)
        return Extracted(text or "")

    return extract


OURS = "reewatch"
METHODS: dict[str, Extractor] = {
    OURS: ours,
    "trafilatura comments-off": trafilatura_with(include_comments=False),
    "trafilatura comments-off+favor_recall": trafilatura_with(include_comments=False, favor_recall=True),
    "trafilatura default (keeps comments)": trafilatura_with(),
}


@dataclass(frozen=True, slots=True)
class Gain:
    """reewatch minus the trafilatura method with the highest shingle F1 mean on one set."""

    name: str
    baseline: str
    shingle_mean: float
    shingle_median: float
    bag_mean: float


def gains(results: list[SetResult]) -> list[Gain]:
    """Per set, reewatch against its strongest trafilatura method (by shingle F1 mean)."""
    out: list[Gain] = []
    for name in dict.fromkeys(r.name for r in results):
        mine = [r for r in results if r.name == name and r.method == OURS]
        others = [r for r in results if r.name == name and r.method.startswith("trafilatura")]
        if not mine or not others:
            continue
        best = max(others, key=lambda r: r.shingle.mean)
        out.append(Gain(name, best.method, mine[0].shingle.mean - best.shingle.mean,
                        mine[0].shingle.median - best.shingle.median, mine[0].bag.mean - best.bag.mean))
    return out


def same_day(published: datetime, gold: date, html: str, url: str) -> bool:
    """Our UTC time falls on the ground truth's day, in UTC or in the page's own tagged offset.

    The ground truth gives the day as the page shows it (local time); a post at 21:00 -05:00 is the
    next day in UTC.  The page's offset is read again here (outside the timing) only for the
    published time we stored, so this never credits a different date.
    """
    if published.date() == gold:
        return True
    from trafilatura.utils import load_html

    tree = load_html(html)
    local = page_meta(tree, url, EVAL_FETCHED_AT, date_heuristics=False).published_local if tree is not None else None
    return local is not None and to_utc(local) == published and local.date() == gold


def evaluate_set(gold: GoldSet, method: str, extractor: Extractor, progress: Progress | None = None) -> SetResult:
    bags: list[float] = []
    shingles: list[float] = []
    ms: list[float] = []
    dated = found = same = 0
    task = progress.add_task(f"{gold.name} · {method}", total=len(gold.pages)) if progress else None
    for page in gold.pages:
        html = page.html()
        out = _timed(extractor, html, page.url, ms)
        bags.append(bag_f1(out.text, page.text))
        shingles.append(shingle_f1(out.text, page.text))
        if page.published is not None:
            dated += 1
            if out.published is not None:
                found += 1
                same += same_day(out.published, page.published, html, page.url)
        if progress is not None and task is not None:
            progress.advance(task)
    return SetResult(gold.name, method, summarize(bags), summarize(shingles), statistics.median(ms) if ms else 0.0,
                     dated, found, same)


def _timed(extractor: Extractor, html: str, url: str, ms: list[float]) -> Extracted:
    start = time.process_time()  # CPU time: the machine is shared, wall time measures the neighbours too
    out = extractor(html, url)
    ms.append((time.process_time() - start) * 1000)
    return out


def _pct(value: float) -> str:
    return "–" if value != value else f"{100 * value:.1f}%"


def results_table(results: list[SetResult]) -> Table:
    table = Table(title="extraction quality (shingle = 4-gram shingle F1)")
    for col in ("set", "method", "pages", "bag F1 mean", "bag F1 median", "shingle mean", "shingle median",
                "date found", "same day", "CPU ms/page (median)"):
        table.add_column(col, justify="left" if col in ("set", "method") else "right")
    for r in results:
        table.add_row(r.name, r.method, str(r.shingle.n), f"{r.bag.mean:.4f}", f"{r.bag.median:.4f}",
                      f"{r.shingle.mean:.4f}", f"{r.shingle.median:.4f}",
                      _pct(r.date_found_rate) if r.method == OURS else "–",
                      _pct(r.date_same_day_rate) if r.method == OURS else "–", f"{r.ms_median:.1f}")
    return table


def run(directory: Path, *, limit: int | None = None, methods: dict[str, Extractor] | None = None,
        console: Console | None = None) -> list[SetResult]:
    """Evaluate every set found in ``directory`` with each method."""
    results: list[SetResult] = []
    with Progress(console=console, transient=True, disable=console is None) as progress:
        for gold in find_sets(directory):
            chosen = subset(gold, limit) if limit else gold
            for name, extractor in (methods or METHODS).items():
                results.append(evaluate_set(chosen, name, extractor, progress))
    return results


def main(directory: Path, console: Console, limit: int | None = None) -> int:
    if not directory.is_dir():
        console.print(f"[red]{directory} is not a folder[/]; pass e.g. ../shared/data/extraction")
        return 2
    results = run(directory, limit=limit, console=console)
    if not results:
        console.print(f"[red]no benchmark set found in {directory}[/] (expected ground-truth.json or ground-truth/)")
        return 2
    console.print(results_table(results))
    for r in results:  # the same numbers unabridged, for narrow terminals and logs
        console.print(f"{r.name} {r.method}: pages={r.shingle.n} bag_f1 mean={r.bag.mean:.4f} "
                      f"median={r.bag.median:.4f} shingle_f1 mean={r.shingle.mean:.4f} median={r.shingle.median:.4f} "
                      + (f"date found={_pct(r.date_found_rate)} same_day={_pct(r.date_same_day_rate)} "
                         if r.method == OURS else "")
                      + f"cpu_ms_median={r.ms_median:.1f}", soft_wrap=True, highlight=False)
    for g in gains(results):
        baseline = g.baseline.removeprefix("trafilatura ")
        console.print(f"{g.name}: reewatch vs strongest trafilatura ({baseline}): {g.shingle_mean:+.4f} shingle F1 mean, "
                      f"{g.shingle_median:+.4f} median, {g.bag_mean:+.4f} bag F1 mean", soft_wrap=True, highlight=False)
    return 0
