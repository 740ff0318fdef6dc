"""Process memory settings (glibc only; a no-op elsewhere).

glibc gives each thread that allocates its own malloc arena (up to 8 per core), and memory
freed in an arena stays with it.  The ingest allocates large strings (pages, trees, texts) from
its main thread, its fetch thread and its commit thread, so freed pages pile up in three or more
arenas.  Capping the arenas at two (what ``MALLOC_ARENA_MAX=2`` does) before the ingest starts
its threads lowers its peak RSS (measured in docs/benchmarks.md, "peak RSS").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

# mallopt parameter number of M_ARENA_MAX (glibc malloc.h).
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2

_done = False


def limit_malloc_arenas(n: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; True when applied.  Leaves an
    explicit ``MALLOC_ARENA_MAX`` in the environment alone."""
    global _done
    if _done or "MALLOC_ARENA_MAX" in os.environ:
        return _done
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        _done = bool(libc.mallopt(_M_ARENA_MAX, n))
    except (OSError, AttributeError):
        return False
    return _done
