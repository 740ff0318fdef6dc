"""Fetch throughput from a loopback site of N pages (politeness lifted for loopback).

    .venv/bin/python bench/fetch_throughput.py [--pages 1000] [--per-host 16] [--size 20000]

The site runs in a separate process (a keep-alive threaded HTTP server on 127.0.0.1), so
the client's numbers are its own: one Fetcher, fetch_pages over every page (robots.txt
read once, charset decoding and Page records included).  Target: >= 200 pages/s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.records import Link, Page
from fetch.discover import fetch_pages
from fetch.http import Fetcher
from fetch.options import FetchOptions


def _page(i: int, size: int) -> bytes:
    para = (f"<p>Paragraph about magnet supply number {i}: refiners, licences and shipments, "
            "written for a throughput benchmark and nothing else.</p>\n")
    body = para * max(1, size // len(para))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Story {i}</title></head>"
            f"<body><article><h1>Story {i}</h1>{body}</article></body></html>").encode()


def _serve(port_box: mp.connection.Connection, size: int, n: int) -> None:
    pages = {f"/p/{i}.html": _page(i, size) for i in range(n)}

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/__cpu":  # the server's own CPU seconds, for the report
                body = f"{time.process_time():.3f}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            status = 200 if self.path in pages else 404
            body = pages.get(self.path, b"")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    port_box.send(server.server_address[1])
    server.serve_forever()


async def _fetch(base: str, n: int, opts: FetchOptions) -> tuple[float, list[float], int]:
    links = [Link(f"{base}/p/{i}.html", "bench") for i in range(n)]
    async with Fetcher(opts) as f:
        t0 = time.perf_counter()
        results = await fetch_pages(f, links)
        wall = time.perf_counter() - t0
    ok = sum(isinstance(p, Page) for p, _ in results)
    return wall, [a.ms for _, a in results], ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--per-host", type=int, default=16)
    ap.add_argument("--size", type=int, default=20_000, help="approximate page size in bytes")
    args = ap.parse_args()
    parent, child = mp.Pipe()
    proc = mp.Process(target=_serve, args=(child, args.size, args.pages), daemon=True)
    proc.start()
    try:
        base = f"http://127.0.0.1:{parent.recv()}"
        opts = FetchOptions(per_host=args.per_host, max_connections=args.per_host, retries=0)
        server_cpu0 = float(httpx.get(f"{base}/__cpu").text)
        cpu0 = time.process_time()
        wall, ms, ok = asyncio.run(_fetch(base, args.pages, opts))
        cpu = time.process_time() - cpu0
        server_cpu = float(httpx.get(f"{base}/__cpu").text) - server_cpu0
    finally:
        proc.terminate()
        proc.join(5)
    ms.sort()
    print(f"pages={args.pages} ok={ok} per_host={args.per_host} size~{args.size}B cores={os.cpu_count()}")
    print(f"wall={wall:.2f}s  throughput={ok / wall:.0f} pages/s  client_cpu={cpu:.2f}s "
          f"({ok / max(cpu, 1e-9):.0f} pages per client CPU-second)")
    # With a core each (2 cores), the slower side sets the pace.
    print(f"server_cpu={server_cpu:.2f}s  -> on 2 free cores (one per side) ~{ok / max(cpu, server_cpu, 1e-9):.0f} pages/s; "
          f"load average now {os.getloadavg()[0]:.1f}")
    print(f"per-request latency ms: p50={statistics.median(ms):.1f} p95={ms[int(0.95 * (len(ms) - 1))]:.1f} max={ms[-1]:.1f}")


if __name__ == "__main__":
    main()
