"""The two deployments, with their schedules and parameters (no logic).

``reewatch serve`` serves these against a local Prefect server; ``python -m
deployments.serve`` serves them against whatever PREFECT_API_URL points at (a server you
run, or Prefect Cloud).  ``deployments/prefect.yaml`` declares the same two for
``prefect deploy --all`` on a work pool.
"""

from __future__ import annotations

from typing import Any

INGEST_NAME = "ingest"
DIGEST_NAME = "digest"
# Defaults of the schedules (also in prefect.yaml): ingest every 15 minutes, digest daily at
# 07:00 in the configured time zone.
INGEST_EVERY_S = 900
DIGEST_CRON = "0 7 * * *"
DIGEST_TZ = "UTC"


def ingest_deployment(
    config: str | None, db: str | None, feeds: list[str] | None, every_s: int = INGEST_EVERY_S,
    task_runner: str = "thread",
) -> Any:
    """`ingest` on an interval; one run at a time per deployment (later ones queue)."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Interval

    from flows.ingest import ingest_flow

    return ingest_flow.to_deployment(
        name=INGEST_NAME,
        schedules=[Interval(every_s)],
        parameters={"config": config, "db": db, "feeds": feeds, "task_runner": task_runner},
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
        tags=["reewatch"],
        description="Fetch, extract, triage and store new articles.",
    )


def digest_deployment(config: str | None, db: str | None, cron: str = DIGEST_CRON, timezone: str = DIGEST_TZ) -> Any:
    """`digest` on a daily cron in ``timezone``."""
    from prefect.schedules import Cron

    from flows.digest_flow import digest_flow

    return digest_flow.to_deployment(
        name=DIGEST_NAME,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"config": config, "db": db},
        tags=["reewatch"],
        description="Deliver the digest of relevant stories new since the last one.",
    )


def main() -> None:
    """Serve both deployments with the default schedules against the configured server."""
    from prefect import serve

    serve(ingest_deployment(None, None, None), digest_deployment(None, None))


if __name__ == "__main__":
    main()
