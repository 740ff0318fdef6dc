"""Command groups that live in their own modules; each defines ``register(app)`` and the
CLI registers them (reewatch.cli.COMMAND_MODULES).

May import: everything ``reewatch`` may, heavy packages inside the command functions, so
that ``reewatch --help`` stays fast.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from reewatch.commands import extraction, maintenance, relevance

__all__ = ["extraction", "maintenance", "relevance"]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
