"""robots.txt per origin (RFC 9309, parsed by ``protego``): fetched once, cached, Crawl-delay read.

RFC 9309 §2.2.2: the longest matching rule wins, Allow over Disallow at equal length, ``*``
and ``$`` are wildcards.  Policy when robots.txt cannot be read (§2.3.1.3-4): 4xx (missing,
forbidden) → everything allowed; 5xx or a network fault → nothing allowed for a while.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from protego import Protego

from core.errors import http_error_class

# Google stops reading robots.txt after 500 KiB (RFC 9309 §2.5 asks for at least that).
ROBOTS_MAX_BYTES = 500 * 1024
# How long a parsed robots.txt is trusted (RFC 9309 §2.4: "SHOULD NOT use a cached
# version for more than 24 hours"); one ingest cycle is far shorter.
ROBOTS_TTL_S = 6 * 3600.0
# How long an unreachable robots.txt (5xx, network fault) blocks a host before we ask again.
ROBOTS_UNREACHABLE_TTL_S = 600.0

# (status or None on a network fault, body, error class of the fault) of GET origin/robots.txt
RobotsFetch = Callable[[str], Awaitable[tuple[int | None, bytes, str | None]]]


def product_token(user_agent: str) -> str:
    """Pure: the product token robots.txt groups are matched against (RFC 9309 §2.2.1):
    ``reewatch`` of ``reewatch/0.1 (news monitoring; …)``, so a group for ``news`` does not
    match words of the comment."""
    return user_agent.split("/")[0].split()[0].strip().lower() if user_agent.strip() else "*"


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says to our user agent."""

    parser: Protego | None  # None: everything allowed
    unreachable: bool = False
    # Why robots.txt was unreachable (``http_503``, ``connect``, ``timeout``…): the host's pages
    # are refused with this class, since a fetch would meet the same fault.
    fault: str | None = None

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.unreachable:
            return False
        return True if self.parser is None else bool(self.parser.can_fetch(url, product_token(user_agent)))

    def crawl_delay(self, user_agent: str) -> float | None:
        """Seconds between requests the group for our agent asks for (fractions allowed)."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(product_token(user_agent))
        return None if delay is None or delay < 0 else float(delay)


def rules_from(status: int | None, body: bytes, fault: str | None = None) -> RobotsRules:
    """Pure: the rules an answer to GET /robots.txt implies."""
    if status is None or status >= 500:
        fault = fault or (None if status is None else http_error_class(status))
        return RobotsRules(None, unreachable=True, fault=fault)
    if not 200 <= status < 300:
        return RobotsRules(None)
    return RobotsRules(Protego.parse(body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")))


@dataclass
class RobotsCache:
    """origin → rules; plain data, so one cache may serve several Fetchers in a run."""

    ttl_s: float = ROBOTS_TTL_S
    _rules: dict[str, tuple[RobotsRules, float]] = field(default_factory=dict)

    def cached(self, origin: str) -> RobotsRules | None:
        hit = self._rules.get(origin)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    async def rules_for(self, origin: str, fetch: RobotsFetch) -> RobotsRules:
        hit = self.cached(origin)
        if hit is not None:
            return hit
        status, body, fault = await fetch(origin + "/robots.txt")
        rules = rules_from(status, body, fault)
        ttl = ROBOTS_UNREACHABLE_TTL_S if rules.unreachable else self.ttl_s
        self._rules[origin] = (rules, time.monotonic() + ttl)
        return rules
