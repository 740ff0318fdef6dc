"""Prefect's environment, set before Prefect is first imported.

Prefect state lives under the data directory; analytics are off; the ephemeral server
(used when no PREFECT_API_URL is set) gets enough time to start on a slow machine.
Values already in the environment win, so a real server or Prefect Cloud can be used.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # A command waiting for the writer slot asks again at most this often (Prefect's default is
    # 30 s): a label or an import starts within seconds of an ingest's end.
    "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "5",
}


def prepare(data_dir: Path) -> None:
    """Point Prefect at ``data_dir/prefect`` and switch off what phones home."""
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    home = (data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))


def server_db_url(data_dir: Path) -> str:
    """SQLite database of the local Prefect server that ``reewatch serve`` starts."""
    return f"sqlite+aiosqlite:///{(data_dir / 'prefect' / 'prefect.db').resolve()}"


def server_env(data_dir: Path, *, ui: bool) -> dict[str, str]:
    """Environment for ``prefect server start``: state under the data directory, no telemetry."""
    env = dict(os.environ)
    for key, value in PREFECT_DEFAULTS.items():
        env.setdefault(key, value)
    env["PREFECT_HOME"] = str((data_dir / "prefect").resolve())
    env.setdefault("PREFECT_SERVER_DATABASE_CONNECTION_URL", server_db_url(data_dir))
    env["PREFECT_UI_ENABLED"] = "true" if ui else "false"
    env.pop("PREFECT_API_URL", None)
    return env
