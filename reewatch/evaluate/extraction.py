"""`reewatch eval extraction` — placeholder until issue #4 lands."""

from __future__ import annotations

from typing import Any


def main(*args: Any) -> int:
    console = args[-1]
    console.print("[yellow]reewatch eval extraction is not implemented yet (issue #4).[/]")
    return 3
