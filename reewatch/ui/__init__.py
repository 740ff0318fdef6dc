"""The reading room: a local web view of stories, sources and volume, with relevance feedback
(labels, retrain) written through the database's writer slot (docs/ui.md).

Part of the shell: may import every package below it.  Server-rendered pages (Starlette and
Jinja2 with autoescaping), one stylesheet from the package, no script.  The names below are
imported on first use (core/lazy.py), so ``import reewatch.ui`` loads no web framework.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from reewatch.ui.app import UiConfig, create_app
    from reewatch.ui.server import run_ui, ui_config, ui_thread

__all__ = ["UiConfig", "create_app", "run_ui", "ui_config", "ui_thread"]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
