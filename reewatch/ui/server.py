"""Running the reading room: on its own (``reewatch ui``) or in a thread beside the Prefect
server and the deployments (``reewatch serve``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.console import Console

from core.errors import ReewatchError
from pipeline.settings import Settings
from reewatch.ui.app import ConfiguredSource, UiConfig, create_app
from reewatch.ui.security import is_loopback, needs_token, new_secret

if TYPE_CHECKING:
    import uvicorn

# uvicorn binds and runs the app's start-up (a migration check) in well under a second; a
# busy 2-core machine gets ten times that.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def ui_config(s: Settings, host: str | None = None, port: int | None = None) -> tuple[UiConfig, bool]:
    """The reading room's settings, and whether its token was generated now (it is then printed once)."""
    cfg = UiConfig(
        db=s.db, host=host or s.ui.host, port=port or s.ui.port, base_url=s.ui.base_url, token=s.ui.token,
        model=s.model, multilingual=s.multilingual, topics_dir=s.topics_dir, default_topic=s.default_topic,
        sources=tuple(ConfiguredSource(c.name, c.kind, c.url, c.enabled) for c in s.sources),
    )
    if needs_token(cfg.host, cfg.token) and not cfg.token:
        return replace(cfg, token=new_secret()), True
    return cfg, False


def address(cfg: UiConfig, with_token: bool) -> str:
    """Where to open it: base_url, else the bound address (loopback for a wildcard bind)."""
    host = cfg.host if cfg.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    base = cfg.base_url or f"http://{host if ':' not in host else f'[{host}]'}:{cfg.port}"
    return f"{base}/" + (f"?token={cfg.token}" if with_token else "")


def announce(cfg: UiConfig, generated: bool, console: Console) -> None:
    console.print(f"reading room: [bold]{address(cfg, generated)}[/]")
    if generated:
        console.print("  (a token was generated for this run and is shown only here; set ui.token or "
                      "REEWATCH_UI__TOKEN to keep one)")
    elif not is_loopback(cfg.host):
        console.print("  (bound beyond loopback: every request needs ui.token)")


def check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ReewatchError(f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port") from exc


def _server(cfg: UiConfig) -> uvicorn.Server:
    import uvicorn

    return uvicorn.Server(uvicorn.Config(
        create_app(cfg), host=cfg.host, port=cfg.port, log_level="warning", access_log=False, lifespan="on",
        server_header=False, proxy_headers=False,
    ))


def run_ui(cfg: UiConfig, generated: bool, console: Console) -> None:
    """Serve until Ctrl-C / SIGTERM."""
    check_port(cfg.host, cfg.port)
    server = _server(cfg)
    announce(cfg, generated, console)
    server.run()


@contextmanager
def ui_thread(cfg: UiConfig) -> Iterator[None]:
    """The reading room in a background thread for the block (``reewatch serve``)."""
    check_port(cfg.host, cfg.port)
    server = _server(cfg)
    thread = threading.Thread(target=server.run, name="reewatch-ui", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ReewatchError(f"the reading room did not start on {cfg.host}:{cfg.port}")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)
