"""bench/extraction_ceiling.py: the oracle line filter and block add, and a run on pages written here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bench.extraction_ceiling import main, oracle_add, oracle_filter, run

GOLD = ("Rare earth magnet exports fell sharply in October after new licence rules took effect. "
        "Carmakers in Europe said their suppliers were running down stocks.")


def test_oracle_filter_keeps_only_lines_mostly_in_the_ground_truth() -> None:
    lines = ["Rare earth magnet exports fell sharply in October after new licence rules took effect.",
             "Sign up for our newsletter and never miss a story",
             "Carmakers in Europe said their suppliers were running down stocks, analysts said."]
    assert oracle_filter(lines, GOLD) == [lines[0], lines[2]]


def test_oracle_add_appends_missing_gold_blocks_once() -> None:
    kept = ["Rare earth magnet exports fell sharply in October after new licence rules took effect."]
    blocks = [kept[0], "Carmakers in Europe said their suppliers were running down stocks.",
              "Carmakers in Europe said their suppliers were running down stocks.", "Most read: ten gadgets"]
    assert oracle_add(kept, blocks, GOLD) == [kept[0], blocks[1]]


def test_skips_cleanly_when_the_data_is_absent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(tmp_path / "absent")]) == 0
    assert "skipped" in capsys.readouterr().out


def _page(i: int) -> tuple[str, str]:
    body = [f"Paragraph {j} of story {i}: officials in Beijing extended the export licence regime to more "
            f"rare earth elements, and buyers in Tokyo reported delays of {j + 2} weeks." for j in range(6)]
    html = ("<html><head><title>Story {i}</title></head><body><nav><a href='/'>Home</a></nav><article>"
            "<h1>Story {i}</h1>{paras}</article><aside><h3>Related</h3><ul>{links}</ul></aside>"
            "<footer>Subscribe to our newsletter today for free updates.</footer></body></html>").format(
        i=i, paras="".join(f"<p>{p}</p>" for p in body),
        links="".join(f"<li><a href='/s{k}'>Another headline number {k}</a></li>" for k in range(5)))
    return html, "\n".join(body)


def test_run_measures_shipped_oracle_and_learned_on_written_pages(tmp_path: Path) -> None:
    folder = tmp_path / "written"
    (folder / "html").mkdir(parents=True)
    truth = {}
    for i in range(6):
        html, gold = _page(i)
        (folder / "html" / f"p{i}.html.gz").write_bytes(gzip.compress(html.encode()))
        truth[f"p{i}"] = {"url": f"https://example.test/story/{i}", "articleBody": gold}
    (folder / "ground-truth.json").write_text(json.dumps(truth))
    res = run(tmp_path, workers=1)
    assert res["pages"] == {"written": 6}
    shipped, oracle = res["shipped"]["written"], res["oracle_filter"]["written"]
    assert 0.8 < shipped <= oracle <= res["oracle_filter_add"]["written"] <= 1.0
    for by_threshold in res["learned_filter"].values():
        assert all(0.0 <= v["written"] <= 1.0 for v in by_threshold.values())
