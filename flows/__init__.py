"""Prefect wiring: the ``ingest`` flow (pipeline/'s stages as Prefect tasks over batches),
the ``digest`` flow, run summaries as artifacts, and the writer slot (``one_writer``: one
Prefect concurrency limit per database file, so one process writes a DuckDB file at a time).

May import: ``pipeline`` and every stage below it.  Holds no logic a stage could own.

Module names here must not repeat a top-level package's name (no ``flows/digest.py``):
Prefect puts an entrypoint's folder on ``sys.path`` when it loads a deployment, and such a
module would then shadow the package (tests/test_layout.py).  The digest flow is
``flows.digest_flow.digest_flow``: a package name equal to its module's would turn into the
module once that is imported.  The names below are imported on first use (core/lazy.py):
``import flows`` does not load Prefect.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from flows.ingest import ingest_flow
    from flows.writer import limit_name, one_writer

__all__ = ["ingest_flow", "limit_name", "one_writer"]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
