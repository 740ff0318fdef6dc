"""What a restarted ``serve`` must undo, and what its runs are doing, through Prefect's API.

A served flow run is a child process of the runner.  When ``serve`` dies (SIGKILL, a reboot, a
stop that did not wait) the run's state stays RUNNING or PENDING in the Prefect database, and
the slots it held stay taken: the deployment's concurrency slot (limit 1, ENQUEUE) and the
database's writer slot (flows/writer.py).  Their leases lived in the local server's memory,
which restarted with ``serve``, so nothing ever frees them and every later ingest queues behind
a run that no longer exists.

Prefect's runner does not record a flow run's process id or host on the run
(``infrastructure_pid`` is set by workers only), so a run cannot be checked for life.  Instead,
``recover`` runs at start-up, after the deployments are registered and before the runner
polls: nothing of this ``serve`` runs yet, so every RUNNING, PENDING or CANCELLING run of its
deployments is an orphan of a previous one.  ``serve`` calls it only against the local server
it started itself (state under the data directory); against a shared server another ``serve``
may be running the same deployments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from flows.writer import limit_name
from store.holder import holder_path, take_dead_holder

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun

# The state types of a run that holds (or is about to hold) its deployment's slot.
LIVE_TYPES = ("RUNNING", "PENDING", "CANCELLING")
# The most runs one look at a deployment's runs reads (a serve has one or two in flight).
RUNS_PAGE = 50
CRASH_MESSAGE = "reewatch serve restarted: the process of this run was gone"


def _deployment_filter(ids: Iterable[UUID]) -> Any:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    return DeploymentFilter(id=DeploymentFilterId(any_=list(ids)))


async def runs_of(client: PrefectClient, deployment_ids: Iterable[UUID], types: Iterable[str]) -> list[FlowRun]:
    """Flow runs of these deployments in these state types, the latest expected start first."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    state = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType(t) for t in types]))
    return await client.read_flow_runs(
        deployment_filter=_deployment_filter(deployment_ids), flow_run_filter=FlowRunFilter(state=state),
        sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=RUNS_PAGE,
    )


async def recent_runs(client: PrefectClient, deployment_ids: Iterable[UUID]) -> list[FlowRun]:
    """The latest runs of these deployments that have left the schedule (started or ended)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    state = FlowRunFilterState(type=FlowRunFilterStateType(not_any_=[StateType.SCHEDULED]))
    return await client.read_flow_runs(
        deployment_filter=_deployment_filter(deployment_ids), flow_run_filter=FlowRunFilter(state=state),
        sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=RUNS_PAGE,
    )


@dataclass(frozen=True)
class Recovered:
    what: str  # "run" or "slot"
    name: str
    detail: str

    def line(self) -> str:
        return f"recovered {self.what} {self.name}: {self.detail}"


async def crash_orphans(client: PrefectClient, deployment_ids: list[UUID]) -> list[Recovered]:
    """Mark every live-looking run of these deployments Crashed.  The transition out of RUNNING,
    PENDING or CANCELLING makes the server's ReleaseFlowConcurrencySlots give the deployment's
    slot back (by its lease, or, when the restarted server no longer has the lease, by
    decrementing the deployment's limit)."""
    from prefect.states import Crashed

    out = []
    for run in await runs_of(client, deployment_ids, LIVE_TYPES):
        before = run.state.name if run.state else "?"
        try:
            await client.set_flow_run_state(run.id, Crashed(message=CRASH_MESSAGE), force=True)
        except Exception as exc:  # the slot reset below still frees what it held
            out.append(Recovered("run", run.name, f"{before}, could not be marked crashed ({exc})"))
            continue
        out.append(Recovered("run", run.name, f"{before} with no process, marked crashed"))
    return out


async def _reset_limit(client: PrefectClient, name: str, why: str) -> Recovered | None:
    """Set the limit's active slots to 0 if any are taken; None when it is missing or free."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    try:
        limit = await client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        return None
    if not limit.active_slots:
        return None
    await client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(active_slots=0))
    return Recovered("slot", name, f"{limit.active_slots} taken by {why}, freed")


async def free_slots(
    client: PrefectClient, deployment_ids: list[UUID], db: Path, say: Callable[[str], None] | None = None
) -> list[Recovered]:
    """Free the deployments' concurrency slots and the database's writer slot where no live run
    holds them.  Called when no run of these deployments is live: after ``crash_orphans``, and
    when a stopping serve has cancelled its runs (a killed run cannot give its slots back)."""
    out = []
    for dep_id in deployment_ids:
        dep = await client.read_deployment(dep_id)
        gcl = dep.global_concurrency_limit
        if gcl is not None:
            got = await _reset_limit(client, gcl.name, "no live run")
            if got:
                out.append(got)
    # The writer slot is also taken by `reewatch run`/`digest` in another process on this
    # machine: free it only when its recorded holder is dead, or none is recorded.
    dead = take_dead_holder(db)
    path = holder_path(db)
    held_by_live = dead is None and path.exists() and path.read_text(encoding="utf-8").strip() not in ("", "{}")
    if not held_by_live:
        got = await _reset_limit(client, limit_name(db), f"process {dead}, which is gone" if dead else "no holder")
        if got:
            out.append(got)
    for r in out:
        if say:
            say(r.line())
    return out


async def recover(
    client: PrefectClient, deployment_ids: list[UUID], db: Path, say: Callable[[str], None]
) -> list[Recovered]:
    """Crash the orphaned runs of these deployments, then free the slots nobody holds; ``say``
    gets one line per run or slot recovered."""
    done = await crash_orphans(client, deployment_ids)
    for r in done:
        say(r.line())
    return done + await free_slots(client, deployment_ids, db, say)
