"""The database as the reading room uses it: a read-only connection per request, closed at once,
and the one in-process writer kept apart from the readers.

DuckDB refuses, inside one process, a read-write connection to a file while read-only ones
are open (and the reverse): "a different configuration than existing connections".  So the
server's reads share a gate that its single writer thread (reewatch/ui/writes.py) takes alone
for the few milliseconds a label needs.  Across processes DuckDB's file lock does the same
job: a read waits up to READ_WAIT_S while an ingest commits a batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from store.db import READ_WAIT_S, connect

log = logging.getLogger("reewatch.ui")


class Gate:
    """Many readers or one writer; a waiting writer goes before new readers (it is rare and short)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


@contextmanager
def reading(db: Path, gate: Gate, wait_s: float = READ_WAIT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one request; waits (up to ``wait_s``) while an ingest commits."""
    with gate.read():
        con = connect(db, read_only=True, wait_s=wait_s, on_wait=log.info)
        try:
            yield con
        finally:
            con.close()
