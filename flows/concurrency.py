"""One writer at a time: a Prefect global concurrency limit per database file.

DuckDB allows one writing process per file (store.db raises DatabaseLockedError naming
the holder).  Inside one Prefect server the limit below serialises ingests before they
reach DuckDB, so a scheduled run that collides with a manual one waits its turn instead
of failing; across servers (or in ephemeral mode) the DuckDB lock still guards the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reewatch.errors import DatabaseLockedError

# How long an ingest waits for the previous one on the same database to finish before it
# gives up.  A demo-site ingest takes 5–15 s and a 100-source ingest 1–3 min on 2 cores;
# ten minutes lets a scheduled run queue behind one long manual run without piling up.
WRITER_WAIT_S = 600.0
LIMIT_PREFIX = "reewatch-writer-"


def limit_name(db: Path) -> str:
    """The concurrency limit that guards one database file (stable across processes)."""
    digest = hashlib.sha1(str(db.expanduser().resolve()).encode("utf-8")).hexdigest()[:12]
    return f"{LIMIT_PREFIX}{digest}"


def ensure_limit(name: str) -> None:
    """Create the limit (one slot) on the current Prefect server if it is missing."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, 1)


@contextmanager
def one_writer(db: Path, wait_s: float = WRITER_WAIT_S) -> Iterator[str]:
    """Hold the database's writer slot for the duration of the block.

    Raises DatabaseLockedError when another ingest of the same file still holds the slot
    after ``wait_s`` seconds.
    """
    from prefect.concurrency.sync import concurrency

    name = limit_name(db)
    ensure_limit(name)
    try:
        cm = concurrency(name, occupy=1, timeout_seconds=wait_s, strict=True)
        cm.__enter__()
    except TimeoutError as exc:
        raise DatabaseLockedError(
            f"{db} is being written by another ingest flow run (Prefect concurrency limit {name!r} "
            f"stayed full for {wait_s:.0f} s); wait for it to finish and try again"
        ) from exc
    try:
        yield name
    except BaseException as exc:
        if not cm.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        cm.__exit__(None, None, None)
