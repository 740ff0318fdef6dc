"""Who holds a database's writer slot, recorded beside the file (``<db>.writer``: host and
process id, under ``flock``), so that a slot left by a process that died can be recognised."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

HOLDER_SUFFIX = ".writer"


def holder_path(db: Path) -> Path:
    """Where the process holding ``db``'s writer slot is recorded."""
    db = db.expanduser().resolve()
    return db.with_name(db.name + HOLDER_SUFFIX)


def this_holder() -> dict[str, object]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True


def is_dead_holder(holder: dict[str, object], host: str, running: bool) -> bool:
    """The recorded holder is a process of this machine that no longer runs.  Pure: a holder on
    another machine, or one recorded without a process id, is never judged dead."""
    return holder.get("host") == host and isinstance(holder.get("pid"), int) and not running


@contextmanager
def _locked(path: Path) -> Iterator[IO[str]]:
    """``path`` opened for reading and writing under an exclusive lock (created when missing, with
    its folder: the database's folder may not exist before the first run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.seek(0)
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read(fh: IO[str]) -> dict[str, object]:
    try:
        value = json.loads(fh.read() or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _write(fh: IO[str], holder: dict[str, object]) -> None:
    fh.seek(0)
    fh.truncate()
    if holder:
        fh.write(json.dumps(holder))
    fh.flush()


def record_holder(db: Path, holder: dict[str, object]) -> None:
    with _locked(holder_path(db)) as fh:
        _write(fh, holder)


def forget_holder(db: Path, holder: dict[str, object]) -> None:
    with _locked(holder_path(db)) as fh:
        if _read(fh) == holder:
            _write(fh, {})




def take_dead_holder(db: Path) -> object | None:
    """The process id of a recorded holder of ``db``'s slot that died on this machine, after
    clearing its record; None when the holder runs, is elsewhere, or none is recorded."""
    with _locked(holder_path(db)) as fh:
        holder = _read(fh)
        pid = holder.get("pid")
        if not is_dead_holder(holder, socket.gethostname(), isinstance(pid, int) and _running(pid)):
            return None
        _write(fh, {})
    return pid
