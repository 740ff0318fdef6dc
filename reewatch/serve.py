"""``reewatch serve``: the one-machine way to run both deployments on their schedules.

With no PREFECT_API_URL configured it starts a local Prefect server (``prefect server
start`` on 127.0.0.1, SQLite under the data directory), waits for it to be healthy, then
registers the ``ingest`` and ``digest`` deployments, recovers what a previous ``serve`` left
(flows/recovery.py: runs whose process is gone are marked crashed, their slots freed), starts
one ingest at once and runs Prefect's runner, printing a line when each run starts and ends.
The reading room (reewatch/ui) runs in a thread beside it.

SIGTERM or Ctrl-C: no new runs start, an ingest in flight gets STOP_GRACE_S to finish (a
second signal cancels it now), then the runner and the server it started stop, quietly.  A
flow run opens the database only to read its state and to commit a batch, so ``reewatch
query`` and the other readers (which wait up to store.db.READ_WAIT_S) work while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

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
# How long a stopping serve lets an ingest in flight finish before it cancels it: a loopback or
# demo ingest takes 5-15 s and a 100-source one 1-3 min on 2 cores, and systemd's default stop
# timeout is 90 s, so a minute lets most finish and still stops before anything kills us.
STOP_GRACE_S = 60.0
# After the runner is told to stop, how long its own shutdown (cancelling runs, closing its
# client) may take before we go on to stop the server (it takes 1-3 s).
RUNNER_STOP_TIMEOUT_S = 20.0
# How often the runner looks for runs to start (Prefect's default is 10 s; a queued ingest then
# starts at most this long after it is due) and how often serve reads its runs' states for
# the start/end lines (a list of at most 50 runs from a local server: a few ms).
RUNNER_POLL_S = 5.0
WATCH_POLL_S = 2.0


@dataclass(frozen=True)
class ServeOptions:
    config: Path | None
    feeds: list[str] | None
    every_s: int
    with_digest: bool
    timezone: str = "UTC"
    task_runner: str = "thread"
    ui: bool = True  # the Prefect UI
    web: bool = True  # the reading room (reewatch/ui), in a thread of this process
    web_port: int | None = None  # None: ui.port


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
            console.print(f"Prefect server up on {server.url}")
            api = server.api_url
            os.environ["PREFECT_API_URL"] = api  # flow-run subprocesses inherit it
        with ExitStack() as stack:
            if opts.web:
                stack.enter_context(_reading_room(s, opts, console))
            _serve(s, opts, api, server, console)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
        console.print("stopped")


@contextmanager
def _reading_room(s: Settings, opts: ServeOptions, console: Console) -> Iterator[None]:
    """The reading room in a thread; its label writes take the writer slot on this Prefect server.
    One that cannot start (its port taken) is said and left out: monitoring goes on without it."""
    from rich.markup import escape

    from reewatch.ui.server import announce, ui_config, ui_thread

    cfg, generated = ui_config(s, port=opts.web_port)
    with ExitStack() as stack:
        try:
            stack.enter_context(ui_thread(cfg))
        except ReewatchError as exc:
            console.print(f"[yellow]reading room not started:[/] {escape(str(exc))} (--web-port PORT, or --no-web)")
        else:
            announce(cfg, generated, console)
        yield


def _serve(s: Settings, opts: ServeOptions, api: str, server: LocalServer | None, console: Console) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments.serve import digest_deployment, ingest_deployment

    config = str(opts.config) if opts.config else None
    with temporary_settings(updates={PREFECT_API_URL: api}):
        # built outside the event loop: inside one, to_deployment returns a coroutine
        deployments = [ingest_deployment(config, str(s.db), opts.feeds, opts.every_s, opts.task_runner)]
        if opts.with_digest:
            deployments.append(digest_deployment(config, str(s.db), timezone=opts.timezone))
        asyncio.run(_serve_async(s, opts, deployments, api, server, console))


async def _serve_async(
    s: Settings, opts: ServeOptions, deployments: list[Any], api: str, server: LocalServer | None, console: Console
) -> None:
    """Register the deployments, recover what a previous serve left, start one ingest now, run
    the runner until SIGTERM/Ctrl-C, then stop in order (see ``_stop``).

    The runner is driven here rather than by ``prefect.serve()``: that one gets the stop as a
    KeyboardInterrupt raised inside its event loop and prints the runner's half-finished
    shutdown as a traceback."""
    from prefect.client.orchestration import get_client
    from prefect.runner import Runner

    from deployments.serve import INGEST_NAME
    from flows.recovery import free_slots, recover

    loop = asyncio.get_running_loop()
    stops = asyncio.Queue[int]()
    _on_signals(loop, stops)
    runner = Runner(pause_on_shutdown=server is None, query_seconds=RUNNER_POLL_S)
    ids = {d.name: await runner.aadd_deployment(d) for d in deployments}
    console.print(
        f"registered: ingest every {opts.every_s} s into {s.db}"
        + (f", digest daily at 07:00 {opts.timezone}" if opts.with_digest else "")
        + f" (API {api}; Ctrl-C stops)"
    )
    async with get_client() as client:
        if server is not None:  # our own server: nothing else runs these deployments
            await recover(client, list(ids.values()), s.db, lambda line: console.print(line, highlight=False))
        # the first ingest now, not at the schedule's first tick (a minute or more away)
        first = await client.create_flow_run_from_deployment(ids[INGEST_NAME])
        console.print(f"ingest run {first.name} queued to start now", highlight=False)
        started = asyncio.create_task(runner.start())
        await asyncio.sleep(0)  # Runner.start installs its own SIGTERM handler first thing
        _on_signals(loop, stops)
        watcher = asyncio.create_task(_watch(client, {v: k for k, v in ids.items()}, console))
        stop = asyncio.create_task(stops.get())
        await asyncio.wait({started, stop}, return_when=asyncio.FIRST_COMPLETED)
        if started.done():  # the runner ended by itself: its error, if any, is the news
            watcher.cancel()
            stop.cancel()
            started.result()
            return
        await _stop(runner, started, client, list(ids.values()), stops, console)
        if server is not None:  # a cancelled run was killed holding the writer slot: free it now
            await free_slots(client, list(ids.values()), s.db, lambda line: console.print(line, highlight=False))
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


def _on_signals(loop: asyncio.AbstractEventLoop, stops: asyncio.Queue[int]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stops.put_nowait, int(sig))


async def _stop(runner: Any, started: asyncio.Task[None], client: Any, ids: list[Any],
                stops: asyncio.Queue[int], console: Console) -> None:
    """Take no new runs, let the runs in flight finish for up to STOP_GRACE_S (a second
    SIGTERM/Ctrl-C cuts that short), then stop the runner, which cancels what still runs: its
    state becomes Cancelled and its slots are given back, so nothing stays held."""
    from flows.recovery import LIVE_TYPES, runs_of

    runner._scheduled_run_poller.stopping = True  # no public switch for "no new runs"
    live = await runs_of(client, ids, LIVE_TYPES)
    if live:
        names = ", ".join(r.name for r in live)
        console.print(f"stopping: waiting up to {STOP_GRACE_S:.0f} s for {names} to finish "
                      "(SIGTERM or Ctrl-C again cancels now)…", highlight=False)
        deadline = time.monotonic() + STOP_GRACE_S
        while live and time.monotonic() < deadline and stops.empty():
            await asyncio.sleep(WATCH_POLL_S)
            live = await runs_of(client, ids, LIVE_TYPES)
        # A run reports Completed a moment before its process exits; astop would cancel a
        # process it still tracks and overwrite that Completed with Cancelled.
        while not live and runner._flow_run_process_map and time.monotonic() < deadline and stops.empty():
            await asyncio.sleep(0.2)
        if live:
            console.print(f"stopping: cancelling {', '.join(r.name for r in live)}", highlight=False)
    else:
        console.print("stopping…")
    with contextlib.suppress(RuntimeError):  # a runner stopped before it started
        await runner.astop()
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(started, RUNNER_STOP_TIMEOUT_S)


async def _watch(client: Any, names: dict[Any, str], console: Console) -> None:
    """One line when a run of ours starts and one when it ends, from the API every WATCH_POLL_S."""
    from flows.recovery import recent_runs

    ids = list(names)
    seen: dict[Any, str] = {r.id: r.state_type.value for r in await recent_runs(client, ids) if r.state_type}
    while True:
        await asyncio.sleep(WATCH_POLL_S)
        try:
            runs = await recent_runs(client, ids)
        except Exception:  # the server is stopping or busy: the next look tells
            continue
        for run in reversed(runs):
            kind = run.state_type.value if run.state_type else ""
            if seen.get(run.id) == kind:
                continue
            seen[run.id] = kind
            line = _run_line(names.get(run.deployment_id, "flow"), run, kind)
            if line:
                console.print(line, highlight=False)


def _run_line(deployment: str, run: Any, kind: str) -> str | None:
    """"ingest run <name> started", "… completed in 12 s", "… failed in 3 s: <message>"."""
    if kind == "RUNNING":
        return f"{deployment} run {run.name} started"
    if kind in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
        took = f" in {run.total_run_time.total_seconds():.0f} s" if run.total_run_time else ""
        msg = run.state.message if run.state and run.state.message and kind != "COMPLETED" else ""
        return f"{deployment} run {run.name} {kind.lower()}{took}" + (f": {msg}" if msg else "")
    return None
