"""One command for every benchmark: ``python -m bench.run [--quick] [--out docs/benchmarks.json]``.

``--quick`` uses the 9-page demo site and small scaling points (a minute or so);
the full run uses the 600 real pages from ../shared/data/extraction (about 10 minutes on
2 cores).  ``--skip e2e,cli`` leaves sections out (the smoke test skips the Prefect ones).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.stages import N_PAGES, REPO, demo_pages, real_pages, run_stages

SECTIONS = ("stages", "e2e", "cli", "scaling")
# Scaling points.  Query points are cheap (SQL fills); dedup points pay one HNSW insert
# per stored article in load_archive (~1-4 ms each on the 2 shared cores), so they stop
# at 25k (above triage.archive.EXACT_BELOW = 20k, where the approximate search starts).
FULL_QUERY_SIZES = [10_000, 100_000, 1_000_000]
FULL_DEDUP_SIZES = [5_000, 10_000, 25_000]
QUICK_QUERY_SIZES = [1_000, 5_000]
QUICK_DEDUP_SIZES = [200, 500]
# Real articles used as new arrivals in the dedup scaling points.
DEDUP_QUERIES = 100


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in load]}


def guarded(name: str, fn: Any) -> Any:
    """Run one section; a failure (an API changing under the bench) is recorded, not fatal."""
    try:
        return fn()
    except Exception as exc:
        import traceback

        return {"error": f"{type(exc).__name__}: {exc}", "where": traceback.format_exc(limit=-3)}


def run_all(quick: bool, skip: set[str], workdir: Path, profile: Path | None = None) -> dict[str, Any]:
    from triage.embed import DEFAULT_MODEL

    pages = demo_pages() if quick else real_pages()
    source = "demo site" if quick or not pages else f"../shared/data/extraction ({N_PAGES} pages)"
    if not pages:
        pages, source = demo_pages(), "demo site (../shared/data absent)"
    res: dict[str, Any] = {"mode": "quick" if quick else "full", "pages_source": source, "machine": machine(),
                           "started_at": datetime.now(UTC).isoformat()}
    articles: list[Any] = []
    vecs: Any = None
    if "stages" not in skip:
        res["stages"] = run_stages(pages, workdir, DEFAULT_MODEL)
        from bench.stages import stage_embed, stage_extract

        articles, _ = stage_extract(_pages_for_dedup(res, pages, workdir))
        articles = articles[:DEDUP_QUERIES]
        vecs, _ = stage_embed(articles, DEFAULT_MODEL)
    if "e2e" not in skip:
        from bench.e2e import run_e2e

        res["e2e"] = guarded("e2e", lambda: run_e2e(pages, workdir, profile, rss_run=not quick))
    if "cli" not in skip:
        from bench.e2e import run_cli

        res["cli"] = guarded("cli", lambda: run_cli(pages, workdir))
    if "scaling" not in skip:
        from bench.scaling import run_scaling

        qs, ds = (QUICK_QUERY_SIZES, QUICK_DEDUP_SIZES) if quick else (FULL_QUERY_SIZES, FULL_DEDUP_SIZES)
        res["scaling"] = guarded("scaling", lambda: run_scaling(workdir, qs, ds if articles else [], articles, vecs))
    for name in SECTIONS:
        res.setdefault(name, {"skipped": True})
    res["finished_at"] = datetime.now(UTC).isoformat()
    return res


def _pages_for_dedup(res: dict[str, Any], pages: list[Any], workdir: Path) -> list[Any]:
    """Pages as the extract stage takes them (Page records), without the network."""
    from core.records import Page

    now = datetime.now(UTC)
    return [Page(url=f"http://bench.invalid{p.path}", final_url=f"http://bench.invalid{p.path}", source="bench",
                 html=p.html, fetched_at=now) for p in pages[:DEDUP_QUERIES]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="demo site and small scaling points")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.json")
    ap.add_argument("--plot", type=Path, help="PNG to write (default: next to --out)")
    ap.add_argument("--skip", default="", help=f"comma-separated sections to leave out: {','.join(SECTIONS)}")
    ap.add_argument("--profile", type=Path, help="cProfile the pipeline's full e2e run into this .prof file")
    ap.add_argument("--workdir", type=Path, help="keep temporary files here (default: a fresh temp dir)")
    a = ap.parse_args(argv)
    skip = {s.strip() for s in a.skip.split(",") if s.strip()}
    workdir = a.workdir or Path(tempfile.mkdtemp(prefix="reewatch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        res = run_all(a.quick, skip, workdir, a.profile)
    finally:
        if a.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    from bench.plot import plot

    png = a.plot or a.out.with_suffix(".png")
    wrote = plot(res, png)
    print(f"wrote {a.out}" + (f" and {png}" if wrote else " (no plot: pip install matplotlib)"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
