"""``reewatch serve`` (thin first version): ingest every N seconds in this process.

Issue #8 replaces this with a real Prefect server and deployments; until then this
loop gives one-machine scheduling without one.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from reewatch.settings import Settings


def serve_forever(s: Settings, config: Path | None, feeds: list[str] | None, every_s: int, with_digest: bool, console: Console) -> None:
    from flows.digest import run_digest
    from flows.ingest import ingest_flow
    from reewatch.cli import print_summary

    console.print(f"serving: ingest every {every_s} s into {s.db} (Ctrl-C stops)")
    try:
        while True:
            started = time.monotonic()
            summary = ingest_flow(config=str(config) if config else None, db=str(s.db), feeds=feeds)
            print_summary(summary)
            if with_digest:
                run_digest(s.db, s.digest.dir, [], s.digest.min_label, s.digest.max_items)
            time.sleep(max(0.0, every_s - (time.monotonic() - started)))
    except KeyboardInterrupt:
        console.print("stopped")
