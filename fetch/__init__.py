"""Everything that talks to servers: the polite HTTP client (timeouts, size caps, robots.txt,
per-host delays, retries, conditional GET, ``file://``) and the source kinds that turn an
answer into links (feeds, sitemaps, GDELT, Google News, watched section fronts).

May import: ``core``.  Never parses article text (that is ``extract``) nor stores anything.
The names below are imported on first use (core/lazy.py): ``import fetch`` loads no httpx.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from fetch.discover import allowed_link, fetch_page, fetch_pages, read_source, read_sources
    from fetch.feeds import parse_feed
    from fetch.http import Fetcher, Response
    from fetch.options import FetchOptions
    from fetch.robots import RobotsCache
    from fetch.sitemaps import parse_sitemap
    from fetch.watch import parse_watch_page

__all__ = [
    "FetchOptions",
    "Fetcher",
    "Response",
    "RobotsCache",
    "allowed_link",
    "fetch_page",
    "fetch_pages",
    "parse_feed",
    "parse_sitemap",
    "parse_watch_page",
    "read_source",
    "read_sources",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
