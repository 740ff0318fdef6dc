"""The shell: the ``reewatch`` command line (``cli``, ``commands/``, ``shell``), the
``serve`` loop, ``query`` and the tables it prints, the offline ``demo/``, the ``eval``
measurements (``evaluate/``) and the Prefect environment (``prefect_env``).

May import: every package below it.  Nothing imports the shell.  Settings are read here
once (pipeline.settings) and passed down as option records.  The names below are imported
on first use (core/lazy.py).
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from reewatch.cli import app, main

__all__ = ["app", "main"]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
