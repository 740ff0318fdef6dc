"""How the fetcher behaves: the ``[fetch]`` section of reewatch.toml, one model for both."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FetchOptions(BaseModel):
    """HTTP behaviour (``[fetch]``): timeouts, size caps, politeness, retries, per-kind windows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_agent: str = "reewatch/0.1 (news monitoring; +https://github.com/reewatch/reewatch)"
    # Appended to the User-Agent in parentheses: an address a site operator can write to.
    contact: str = ""
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_bytes: int = 5_000_000
    per_host: int = 2
    max_connections: int = 16
    max_links_per_source: int = 100
    max_redirects: int = 5
    retries: int = 2
    # Seconds between request starts to one host (robots Crawl-delay may ask for more).
    min_delay_s: float = 1.0
    # False lifts the delay and Crawl-delay for loopback/private hosts (replay, tests, benchmarks).
    throttle_private: bool = False
    obey_robots: bool = True
    # First retry waits this long, doubling after each failure.
    backoff_base_s: float = 0.5
    # A Retry-After longer than this is not waited for: the attempt fails and is logged.
    retry_after_max_s: float = 60.0
    # Sitemaps: only URLs dated within this many hours are taken.
    sitemap_window_h: float = 48.0
    # GDELT: first-run look-back, and the most requests one source may spend per run.
    gdelt_lookback_h: float = 24.0
    gdelt_max_requests: int = 6

    @property
    def agent(self) -> str:
        """The User-Agent header: ``user_agent`` with the contact, when there is one."""
        return self.user_agent + (f" ({self.contact})" if self.contact else "")
