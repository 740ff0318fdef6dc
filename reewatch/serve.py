"""``reewatch serve``: the one-machine way to run both deployments on their schedules.

With no PREFECT_API_URL configured it starts a local Prefect server (``prefect server
start`` on 127.0.0.1, SQLite under the data directory), waits for it to be healthy, then
registers and serves the ``ingest`` and ``digest`` deployments (schedules fire only
against a real server, not in ephemeral mode).  SIGTERM or Ctrl-C stops the runner, then
the server it started.  The database is opened per flow run, so ``reewatch query`` can
read between runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx
from rich.console import Console

from core.errors import ReewatchError
from pipeline.settings import Settings
from reewatch import prefect_env

# A cold `prefect server start` (migrations of a new SQLite file, UI assets) takes 8–25 s
# on 2 busy cores; two minutes leaves room before we call it failed.
SERVER_START_TIMEOUT_S = 120.0
# Grace period for the server to exit on SIGTERM before it is killed (uvicorn stops in ~1 s).
SERVER_STOP_TIMEOUT_S = 15.0
HEALTH_POLL_S = 0.5


@dataclass(frozen=True)
class ServeOptions:
    config: Path | None
    feeds: list[str] | None
    every_s: int
    with_digest: bool
    timezone: str = "UTC"
    task_runner: str = "thread"
    ui: bool = True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """A `prefect server start` subprocess on loopback."""

    def __init__(self, data_dir: Path, port: int, ui: bool) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.api_url = f"{self.url}/api"
        log_path = (data_dir / "prefect" / "server.log").resolve()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=prefect_env.server_env(data_dir, ui=ui), stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,  # Ctrl-C reaches us; we stop it in order
        )

    def wait_healthy(self, timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ReewatchError(f"the Prefect server exited with code {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(HEALTH_POLL_S)
        raise ReewatchError(f"the Prefect server did not become healthy in {timeout_s:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve_forever(s: Settings, opts: ServeOptions, console: Console) -> None:
    """Serve both deployments until SIGTERM/Ctrl-C; start (and stop) a local server if needed."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    server: LocalServer | None = None
    try:
        api = os.environ.get("PREFECT_API_URL")
        if not api:
            server = LocalServer(s.data_dir, free_port(), opts.ui)
            console.print(f"starting a local Prefect server on {server.url} (log: {server.log_path})…")
            server.wait_healthy()
            api = server.api_url
            os.environ["PREFECT_API_URL"] = api  # flow-run subprocesses inherit it
        _serve(s, opts, api, server, console)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
        console.print("stopped")


def _serve(s: Settings, opts: ServeOptions, api: str, server: LocalServer | None, console: Console) -> None:
    from prefect import serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments.serve import digest_deployment, ingest_deployment

    config = str(opts.config) if opts.config else None
    db = str(s.db)
    with temporary_settings(updates={PREFECT_API_URL: api}):
        deployments = [ingest_deployment(config, db, opts.feeds, opts.every_s, opts.task_runner)]
        if opts.with_digest:
            deployments.append(digest_deployment(config, db, timezone=opts.timezone))
        if server is not None and opts.ui:
            console.print(f"Prefect UI: [bold]{server.url}[/]")
        console.print(
            f"serving: ingest every {opts.every_s} s into {s.db}"
            + (f", digest daily at 07:00 {opts.timezone}" if opts.with_digest else "")
            + f" (API {api}; Ctrl-C stops)"
        )
        serve(*deployments, print_starting_message=False, pause_on_shutdown=server is None)
