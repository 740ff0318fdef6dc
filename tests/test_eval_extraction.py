"""`reewatch eval extraction` on small benchmark sets this test writes in both formats."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from reewatch.cli import app
from reewatch.evaluate.extraction import METHODS, OURS, SetResult, gains
from reewatch.evaluate.metrics import Summary

runner = CliRunner()

ARTICLES = {
    "magnets": [
        "China's commerce ministry said exporters of rare earth magnets must now apply for a licence for "
        "every shipment, and carmakers in Europe warned that production lines could stop within weeks.",
        "Customs data showed magnet exports fell by more than half in May, the steepest drop since the "
        "records began, as licences were issued slowly and only to a handful of producers.",
        "Industry groups in Germany and Japan asked their governments to press Beijing for a faster "
        "approval process, saying stockpiles at parts suppliers would last a month at most.",
    ],
    "refinery": [
        "A new rare earth separation plant in Texas started its first production line on Monday, the "
        "operator said, with output of neodymium and praseodymium oxide planned for the autumn.",
        "The plant will process concentrate from a mine in California that has until now shipped most of "
        "its ore to China for refining, according to the company's annual report.",
        "Analysts said the plant's capacity covers only a small share of the magnets American factories "
        "use each year, but that it shortens the chain for defence contractors.",
    ],
}
COMMENTS = [
    "Great article, thanks for writing it up, I have been following this story all year long.",
    "I disagree completely with the analysts quoted here, the capacity numbers look far too low to me.",
    "Does anyone know where the customs figures come from? I could not find them on the ministry site.",
]


def _page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    comments = "".join(f'<div class="comment"><p>{c}</p></div>' for c in COMMENTS)
    return (
        f"<html lang='en'><head><title>{title}</title>"
        "<meta property='article:published_time' content='2025-06-09T08:00:00+00:00'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/markets'>Markets</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        f"<section id='comments' class='comments'><h3>Comments</h3>{comments}</section>"
        "<footer>Copyright Example News. All rights reserved.</footer></body></html>"
    )


def _write_sets(root: Path) -> None:
    sh = root / "scrapinghub"
    (sh / "html").mkdir(parents=True)
    truth = {}
    for pid, paragraphs in ARTICLES.items():
        (sh / "html" / f"{pid}.html.gz").write_bytes(gzip.compress(_page(pid.title(), paragraphs).encode()))
        truth[pid] = {"url": f"https://news.example/{pid}", "articleBody": "\n".join(paragraphs)}
    (sh / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")

    wcxb = root / "wcxb-mini"
    (wcxb / "html").mkdir(parents=True)
    (wcxb / "ground-truth").mkdir()
    for pid, paragraphs in ARTICLES.items():
        (wcxb / "html" / f"{pid}.html.gz").write_bytes(gzip.compress(_page(pid.title(), paragraphs).encode()))
        item = {"url": f"https://blog.example/{pid}",
                "ground_truth": {"main_content": "\n".join(paragraphs), "publish_date": "2025-06-09"}}
        (wcxb / "ground-truth" / f"{pid}.json").write_text(json.dumps(item), encoding="utf-8")


def test_eval_extraction_prints_every_method_and_the_gain_over_the_strongest(tmp_path: Path) -> None:
    _write_sets(tmp_path)
    result = runner.invoke(app, ["eval", "extraction", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in ("scrapinghub", "wcxb-mini"):
        for method in METHODS:
            assert any(ln.startswith(f"{name} {method}: pages=2 ") for ln in lines), (name, method, result.output)
        gain = [ln for ln in lines if ln.startswith(f"{name}: reewatch vs strongest trafilatura (")]
        assert len(gain) == 1, result.output
        assert "shingle F1 mean" in gain[0] and "bag F1 mean" in gain[0]
    # the pages carry a reader-comment thread: only the all-defaults run keeps it
    assert _shingle_mean(lines, "scrapinghub trafilatura default (keeps comments)") < _shingle_mean(
        lines, "scrapinghub trafilatura comments-off")
    wcxb_ours = next(ln for ln in lines if ln.startswith("wcxb-mini reewatch:"))
    assert "date found=100.0% same_day=100.0%" in wcxb_ours
    assert "date found" not in next(ln for ln in lines if ln.startswith("wcxb-mini trafilatura comments-off:"))


def _shingle_mean(lines: list[str], prefix: str) -> float:
    line = next(ln for ln in lines if ln.startswith(f"{prefix}: "))
    return float(line.split("shingle_f1 mean=")[1].split()[0])


def test_eval_extraction_without_sets_fails_cleanly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "extraction", str(tmp_path)])
    assert result.exit_code == 2
    assert "no benchmark set found" in result.output


def _result(name: str, method: str, shingle: float, bag: float) -> SetResult:
    return SetResult(name, method, Summary(10, bag, bag), Summary(10, shingle, shingle), 1.0, 0, 0, 0)


def test_gain_is_taken_against_the_strongest_trafilatura_method_per_set() -> None:
    results = [
        _result("a", OURS, 0.95, 0.96),
        _result("a", "trafilatura comments-off", 0.94, 0.95),
        _result("a", "trafilatura comments-off+favor_recall", 0.945, 0.955),
        _result("a", "trafilatura default (keeps comments)", 0.93, 0.94),
        _result("b", OURS, 0.90, 0.91),
        _result("b", "trafilatura comments-off", 0.92, 0.93),
        _result("b", "trafilatura comments-off+favor_recall", 0.92, 0.925),
        _result("c", OURS, 0.90, 0.91),  # no baseline on this set: no gain line
    ]
    by_set = {g.name: g for g in gains(results)}
    assert set(by_set) == {"a", "b"}
    assert by_set["a"].baseline == "trafilatura comments-off+favor_recall"
    assert abs(by_set["a"].shingle_mean - 0.005) < 1e-9 and abs(by_set["a"].bag_mean - 0.005) < 1e-9
    assert by_set["b"].baseline == "trafilatura comments-off"  # a tie goes to the first listed
    assert by_set["b"].shingle_mean < 0
