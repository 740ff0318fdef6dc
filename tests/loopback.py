"""A tiny threaded HTTP server on 127.0.0.1 with per-path behaviours, for fault tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Site:
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    headers_seen: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler


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


def slow(seconds: float) -> Handler:
    def h(req: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        send(req, 200, b"<html><body>late</body></html>")
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
            handler = site.routes.get(path)
            if handler is None:
                send(self, 404, b"not found", "text/plain")
            else:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handler(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
