"""The two deployments, ``ingest`` and ``digest``, with their schedules and parameters
(``reewatch serve``; deployments/prefect.yaml for ``prefect deploy --all``): no logic.

May import: ``flows`` (the flows it schedules) and below.  The names below are imported on
first use (core/lazy.py).
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from deployments.serve import digest_deployment, ingest_deployment

__all__ = ["digest_deployment", "ingest_deployment"]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
