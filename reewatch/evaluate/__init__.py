"""The ``reewatch eval`` measurements against labelled data (../shared/data): extraction
(``extraction``, its readers ``extraction_data`` and ``metrics``), dedup and relevance,
each public as a namespace with a ``main`` the CLI calls.

May import: everything ``reewatch`` may.  The modules are imported on first use
(core/lazy.py).
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from reewatch.evaluate import dedup, extraction, extraction_data, metrics, relevance

__all__ = ["dedup", "extraction", "extraction_data", "metrics", "relevance"]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
