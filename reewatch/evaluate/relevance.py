"""`reewatch eval relevance` — placeholder until issue #6 lands."""

from __future__ import annotations

from typing import Any


def main(*args: Any) -> int:
    console = args[-1]
    console.print("[yellow]reewatch eval relevance is not implemented yet (issue #6).[/]")
    return 3
