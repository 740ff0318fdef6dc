"""A tiny threaded HTTP server on 127.0.0.1 with per-path behaviours, for fault tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Handler = Callable[[BaseHTTPRequestHandler], None]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fetch"


@dataclass
class Gauge:
    """Requests in flight, and the most ever seen at once (may be shared by several sites)."""

    active: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1


@dataclass
class Site:
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    headers_seen: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # (path, time.monotonic()) of every request, in arrival order
    log: list[tuple[str, float]] = field(default_factory=list)
    gauge: Gauge = field(default_factory=Gauge)
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def page_hits(self) -> int:
        """Requests other than robots.txt."""
        return sum(n for p, n in self.hits.items() if p != "/robots.txt")


def fixture(name: str, **subs: str) -> bytes:
    """A file from tests/fixtures/fetch, with ``{KEY}`` placeholders filled in."""
    data = (FIXTURES / name).read_bytes()
    for key, value in subs.items():
        data = data.replace(b"{" + key.encode() + b"}", value.encode())
    return data


def send(req: BaseHTTPRequestHandler, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None) -> None:
    req.send_response(status)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        req.send_header(k, v)
    req.end_headers()
    if body:
        req.wfile.write(body)


def static(body: bytes | str, ctype: str = "text/html; charset=utf-8", status: int = 200) -> Handler:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda req: send(req, status, data, ctype)


def slow(seconds: float, body: bytes = b"<html><body>late</body></html>") -> Handler:
    def h(req: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        send(req, 200, body)
    return h


def redirect(location: str, status: int = 302) -> Handler:
    return lambda req: send(req, status, b"", "text/plain", {"Location": location})


def reset_mid_body(declared: int = 10_000, sent: int = 100) -> Handler:
    """Promise ``declared`` bytes, send ``sent``, then close the connection."""
    def h(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", str(declared))
        req.end_headers()
        req.wfile.write(b"<html>" + b"x" * sent)
        req.wfile.flush()
        req.close_connection = True
    return h


def endless(total: int = 100_000_000, chunk: int = 65536, ctype: str = "text/html") -> Handler:
    """Stream up to ``total`` bytes with no Content-Length (a 100 MB page), stopping when the client goes."""
    def h(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", ctype)
        req.end_headers()
        block = b"<p>" + b"x" * (chunk - 3)
        sent = 0
        with contextlib.suppress(OSError):
            while sent < total:
                req.wfile.write(block)
                sent += len(block)
        req.close_connection = True
    return h


def conditional(body: bytes, etag: str, last_modified: str, ctype: str = "application/rss+xml") -> Handler:
    """200 with validators, or 304 when the request carries a matching one."""
    def h(req: BaseHTTPRequestHandler) -> None:
        if req.headers.get("If-None-Match") == etag or req.headers.get("If-Modified-Since") == last_modified:
            req.send_response(304)
            req.send_header("ETag", etag)
            req.end_headers()
            return
        send(req, 200, body, ctype, {"ETag": etag, "Last-Modified": last_modified})
    return h


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            with site.lock:
                site.hits[path] = site.hits.get(path, 0) + 1
                site.headers_seen.setdefault(path, []).append({k.lower(): v for k, v in self.headers.items()})
                site.log.append((self.path, time.monotonic()))
            handler = site.routes.get(path)
            site.gauge.enter()
            try:
                if handler is None:
                    send(self, 404, b"not found", "text/plain")
                else:
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        handler(self)
            finally:
                site.gauge.leave()

        def do_POST(self) -> None:
            """Routed like a GET; the handler reads the body (``Content-Length`` bytes of ``rfile``)."""
            self.do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
