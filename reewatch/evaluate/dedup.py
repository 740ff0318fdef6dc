"""`reewatch eval dedup` — placeholder until issue #5 lands."""

from __future__ import annotations

from typing import Any


def main(*args: Any) -> int:
    console = args[-1]
    console.print("[yellow]reewatch eval dedup is not implemented yet (issue #5).[/]")
    return 3
