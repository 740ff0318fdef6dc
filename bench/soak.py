"""Soak: `reewatch serve` ingesting every 20 s from a loopback feed that publishes new real pages
on every read, while `reewatch query` runs every 30 s (issue #23's target: 0 lockouts, every
published article stored, the serve process's memory flat, each run's process tree under 1.5 GB).

    python -m bench.soak --minutes 8

Reads real pages from ../shared/data (the demo site's when absent).  Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.stages import REPO, demo_pages, real_pages

PER_READ = 8


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc (parent pid: the 4th field of /proc/PID/stat)."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            kids.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(d.name))
    return kids


def _tree_mb(pid: int, kids: dict[int, list[int]]) -> float:
    return (_rss_mb(pid) or 0.0) + sum(_tree_mb(k, kids) for k in kids.get(pid, []))


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class TreeWatch(threading.Thread):
    """Once a second, the RSS of each process tree under ``pid`` (one per flow run; the Prefect
    server's too): the peak per child command, so a run's tree (its process and its extraction
    worker) can be checked against the 1.5 GB budget."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            kids = _children()
            for child in kids.get(self.pid, []):
                cmd = _cmd(child)
                label = "prefect server" if "prefect" in cmd and "server" in cmd else "flow run"
                self.peaks[label] = round(max(self.peaks.get(label, 0.0), _tree_mb(child, kids)), 1)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--every", type=int, default=20, help="seconds between ingests")
    ap.add_argument("--query-every", type=float, default=30.0)
    args = ap.parse_args(argv)
    pages = real_pages(n=400) or demo_pages()
    published: list[int] = []
    lock = threading.Lock()

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/feed.xml"):
                with lock:
                    start = len(published)
                    published.extend(range(start, min(len(pages), start + PER_READ)))
                    ids = list(published)
                items = "".join(f"<item><title>p{i}</title><link>{base}/p/{i}</link></item>" for i in reversed(ids))
                body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>s</title>{items}</channel></rss>"
                data, ctype = body.encode(), "application/rss+xml"
            elif self.path.startswith("/p/"):
                data, ctype = pages[int(self.path.split("/")[2])].html.encode(), "text/html; charset=utf-8"
            else:
                data, ctype = b"", "text/plain"
            self.send_response(200 if data else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="reewatch-soak-") as tmp:
        db = Path(tmp) / "soak.duckdb"
        env = {**os.environ, "REEWATCH_DATA_DIR": tmp}
        cli = [sys.executable, "-m", "reewatch.cli"]
        serve = subprocess.Popen([*cli, "serve", "--db", str(db), "--feed", f"{base}/feed.xml", "--ingest-every",
                                  str(args.every), "--no-digest", "--no-web", "--no-ui"], cwd=REPO, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        queries: list[dict[str, object]] = []
        rss: list[float] = []
        trees = TreeWatch(serve.pid)
        trees.start()
        end = time.monotonic() + args.minutes * 60
        try:
            while time.monotonic() < end:
                time.sleep(args.query_every)
                if (r := _rss_mb(serve.pid)) is not None:
                    rss.append(round(r, 1))
                if not db.exists():
                    continue
                t = time.monotonic()
                q = subprocess.run([*cli, "query", "SELECT count(*) FROM articles", "--db", str(db), "--format", "csv"],
                                   cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
                queries.append({"rc": q.returncode, "s": round(time.monotonic() - t, 2),
                                "count": q.stdout.strip().splitlines()[-1] if q.returncode == 0 else q.stderr[-200:]})
        finally:
            trees.stop.set()
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(120)
            except subprocess.TimeoutExpired:
                serve.kill()
        final = subprocess.run([*cli, "query", "SELECT count(*) FROM articles", "--db", str(db), "--format", "csv"],
                               cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    server.shutdown()
    print(json.dumps({"minutes": args.minutes, "published": len(published), "queries": len(queries),
                      "lockouts": sum(q["rc"] != 0 for q in queries),
                      "query_s_max": max((float(q["s"]) for q in queries), default=None),  # type: ignore[arg-type]
                      "stored_at_end": final.stdout.strip().splitlines()[-1] if final.returncode == 0 else None,
                      "serve_rss_mb": rss, "child_tree_peak_mb": trees.peaks, "queries_detail": queries}))


if __name__ == "__main__":
    main()
