"""``reewatch demo``: the bundled sample site (``site/``) on a loopback server, and the whole
pipeline run against it offline.  The tests and benchmarks serve the same site.

May import: everything ``reewatch`` may.  The names below are imported on first use
(core/lazy.py).
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from reewatch.demo.run import run_demo
    from reewatch.demo.server import serve_site, site_dir

__all__ = ["run_demo", "serve_site", "site_dir"]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
