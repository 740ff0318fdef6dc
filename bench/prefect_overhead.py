"""Prefect overhead: the same N articles through the ingest flow and through the stage
functions called directly (target: the flow ≤ 10 % slower), and the start time of
`reewatch run` with a warm PREFECT_HOME (target ≤ 20 s).

    .venv/bin/python bench/prefect_overhead.py --n 1000
    .venv/bin/python bench/prefect_overhead.py --n 1000 --startup

The articles are synthetic pages written here (original prose from templates), served on
127.0.0.1; both paths start from an empty database with the model already loaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from reewatch import prefect_env  # noqa: E402

SUBJECTS = ("Port authorities", "Magnet makers", "Trade ministers", "Battery plants", "Smelters", "Carmakers")
VERBS = ("report", "warn of", "expect", "announce", "deny", "plan")
OBJECTS = ("longer licence queues", "new export paperwork", "a stockpile review", "higher oxide prices",
           "a second refinery", "delayed shipments")


def page(i: int) -> str:
    s, v, o = SUBJECTS[i % 6], VERBS[(i // 6) % 6], OBJECTS[(i // 36) % 6]
    title = f"{s} {v} {o} (item {i})"
    paras = "".join(
        f"<p>{s} in region {i % 17} {v} {o}; analysts counted {i * 7 % 101} cases in week {j} and said the "
        f"figure for district {i % 23} rose by {j * 3 + i % 11} percent compared with the previous survey.</p>"
        for j in range(6)
    )
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paras}"
            f"</article></body></html>")


def write_site(root: Path, n: int) -> None:
    items = []
    for i in range(n):
        (root / f"a{i}.html").write_text(page(i), encoding="utf-8")
        items.append(f"<item><title>item {i}</title><link>{{base}}/a{i}.html</link></item>")
    (root / "empty.xml").write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>empty</title></channel></rss>", encoding="utf-8"
    )
    (root / "feed.xml").write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>bench</title>" + "".join(items) + "</channel></rss>",
        encoding="utf-8",
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--startup", action="store_true", help="also time `reewatch run` start (warm PREFECT_HOME)")
    ap.add_argument("--keep", action="store_true", help="keep the working directory (databases, site) for inspection")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reewatch-bench-"))
    try:
        measure(work, args)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, args: argparse.Namespace) -> None:
    prefect_env.prepare(work)

    from flows.ingest import ingest_flow
    from pipeline.ingest import run_ingest
    from pipeline.plan import DIRECT_STAGES, IngestPlan
    from pipeline.settings import load_settings
    from reewatch.demo.server import serve_site
    from triage.embed import load_model

    (work / "site").mkdir()
    write_site(work / "site", args.n)
    s = load_settings(db=work / "x.duckdb")
    load_model(s.model)
    with serve_site(work / "site") as base:
        feed = f"{base}/feed.xml"
        limit = {"REEWATCH_FETCH__MAX_LINKS_PER_SOURCE": str(args.n), "REEWATCH_FETCH__PER_HOST": "8"}
        os.environ.update(limit)
        t0 = time.perf_counter()
        direct = run_ingest(IngestPlan.from_settings(load_settings(db=work / "direct.duckdb"), [feed]),
                            stages=DIRECT_STAGES)
        t_direct = time.perf_counter() - t0
        load_direct = load()
        ingest_flow(db=str(work / "warm.duckdb"), feeds=[f"{base}/missing.xml"])  # start Prefect first
        t0 = time.perf_counter()
        flowed = ingest_flow(db=str(work / "flow.duckdb"), feeds=[feed])
        t_flow = time.perf_counter() - t0
        load_flow = load()
        print(f"articles stored: direct {direct.stored}, flow {flowed.stored}")
        print(f"direct stage calls: {t_direct:.2f} s (load {load_direct}); through the flow: {t_flow:.2f} s "
              f"(load {load_flow}); overhead {100 * (t_flow / t_direct - 1):+.1f} % (target ≤ +10 %)")
        if args.startup:
            startup(work, f"{base}/empty.xml")


def load() -> str:
    """The 1/5/15-minute load averages (other jobs on the machine skew every timing)."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def startup(work: Path, empty_feed: str) -> None:
    """Wall time of `reewatch run` on an empty feed, twice (the second with a warm PREFECT_HOME)."""
    exe = str(Path(sys.executable).with_name("reewatch"))
    env = dict(os.environ, REEWATCH_DATA_DIR=str(work / "cli"))
    env.pop("PREFECT_HOME", None)
    for label in ("cold", "warm"):
        t0 = time.perf_counter()
        done = subprocess.run([exe, "run", "--db", str(work / "cli.duckdb"), "--feed", empty_feed,
                               "--no-digest"], env=env, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"`reewatch run` failed (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        print(f"`reewatch run` start ({label} PREFECT_HOME): {time.perf_counter() - t0:.1f} s "
              f"(load {load()}; target ≤ 20 s warm)")


if __name__ == "__main__":
    main()
