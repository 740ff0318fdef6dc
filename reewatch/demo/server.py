"""A small loopback website serving the bundled demo pages (and test fixtures).

``{base}`` inside ``*.xml`` files is replaced by the server's own address, so feeds
link to pages on whatever port the server got.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path


def site_dir() -> Path:
    return Path(str(resources.files("reewatch.demo").joinpath("site")))


class _Handler(SimpleHTTPRequestHandler):
    base = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.suffix == ".xml" and path.is_file():
            body = path.read_text(encoding="utf-8").replace("{base}", self.base).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@contextmanager
def serve_site(root: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``root`` (default: the demo site) on loopback; yields the base URL."""
    root = root or site_dir()
    handler: type[_Handler] = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(root)))
    base = f"http://{host}:{server.server_address[1]}"
    handler.base = base
    thread = threading.Thread(target=server.serve_forever, name="reewatch-demo-site", daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
