"""The one ingest service: settings (``reewatch.toml`` plus ``REEWATCH_*``, read in one
place), the run's plan and batch stages, the overlapped batches, and ``reewatch import``.
Every command that writes articles goes through ``run_ingest``/``ingest_with_stories`` or
``import_jsonl``; flows/ only wraps the stages as Prefect tasks.

May import: ``core``, ``fetch``, ``extract``, ``triage``, ``store``, ``digest`` (for its
settings section).  Never Prefect.  The names below are imported on first use
(core/lazy.py): the CLI's ``import pipeline.settings`` pays for the settings alone.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from pipeline.importer import import_jsonl
    from pipeline.ingest import ingest_with_stories, run_ingest
    from pipeline.plan import (
        DIRECT_STAGES,
        IngestPlan,
        RunState,
        Stages,
        chunks,
        fetch_pages_stage,
        read_sources_stage,
        triage_stage,
    )
    from pipeline.settings import Settings, SourceSettings, load_settings, packaged_default_config

__all__ = [
    "DIRECT_STAGES",
    "IngestPlan",
    "RunState",
    "Settings",
    "SourceSettings",
    "Stages",
    "chunks",
    "fetch_pages_stage",
    "import_jsonl",
    "ingest_with_stories",
    "load_settings",
    "packaged_default_config",
    "read_sources_stage",
    "run_ingest",
    "triage_stage",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
