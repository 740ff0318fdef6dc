"""glibc's malloc arenas are capped once (core/memory.py); an explicit MALLOC_ARENA_MAX wins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = "import core.memory as m; m.limit_malloc_arenas(); print(m._done)"


def _probe(env_extra: dict[str, str]) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env_extra
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_the_arenas_are_capped() -> None:
    assert _probe({}) == ("True" if sys.platform.startswith("linux") else "False")


def test_an_explicit_setting_is_left_alone() -> None:
    assert _probe({"MALLOC_ARENA_MAX": "4"}) == "False"
