"""One writer at a time: a Prefect global concurrency limit per database file.

DuckDB allows one writing process per file (store.db raises DatabaseLockedError naming
the holder).  Inside one Prefect server the limit below serialises ingests before they
reach DuckDB, so a scheduled run that collides with a manual one waits its turn instead
of failing; across servers (or in ephemeral mode) the DuckDB lock still guards the file.

A run that dies holding the slot (kill -9, out of memory, power loss) cannot give it back, and
in ephemeral mode nothing else does: the slot's lease lived in the dead process's server, so
``active_slots`` stayed at 1 in the Prefect database and every later ingest of that file waited
``WRITER_WAIT_S`` and failed.  So the holder is recorded beside the database (``<db>.writer``:
host and process id); the next ingest that finds the recorded holder dead on this machine
gives its slot back before it waits (``reclaim_stale_slot``).  Only in ephemeral mode: a
``prefect server`` keeps its leases and takes back a dead holder's slot itself once the lease
runs out (``lease_duration``, 300 s), and giving it back here too would free it twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import DatabaseLockedError
from store.holder import forget_holder, holder_path, record_holder, take_dead_holder, this_holder

# How long an ingest waits for the previous one on the same database to finish before it
# gives up.  A demo-site ingest takes 5–15 s and a 100-source ingest 1–3 min on 2 cores;
# ten minutes lets a scheduled run queue behind one long manual run without piling up.
WRITER_WAIT_S = 600.0
LIMIT_PREFIX = "reewatch-writer-"

log = logging.getLogger(__name__)


def limit_name(db: Path) -> str:
    """The concurrency limit that guards one database file (stable across processes)."""
    digest = hashlib.sha1(str(db.expanduser().resolve()).encode("utf-8")).hexdigest()[:12]
    return f"{LIMIT_PREFIX}{digest}"


def ensure_limit(name: str) -> None:
    """Create the limit (one slot) on the current Prefect server if it is missing."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, 1)


def ephemeral() -> bool:
    """No Prefect server is configured: each process runs its own, with its leases in memory."""
    from prefect.settings import get_current_settings

    return not get_current_settings().api.url


def reclaim_stale_slot(db: Path, name: str) -> bool:
    """Give back the slot of a recorded holder that died without releasing it (ephemeral mode
    only); True if one was."""
    from prefect.client.orchestration import get_client

    if not ephemeral():
        return False
    pid = take_dead_holder(db)
    if pid is None:
        return False
    with get_client(sync_client=True) as client:
        # occupancy only feeds the limit's statistics (the API wants it > 0)
        client.release_concurrency_slots(names=[name], slots=1, occupancy_seconds=1.0)
    log.warning("%s: the writer slot of process %s, which ended without releasing it, was given back", db, pid)
    return True


@contextmanager
def one_writer(db: Path, wait_s: float = WRITER_WAIT_S) -> Iterator[str]:
    """Hold the database's writer slot for the duration of the block.

    A slot left by a holder that died on this machine is given back first.  Raises
    DatabaseLockedError when another ingest of the same file still holds the slot after
    ``wait_s`` seconds.
    """
    from prefect.concurrency.sync import concurrency

    name = limit_name(db)
    ensure_limit(name)
    reclaim_stale_slot(db, name)
    try:
        cm = concurrency(name, occupy=1, timeout_seconds=wait_s, strict=True)
        cm.__enter__()
    except TimeoutError as exc:
        home = os.environ.get("PREFECT_HOME", "~/.prefect")
        raise DatabaseLockedError(
            f"{db} is being written by another ingest flow run (Prefect concurrency limit {name!r} "
            f"stayed full for {wait_s:.0f} s); wait for it to finish and try again.  If no ingest is "
            f"running, a run that died without a record in {holder_path(db)} (on another machine, "
            f"or before reewatch kept one) left the slot taken: free it with "
            f"PREFECT_HOME={home} prefect gcl update {name} --active-slots 0"
        ) from exc
    holder = this_holder()
    try:
        record_holder(db, holder)
        yield name
    except BaseException as exc:
        forget_holder(db, holder)
        if not cm.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        forget_holder(db, holder)
        cm.__exit__(None, None, None)
