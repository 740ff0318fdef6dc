"""The ``digest`` flow: the configured channels' digests, as a Prefect flow run (digest/run.py)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from digest.run import DeliveryResult, run_configured_digest
from flows.writer import one_writer
from pipeline.settings import load_settings


@flow(name="digest", log_prints=False, validate_parameters=False)
def digest_flow(config: str | None = None, db: str | None = None, to: list[str] | None = None) -> list[DeliveryResult]:
    """Deliver the digest of what is new since the last one, per channel (scheduled ones when due).

    It records its deliveries, so it takes the writer slot as ``reewatch digest`` does: a digest
    due while an ingest runs waits for it instead of failing on DuckDB's lock."""
    s = load_settings(Path(config) if config else None, db=Path(db) if db else None)
    with one_writer(s.db):
        return run_configured_digest(s.db, s.digest, targets=list(to or []), base_url=s.ui.base_url)
