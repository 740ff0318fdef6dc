"""How long an ingest holds the DuckDB file, as a share of its wall time (issue #23's target:
at most 10 %), on loopback with the politeness delays of the real web.

A loopback site serves N pages (real ones from ../shared/data when present, else the demo's);
the ingest runs with ``throttle_private`` on, so loopback pays the per-host minimum delay
(``--min-delay``, 1 s by default as in reewatch.toml) like a real host.  Prints one JSON line:
wall seconds, seconds the file was held, windows, share.

    python -m bench.lock_share --pages 64 --min-delay 1.0
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench.stages import demo_pages, real_pages, served, write_feed


def measure(n_pages: int, min_delay_s: float, workdir: Path) -> dict[str, object]:
    from pipeline.ingest import run_ingest
    from pipeline.plan import DIRECT_STAGES, IngestPlan
    from pipeline.settings import load_settings

    pages = (real_pages(n=n_pages) or demo_pages())[:n_pages]
    with served(pages, workdir) as (root, base):
        feed = write_feed(root, "feed.rss", base, pages)
        settings = load_settings(db=workdir / "lock.duckdb")
        settings = settings.model_copy(update={"fetch": settings.fetch.model_copy(
            update={"throttle_private": True, "min_delay_s": min_delay_s})})
        s = run_ingest(IngestPlan.from_settings(settings, [feed]), stages=DIRECT_STAGES)
    return {"pages": len(pages), "stored": s.stored, "min_delay_s": min_delay_s, "wall_s": s.seconds,
            "db_held_s": s.stats.db_held_s, "db_windows": s.stats.db_windows,
            "db_held_share": round(s.stats.db_held_s / s.seconds, 3) if s.seconds else None}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=64, help="pages served and ingested")
    ap.add_argument("--min-delay", type=float, default=1.0, help="seconds between requests to the one loopback host")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reewatch-lock-") as tmp:
        print(json.dumps(measure(args.pages, args.min_delay, Path(tmp))))


if __name__ == "__main__":
    main()
