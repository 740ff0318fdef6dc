"""``reewatch sources --check`` against a loopback site: a feed, a sitemap, a 404, a Google
News-style feed, and a robots.txt that disallows the item links."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from typer.testing import CliRunner

from core.records import Source
from fetch.check import check_sources, contact_warning
from fetch.options import FetchOptions
from reewatch.cli import app
from tests.loopback import Site, serve, static

OPTS = FetchOptions(read_timeout_s=2.0, connect_timeout_s=1.0, total_timeout_s=5.0, retries=0)
ROBOTS = "User-agent: *\nDisallow: /rss/articles/\nAllow: /\n"


def _site(site: Site, now: datetime) -> None:
    items = "".join(f"<item><title>Item {i}</title><link>{site.base}/news/{i}.html</link>"
                    f"<pubDate>{format_datetime(now - timedelta(hours=2 + i))}</pubDate></item>" for i in range(3))
    site.route("/feed.xml", static(f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}'
                                   "</channel></rss>", "application/rss+xml"))
    gn = "".join(f"<item><title>Lead {i} - Outlet</title><link>{site.base}/rss/articles/CBMiAU_yqL{i}?oc=5</link>"
                 f"<pubDate>{format_datetime(now - timedelta(hours=1))}</pubDate>"
                 f'<source url="https://outlet.example">Outlet</source></item>' for i in range(2))
    site.route("/rss/search", static(f'<?xml version="1.0"?><rss version="2.0"><channel><title>g</title>{gn}'
                                     "</channel></rss>", "application/rss+xml"))
    stamp = (now - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    site.route("/sitemap.xml", static(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.base}/news/s1.html</loc><lastmod>{stamp}</lastmod></url></urlset>", "application/xml"))
    site.route("/robots.txt", static(ROBOTS, "text/plain"))


def test_check_reports_reachability_kind_items_age_and_robots() -> None:
    site = Site()
    now = datetime.now(UTC)
    with serve(site):
        _site(site, now)
        sources = [Source("feed", "rss", f"{site.base}/feed.xml", allow_private=True),
                   Source("gn", "gnews", f"{site.base}/rss/search?q=x", allow_private=True),
                   Source("map", "sitemap", f"{site.base}/sitemap.xml", allow_private=True),
                   Source("gone", "rss", f"{site.base}/missing.xml", allow_private=True)]
        feed, gn, sm, gone = asyncio.run(check_sources(OPTS, sources))
        stored_nothing = site.hits.get("/news/0.html", 0) == 0
    assert (feed.reachable, feed.detected, feed.items, feed.robots) == (True, "rss", 3, "allowed (3 checked)")
    assert feed.newest_age_h is not None and 1.9 < feed.newest_age_h < 2.1
    assert (gn.reachable, gn.detected, gn.items) == (True, "rss", 2)
    assert gn.robots.startswith("disallowed for 2 of 2") and "robots.txt" in gn.robots
    assert (sm.reachable, sm.detected, sm.items) == (True, "sitemap", 1)
    assert sm.newest_age_h is not None and 4.9 < sm.newest_age_h < 5.1
    assert (gone.reachable, gone.status, gone.items) == (False, "http_404", 0)
    assert stored_nothing, "the check reads sources, never their pages"


def test_contact_placeholder_warns() -> None:
    assert contact_warning(FetchOptions()) is not None and "REEWATCH_FETCH__CONTACT" in (contact_warning(FetchOptions()) or "")
    assert contact_warning(FetchOptions(contact="ops@example.org")) is None


def test_cli_check_prints_the_table_and_the_contact_warning(tmp_path: Path) -> None:
    site = Site()
    with serve(site):
        _site(site, datetime.now(UTC))
        cfg = tmp_path / "reewatch.toml"
        cfg.write_text(f'db = "{tmp_path / "x.duckdb"}"\n[fetch]\nretries = 0\n[[sources]]\nname = "feed"\nkind = "rss"\n'
                       f'url = "{site.base}/feed.xml"\n[[sources]]\nname = "gone"\nkind = "rss"\nurl = "{site.base}/nope.xml"\n')
        result = CliRunner().invoke(app, ["sources", "--check", "--config", str(cfg)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "fetch.contact is empty" in result.output
    assert "feed" in result.output and "http_404" in result.output and "rss" in result.output
    assert not (tmp_path / "x.duckdb").exists(), "a check stores nothing"
