"""Smoke run of the benchmark harness (bench/) on the demo site: it runs, and the JSON
it writes has every section and the keys docs/benchmarks.md reads.  No timing asserts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

STAGE_KEYS = {"fetch", "extract", "embed", "dedup", "classify", "store"}


def test_quick_run_writes_expected_json(tmp_path: Path) -> None:
    from bench.run import main

    out = tmp_path / "bench.json"
    assert main(["--quick", "--skip", "e2e,cli", "--out", str(out), "--workdir", str(tmp_path / "w")]) == 0
    res = json.loads(out.read_text())
    assert res["mode"] == "quick"
    assert res["e2e"] == {"skipped": True} and res["cli"] == {"skipped": True}
    stages = res["stages"]
    assert set(stages) >= STAGE_KEYS
    assert stages["fetch"]["items"] == stages["pages"] == 9
    assert stages["extract"]["articles"] == 9
    assert all(stages[k]["per_s"] > 0 for k in STAGE_KEYS)
    assert stages["dedup"]["copies"] >= 1, "the demo site carries one syndicated copy"
    q = res["scaling"]["query"]
    assert [p["articles"] for p in q] == [1_000, 5_000]
    assert all(p["view_rows"] == p["window_first_rows"] for p in q), "the rewrite must give the same answer"
    assert {"load_archive_s", "dedup_ms_per_article"} <= set(res["scaling"]["dedup"][0])


def test_compare_is_relative_to_the_naive_reference() -> None:
    from bench.e2e import compare

    naive = {"pages_per_s": 10.0}
    pipe = {"one": {"seconds": 1.0}, "all": {"seconds": 50.0, "stored": 400}, "noop": {"seconds": 0.5}}
    c = compare(naive, pipe, 600)
    assert c["pipeline_pages_per_s"] == 12.0
    assert c["ratio_vs_naive"] == 1.2
    assert c["pipeline_marginal_s"] == 49.0
    assert compare({"error": "x"}, pipe, 600) == {}


def test_compare_uses_the_alternating_rounds_when_present() -> None:
    from bench.e2e import compare

    pipe = {"one": {"seconds": 1.0}, "all": {"seconds": 50.0, "stored": 600}, "noop": {"seconds": 0.5},
            "naive_rounds": [{"seconds": 60.0}, {"seconds": 40.0}],
            "pipeline_rounds": [{"seconds": 50.0}, {"seconds": 50.0}]}
    c = compare({"pages_per_s": 1.0}, pipe, 600)  # the separate naive worker is not the reference then
    assert c["ratio_vs_naive"] == 1.0
    assert c["round_ratios"] == [1.2, 0.8]
    assert c["naive_pages_per_s"] == c["pipeline_pages_per_s"] == 12.0


def test_compare_reports_the_cpu_ceiling_of_the_cores() -> None:
    import os

    from bench.e2e import compare

    pipe = {"one": {"seconds": 1.0}, "all": {"seconds": 50.0, "stored": 600}, "noop": {"seconds": 0.5},
            "naive_rounds": [{"seconds": 40.0, "cpu_s": 60.0}, {"seconds": 40.0, "cpu_s": 62.0}],
            "pipeline_rounds": [{"seconds": 50.0, "cpu_s": 95.0}, {"seconds": 50.0, "cpu_s": 105.0}]}
    c = compare({"pages_per_s": 1.0}, pipe, 600)
    cores = os.cpu_count() or 1
    assert c["cores"] == cores and c["naive_cpu_s"] == 61.0 and c["pipeline_cpu_s"] == 100.0
    # no schedule on these cores runs 100 CPU seconds in less than 100 / cores seconds of wall time
    assert c["ratio_ceiling"] == round(cores * 40.0 / 100.0, 3)
    # rounds measured without CPU times (older JSON) give no ceiling
    del pipe["naive_rounds"][0]["cpu_s"], pipe["naive_rounds"][1]["cpu_s"]
    assert "ratio_ceiling" not in compare({"pages_per_s": 1.0}, pipe, 600)


def test_tree_cpu_counts_a_busy_child_process() -> None:
    import subprocess
    import sys
    import time

    from bench.e2e import tree_cpu_s

    before = tree_cpu_s()
    child = subprocess.Popen([sys.executable, "-c", "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0: pass\ntime.sleep(30)"])
    try:
        # this process sleeps meanwhile: what is counted is the child's second of CPU, while it is alive
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:
            time.sleep(3.0)
            if tree_cpu_s() - before >= 0.9:
                break
        assert child.poll() is None and tree_cpu_s() - before >= 0.9
    finally:
        child.kill()
        child.wait()
