"""The reading room's server time at scale: ``python -m bench.ui [--articles 1000000]``.

The synthetic rows of bench/scaling.py (articles over 30 days, three per story, one in ten a
copy, one in ten relevant), one article in five in German so that the language filter selects
something, then the pages the analyst opens most, requested through the real
app in this process (Starlette's test client: no network).  Server time is the app's own
``Server-Timing`` (middleware to response, the per-request open and close of the read-only
connection included); best and median of REPEATS.  Target (issue #21): the stories page at 1M
stored articles in at most 200 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPEATS = 7
PAGES = {
    "stories (newest)": "/stories",
    "stories (most relevant, last 7 days)": "/stories?order=relevant&since=7d&label=relevant",
    "stories (language de)": "/stories?lang=de",
    "stories (source, page 20)": "/stories?source=src7&page=20",
    "story": "/story/{story}",
    "volume (30 days)": "/volume",
    "sources": "/sources",
}
_DUR = re.compile(r"app;dur=([0-9.]+)")


def fill(con: Any, n: int) -> None:
    """bench/scaling.py's synthetic rows (same URLs, sites, times, stories, copies and scores), with
    the columns named, so that columns later migrations add keep their defaults; one in five German."""
    from bench.scaling import SPAN_DAYS

    con.execute("INSERT OR REPLACE INTO meta VALUES ('default_topic', 'rare-earth-trade')")
    con.execute(
        f"""
        INSERT INTO documents (canonical_url, url, title, text, site, lang, published_at, first_seen_at, source,
                               content_hash, duplicate_of, story_id)
        SELECT 'https://site' || (i % 500) || '.example/a/' || i, 'https://site' || (i % 500) || '.example/a/' || i,
               'Synthetic headline number ' || i, repeat('synthetic body text ', 20), 'site' || (i % 500) || '.example',
               CASE WHEN i % 5 = 0 THEN 'de' ELSE 'en' END, ts, ts, 'src' || (i % 50), md5(i::VARCHAR),
               CASE WHEN i % 10 = 9 THEN 'https://site' || ((i - 1) % 500) || '.example/a/' || (i - 1) END,
               's-' || (i // 3)
        FROM (SELECT i, now() - to_microseconds(CAST(({n} - i) * ({SPAN_DAYS} * 86400e6 / {n}) AS BIGINT)) AS ts
              FROM range({n}) t(i))
        """
    )
    con.execute(
        """
        INSERT INTO relevance (canonical_url, topic, score, label, reasons, model_version, scored_at)
        SELECT canonical_url, 'rare-earth-trade', CASE WHEN hash(canonical_url) % 10 = 0 THEN 0.9 ELSE 0.2 END,
               CASE WHEN hash(canonical_url) % 10 = 0 THEN 'relevant' ELSE 'irrelevant' END,
               ['synthetic'], 'bench', now()
        FROM documents
        """
    )


def fill_db(db: Path, n: int) -> dict[str, float]:
    from store.db import connect
    from store.rollup import rebuild_story_rollup

    con = connect(db)
    try:
        con.execute("SET enable_progress_bar = false")
        t = time.perf_counter()
        fill(con, n)
        rebuild_story_rollup(con)
        fill_s = time.perf_counter() - t
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"fill_s": round(fill_s, 1)}


def time_pages(db: Path, repeats: int = REPEATS) -> dict[str, dict[str, float]]:
    from starlette.testclient import TestClient

    from reewatch.ui.app import UiConfig, create_app

    app = create_app(UiConfig(db=db, model="bench"), slot=lambda _db: contextlib.nullcontext(), warm=None)
    out: dict[str, dict[str, float]] = {}
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        first = client.get("/stories")
        story = re.search(r'data-story-id="([^"]+)"', first.text)
        for name, path in PAGES.items():
            url = path.format(story=story.group(1) if story else "s-0")
            server, wall = [], []
            for _ in range(repeats):
                t = time.perf_counter()
                r = client.get(url)
                wall.append(1000 * (time.perf_counter() - t))
                assert r.status_code == 200, (url, r.status_code, r.text[:300])
                m = _DUR.search(r.headers.get("server-timing", ""))
                server.append(float(m.group(1)) if m else float("nan"))
            out[name] = {"server_ms_best": round(min(server), 1), "server_ms_median": round(statistics.median(server), 1),
                         "wall_ms_median": round(statistics.median(wall), 1)}
    return out


def run(n: int, workdir: Path) -> dict[str, Any]:
    db = workdir / f"ui-{n}.duckdb"
    db.unlink(missing_ok=True)
    try:
        res: dict[str, Any] = {"articles": n, **fill_db(db, n)}
        res["pages"] = time_pages(db)
    finally:
        db.unlink(missing_ok=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="reewatch-bench-ui-") as tmp:
        print(json.dumps(run(args.articles, args.workdir or Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
