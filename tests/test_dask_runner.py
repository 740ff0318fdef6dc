"""`task_runner="dask"`: the ingest runs as a subflow on a local Dask cluster, extraction is
submitted to its worker processes, and the database ends the same as with threads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from core.errors import ConfigError
from flows.ingest import ingest_flow

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("prefect_dask") is None, reason="prefect-dask not installed"),
]

DEMO_ARTICLES = 9  # the bundled demo site's articles (tests/test_concurrency.py counts the same)


def _stored(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        docs = con.execute(
            "SELECT canonical_url, title, lang, content_hash, story_id, duplicate_of FROM documents"
            " ORDER BY canonical_url"
        ).fetchall()
        rel = con.execute(
            "SELECT canonical_url, topic, round(score, 4), label FROM relevance ORDER BY canonical_url, topic"
        ).fetchall()
        return docs, rel
    finally:
        con.close()


def _extract_runs_of_dask_subflow() -> int:
    """How many `extract` task runs the latest `ingest-dask` subflow run had."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["ingest-dask"])), sort=FlowRunSort.START_TIME_DESC, limit=1
        )
        assert runs, "no ingest-dask subflow run"
        assert runs[0].state is not None and runs[0].state.is_completed()
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[runs[0].id])))
    return sum(t.name.startswith("extract") for t in tasks)


def test_dask_runner_stores_the_same_as_threads(prefect_harness: None, demo_site: str, tmp_path: Path) -> None:
    feed = f"{demo_site}/feed.xml"
    threads = ingest_flow(db=str(tmp_path / "thread.duckdb"), feeds=[feed], task_runner="thread")
    dask = ingest_flow(db=str(tmp_path / "dask.duckdb"), feeds=[feed], task_runner="dask")
    assert threads.stored == dask.stored == DEMO_ARTICLES
    assert (dask.copies, dask.stories, dask.relevant) == (threads.copies, threads.stories, threads.relevant)
    docs_t, rel_t = _stored(tmp_path / "thread.duckdb")
    docs_d, rel_d = _stored(tmp_path / "dask.duckdb")
    assert len(docs_d) == DEMO_ARTICLES
    assert docs_d == docs_t
    assert rel_d == rel_t and rel_d
    assert _extract_runs_of_dask_subflow() == 1, "extraction ran as a task of the Dask subflow"


def test_unknown_task_runner_is_a_config_error(prefect_harness: None, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown task runner"):
        ingest_flow(db=str(tmp_path / "x.duckdb"), feeds=["http://127.0.0.1:9/none.xml"], task_runner="ray")
