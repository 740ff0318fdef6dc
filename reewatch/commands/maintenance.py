"""Extra CLI commands (see reewatch.cli.COMMAND_MODULES)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``reewatch`` app."""
