"""DuckDB connection and numbered migrations: the only place that opens the database."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from core.errors import DatabaseLockedError, SchemaTooNewError, StoreError

# How long a writer waits for another process to release the DuckDB file before giving up
# (a demo ingest holds it 5-15 s; a longer wait is the writer slot's job, flows/writer.py).
WRITE_WAIT_S = 30.0
# How long a reader (query, export, digest, the web view) waits for a writer's commit window to
# close, and after how long it says so: a run holds the file only while it writes a batch.
READ_WAIT_S = 15.0
READ_WAIT_NOTICE_S = 2.0
_MIGRATION_RE = re.compile(r"^(\d{3})_([\w-]+)\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every shipped migration, in order."""
    root = resources.files("store").joinpath("migrations")
    found = []
    for entry in root.iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()
    if not row or not row[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Versions recorded in ``schema_migrations`` (empty for a file without the table)."""
    if not schema_version(con):
        return set()
    return {int(r[0]) for r in con.execute("SELECT version FROM schema_migrations").fetchall()}


def missing_versions(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Shipped migrations this file lacks, in order."""
    done = applied_versions(con)
    return [v for v, _, _ in migrations() if v not in done]


def check_not_too_new(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a file written by a newer reewatch (its schema may mean something else)."""
    current = schema_version(con)
    known = migrations()
    latest = known[-1][0] if known else 0
    if current > latest:
        raise SchemaTooNewError(
            f"this database has schema version {current}, but this reewatch knows up to {latest}; "
            "upgrade reewatch (pip install -U reewatch) or use another --db"
        )


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations this file lacks; refuse a file newer than the code."""
    check_not_too_new(con)
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    known = migrations()
    done = applied_versions(con)
    applied = []
    # Every migration the file lacks, in number order (not only those above the highest
    # applied one, so a migration merged late with a lower number is still applied).
    for version, name, sql in known:
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, datetime.now(UTC)]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def _lock_holder(message: str) -> str:
    m = re.search(r"PID (\d+)", message)
    return f"process {m.group(1)}" if m else "another process"


def connect(
    path: Path, *, read_only: bool = False, wait_s: float = 0.0, on_wait: Callable[[str], None] | None = None,
    migrate: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open the database (creating and migrating it when writable).

    DuckDB allows one writing process per file: if another holds it, retry for
    ``wait_s`` seconds, then raise DatabaseLockedError naming the holder (``migrate=False``: a
    writer that already migrated this file skips the check); ``on_wait`` is told
    once, after READ_WAIT_NOTICE_S of waiting, who holds the file.  A read-only
    open of a file older than the code first upgrades it when nobody is writing (so the
    documented views exist); a file newer than the code is refused either way.
    """
    if read_only and not path.exists():
        raise StoreError(f"no database at {path}; run `reewatch run` (or `make demo`) first, or pass --db")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _open(path, read_only=False, wait_s=wait_s, on_wait=on_wait, run_migrations=migrate)
    con = _open(path, read_only=True, wait_s=wait_s, on_wait=on_wait)
    try:
        check_not_too_new(con)
        behind = bool(missing_versions(con))
    except BaseException:
        con.close()
        raise
    if not behind:
        return con
    con.close()
    # Upgrade when nobody is writing; when that cannot be done now (being written, or no
    # write permission), read the file as it is.
    with suppress(StoreError):
        upgrade(path)
    return _open(path, read_only=True, wait_s=wait_s, on_wait=on_wait)


def upgrade(path: Path, wait_s: float = 0.0) -> tuple[list[int], int]:
    """Create or upgrade the file: (versions applied now, schema version after)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only=False, wait_s=wait_s, run_migrations=False)
    try:
        applied = migrate(con)
        return applied, schema_version(con)
    finally:
        con.close()


def _open(
    path: Path, *, read_only: bool, wait_s: float, run_migrations: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    started = time.monotonic()
    deadline = started + wait_s
    told = on_wait is None
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            msg = str(exc)
            if "lock" not in msg.lower():
                raise StoreError(f"cannot open {path}: {msg}") from exc
            if time.monotonic() >= deadline:
                raise DatabaseLockedError(
                    f"{path} is being written by {_lock_holder(msg)} (an ingest is probably running); "
                    "wait for it to finish and try again"
                ) from exc
            if not told and time.monotonic() - started >= READ_WAIT_NOTICE_S:
                assert on_wait is not None
                on_wait(f"{path} is being written by {_lock_holder(msg)} (an ingest is committing); "
                        f"waiting up to {wait_s:.0f} s")
                told = True
            time.sleep(0.2 if read_only else 0.5)
    if not read_only and run_migrations:
        try:
            migrate(con)
        except BaseException:
            con.close()
            raise
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Commit everything inside, or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@dataclass
class Database:
    """A DuckDB file opened only for short windows (``read()``, ``write()``), so that other
    processes can read it in between: DuckDB lets no other process open a file, not even to
    read, while one holds it for writing.  Counts how long this process held it."""

    path: Path
    wait_s: float = WRITE_WAIT_S
    held_s: float = 0.0
    windows: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Set once a write window has migrated the file: later windows skip the schema check (the
    # writer slot keeps other writers, and so other code versions, out meanwhile).
    _migrated: bool = field(default=False, repr=False)

    @contextmanager
    def write(self, *, checkpoint: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The file opened for writing (created and migrated when needed), closed at the end.

        The close does not checkpoint unless ``checkpoint``: a checkpoint rewrites the tables'
        key indexes (0.2–0.3 s on a 600-article file, growing with it) while the file stays
        locked, whereas the write-ahead log is already durable at commit and the next open
        replays it (~4 ms per 64-article batch logged; DuckDB still checkpoints by itself
        once the log passes its ``checkpoint_threshold``).  The last window of a run passes
        ``checkpoint=True``, so readers between runs open a checkpointed file."""
        with self._window(read_only=False) as con:
            if not checkpoint:
                con.execute("PRAGMA disable_checkpoint_on_shutdown")
            yield con

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The file opened read-only (other readers may hold it at the same time), closed at the end."""
        with self._window(read_only=True) as con:
            yield con

    @contextmanager
    def _window(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        # Held from the open (which replays the log) to the close; a wait for another holder
        # would count too, but the writer slot means there is none.
        opened = time.perf_counter()
        con = connect(self.path, read_only=read_only, wait_s=self.wait_s, migrate=not self._migrated)
        if not read_only:
            self._migrated = True
        try:
            yield con
        finally:
            con.close()
            with self._lock:
                self.held_s += time.perf_counter() - opened
                self.windows += 1
