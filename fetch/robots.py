"""robots.txt per origin (RFC 9309): fetched once, cached, Crawl-delay read.

Policy when robots.txt cannot be read: 4xx (missing) → everything allowed; 5xx or a
network fault → nothing allowed for a short while (the RFC's "unreachable" rule).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.robotparser import RobotFileParser

# Google stops reading robots.txt after 500 KiB (RFC 9309 §2.5 asks for at least that).
ROBOTS_MAX_BYTES = 500 * 1024
# How long a parsed robots.txt is trusted (RFC 9309 §2.4: "SHOULD NOT use a cached
# version for more than 24 hours"); one ingest cycle is far shorter.
ROBOTS_TTL_S = 6 * 3600.0
# How long an unreachable robots.txt (5xx, network fault) blocks a host before we ask again.
ROBOTS_UNREACHABLE_TTL_S = 600.0

# (status or None on a network fault, body, error class of the fault) of GET origin/robots.txt
RobotsFetch = Callable[[str], Awaitable[tuple[int | None, bytes, str | None]]]


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says to our user agent."""

    parser: RobotFileParser | None  # None: everything allowed
    unreachable: bool = False
    # Why robots.txt was unreachable (``http_503``, ``connect``, ``timeout``…): the host's pages
    # are refused with this class, since a fetch would meet the same fault.
    fault: str | None = None

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.unreachable:
            return False
        return True if self.parser is None else self.parser.can_fetch(user_agent, url)

    # Crawl-delay per user-agent token (lower case; "*" for all), fractions allowed
    # (urllib.robotparser reads whole seconds only).
    delays: tuple[tuple[str, float], ...] = ()

    def crawl_delay(self, user_agent: str) -> float | None:
        token = user_agent.split("/")[0].strip().lower()
        found = dict(self.delays)
        specific = [d for agent, d in self.delays if agent not in ("*", "") and agent in token]
        return specific[0] if specific else found.get("*")


def rules_from(status: int | None, body: bytes, fault: str | None = None) -> RobotsRules:
    """Pure: the rules an answer to GET /robots.txt implies."""
    if status is None or status >= 500:
        return RobotsRules(None, unreachable=True, fault=fault or f"http_{status}")
    if not 200 <= status < 300:
        return RobotsRules(None)
    lines = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").splitlines()
    parser = RobotFileParser()
    parser.parse(lines)
    return RobotsRules(parser, delays=crawl_delays(lines))


def crawl_delays(lines: list[str]) -> tuple[tuple[str, float], ...]:
    """Pure: (user-agent, Crawl-delay seconds) for every group that sets one."""
    out: list[tuple[str, float]] = []
    agents: list[str] = []
    in_agents = False
    for raw in lines:
        key, _, value = raw.split("#", 1)[0].partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            agents = [*agents, value.lower()] if in_agents else [value.lower()]
            in_agents = True
            continue
        in_agents = False
        if key == "crawl-delay":
            try:
                delay = float(value)
            except ValueError:
                continue
            out += [(a, delay) for a in agents if delay >= 0]
    return tuple(out)


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
