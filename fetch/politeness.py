"""Politeness: which hosts are private, how long to wait between requests to one host,
how long to back off after a fault.  Decisions are pure functions; ``HostGate`` holds the
per-host clocks and semaphores of one event loop.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import random
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

# Longest Crawl-delay we honour: a robots.txt asking for more would stall a run (one page
# per minute); past this the host is simply slow.  30 s is the ceiling commonly used by
# polite crawlers (Heritrix and Nutch defaults sit at 30 s).
MAX_CRAWL_DELAY_S = 30.0
# Hosts with a documented rate limit: GDELT's DOC API answers "Please limit requests to
# one every 5 seconds" (HTTP 429 page text) past that.
KNOWN_HOST_DELAYS_S: dict[str, float] = {"api.gdeltproject.org": 5.0}


def is_private_ip(text: str) -> bool | None:
    """True/False for a literal IP address, None for a name."""
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_reserved or ip.is_multicast


def is_private_host(url: str) -> bool:
    """True for loopback, private, link-local or unspecified literal addresses and localhost."""
    return _private_name((urlsplit(url).hostname or "").lower())


@functools.lru_cache(maxsize=4096)
def _private_name(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    return bool(is_private_ip(host))


async def resolves_private(host: str, cache: dict[str, bool] | None = None) -> bool:
    """True when a host name resolves to any private/loopback/link-local address.

    A name that does not resolve is not private (the fetch will fail on its own).
    """
    host = host.lower()
    literal = is_private_ip(host)
    if literal is not None:
        return literal
    if host == "localhost" or host.endswith(".localhost"):
        return True
    if cache is not None and host in cache:
        return cache[host]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        private = any(bool(is_private_ip(str(info[4][0]))) for info in infos)
    except OSError:
        private = False
    if cache is not None:
        cache[host] = private
    return private


def host_key(url: str) -> str:
    """scheme://host[:port], the unit of politeness (robots.txt is per origin)."""
    p = urlsplit(url)
    return f"{p.scheme.lower()}://{(p.netloc or '').lower()}"


def host_delay(url: str, min_delay_s: float, crawl_delay_s: float | None, throttle_private: bool) -> float:
    """Seconds between two request starts to the host of ``url``."""
    if not throttle_private and is_private_host(url):
        return 0.0
    host = (urlsplit(url).hostname or "").lower()
    known = KNOWN_HOST_DELAYS_S.get(host, 0.0)
    crawl = min(crawl_delay_s or 0.0, MAX_CRAWL_DELAY_S)
    return max(min_delay_s, known, crawl)


def backoff_s(attempt: int, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Exponential back-off with ±50 % jitter before retry number ``attempt`` (1-based)."""
    r = (rng or random).random()
    return float(min(max_s, base_s * 2 ** (attempt - 1)) * (0.5 + r))


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class HostGate:
    """Per-host concurrency and spacing for one event loop."""

    per_host: int
    # host → monotonic time of its next free slot; plain data, so one run's Fetchers can share it
    _next: dict[str, float] = field(default_factory=dict)
    _sems: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def semaphore(self, url: str) -> asyncio.Semaphore:
        key = host_key(url)
        if key not in self._sems:
            self._sems[key] = asyncio.Semaphore(max(1, self.per_host))
        return self._sems[key]

    async def wait_turn(self, url: str, delay_s: float) -> None:
        """Sleep until this host's next slot, and book the one after it."""
        key = host_key(url)
        now = time.monotonic()
        slot = max(now, self._next.get(key, 0.0))
        self._next[key] = slot + delay_s
        if slot > now:
            await asyncio.sleep(slot - now)

    def defer(self, url: str, seconds: float) -> None:
        """Push the host's next slot back (after a 429/503 with Retry-After)."""
        key = host_key(url)
        self._next[key] = max(self._next.get(key, 0.0), time.monotonic() + seconds)
