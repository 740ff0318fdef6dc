"""robots.txt by RFC 9309: longest match, Allow over Disallow at equal length, ``*`` and ``$``,
4xx → allowed, 5xx → disallowed; Google News's robots.txt refuses its article links."""

from __future__ import annotations

import asyncio
from typing import Any

from core.records import Link
from fetch.discover import fetch_pages
from fetch.http import Fetcher
from fetch.options import FetchOptions
from fetch.robots import RobotsCache, product_token, rules_from
from tests.loopback import Site, serve, static

UA = "reewatch/0.1 (news monitoring; ops@example.org)"
OPTS = FetchOptions(read_timeout_s=2.0, connect_timeout_s=1.0, total_timeout_s=5.0, retries=0, user_agent=UA)
PAGE = b"<html><body><p>A story.</p></body></html>"
# news.google.com/robots.txt as quoted in issue #19.
GOOGLE_NEWS_ROBOTS = b"""User-agent: *
Disallow: /
Allow: /$
Allow: /home
Allow: /topics/
Allow: /publications/
Allow: /stories/
Allow: /swg/
Allow: /about
"""


def allowed(robots: str, path: str, status: int = 200) -> bool:
    return rules_from(status, robots.encode()).allowed("https://example.org" + path, UA)


def test_longest_match_wins_whatever_the_order() -> None:
    # RFC 9309 §2.2.2: "the most specific match found MUST be used" (the one with most octets).
    robots = "User-agent: *\nAllow: /\nDisallow: /private/\nAllow: /private/public/\n"
    assert allowed(robots, "/news/a.html")
    assert not allowed(robots, "/private/a.html")
    assert allowed(robots, "/private/public/a.html")
    # An early Allow: / does not shadow a later, longer Disallow (first-match parsers let it).
    assert not allowed("User-agent: *\nAllow: /\nDisallow: /x\n", "/x/1")
    # Disallow: / plus Allow: /x opens /x (first-match parsers over-block it).
    assert allowed("User-agent: *\nDisallow: /\nAllow: /x\n", "/x/1")
    assert not allowed("User-agent: *\nDisallow: /\nAllow: /x\n", "/y")


def test_allow_wins_over_disallow_at_equal_length() -> None:
    # RFC 9309 §2.2.2: "If an allow rule and a disallow rule are equivalent, then the allow rule SHOULD be used."
    assert allowed("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page")
    assert allowed("User-agent: *\nAllow: /page\nDisallow: /page\n", "/page")


def test_wildcards_star_and_dollar() -> None:
    # RFC 9309 §2.2.3 examples: "/*.php" matches /index.php, /filename.php/, /folder/any.php.file.html;
    # "/*.php$" matches /filename.php only at the end; "/fish*" equals "/fish".
    robots = "User-agent: *\nDisallow: /*.php$\nDisallow: /fish*\n"
    assert not allowed(robots, "/filename.php")
    assert not allowed(robots, "/folder/filename.php")
    assert allowed(robots, "/filename.php?parameters")
    assert allowed(robots, "/filename.php/")
    assert not allowed(robots, "/fish.html")
    assert not allowed(robots, "/fishheads/yummy.html")
    assert allowed(robots, "/Fish.asp")
    assert not allowed("User-agent: *\nDisallow: /*.php\n", "/folder/any.php.file.html")


def test_group_for_our_product_token_and_crawl_delay() -> None:
    robots = ("User-agent: news\nDisallow: /\n\nUser-agent: reewatch\nDisallow: /private/\nCrawl-delay: 2.5\n\n"
              "User-agent: *\nDisallow: /\n")
    assert product_token(UA) == "reewatch"
    rules = rules_from(200, robots.encode())
    # Our group, not the one for "news" (a word of our User-Agent's comment) nor "*".
    assert rules.allowed("https://example.org/a", UA)
    assert not rules.allowed("https://example.org/private/a", UA)
    assert rules.crawl_delay(UA) == 2.5
    assert rules_from(200, b"User-agent: *\nCrawl-delay: 0.5\n").crawl_delay(UA) == 0.5
    assert rules_from(200, b"User-agent: *\nDisallow:\n").crawl_delay(UA) is None


def test_unavailable_4xx_allows_and_unreachable_5xx_disallows() -> None:
    # RFC 9309 §2.3.1.3: 4xx "unavailable" → crawl anything; §2.3.1.4: 5xx "unreachable" → crawl nothing.
    assert allowed("User-agent: *\nDisallow: /\n", "/a", status=403)
    assert allowed("", "/a", status=404)
    five = rules_from(500, b"")
    assert five.unreachable and five.fault == "http_500" and not five.allowed("https://example.org/a", UA)
    down = rules_from(None, b"", "connect")
    assert down.unreachable and down.fault == "connect"


def test_google_news_robots_refuses_article_links() -> None:
    rules = rules_from(200, GOOGLE_NEWS_ROBOTS)
    base = "https://news.google.com"
    assert not rules.allowed(f"{base}/rss/articles/CBMiWkFVX3lxTE1hYmNkZWY?oc=5", UA)
    assert not rules.allowed(f"{base}/rss/search?q=rare+earth", UA)
    for ok in ("/", "/home", "/topics/CAAqBw", "/publications/x", "/stories/y", "/swg/z", "/about"):
        assert rules.allowed(base + ok, UA), ok
    assert not rules.allowed(f"{base}/articles/CBMi", UA)


def _fetch(urls: list[str], cache: RobotsCache) -> list[Any]:
    async def go() -> Any:
        async with Fetcher(OPTS, robots=cache) as f:
            return await fetch_pages(f, [Link(u, "s") for u in urls])

    return asyncio.run(go())


def test_over_the_wire_403_robots_allows_and_500_robots_refuses() -> None:
    forbidden, broken, google = Site(), Site(), Site()
    with serve(forbidden), serve(broken), serve(google):
        forbidden.route("/robots.txt", static(b"nope", "text/plain", 403))
        forbidden.route("/a", static(PAGE))
        broken.route("/robots.txt", static(b"oops", "text/plain", 500))
        broken.route("/a", static(PAGE))
        google.route("/robots.txt", static(GOOGLE_NEWS_ROBOTS, "text/plain"))
        google.route("/rss/articles/CBMiTOKEN", static(PAGE))
        google.route("/home", static(PAGE))
        cache = RobotsCache()
        (ok, _), (refused, att), (gn, gatt), (home, _) = _fetch(
            [f"{forbidden.base}/a", f"{broken.base}/a", f"{google.base}/rss/articles/CBMiTOKEN", f"{google.base}/home"],
            cache)
    assert ok is not None and forbidden.hits.get("/a") == 1
    assert refused is None and att.error_class == "http_500" and "/a" not in broken.hits
    assert gn is None and gatt.error_class == "robots" and "/rss/articles/CBMiTOKEN" not in google.hits
    assert home is not None
