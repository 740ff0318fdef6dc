"""Source health says what happened: leads count as a healthy source's yield; a source whose
links were all refused or failed warns with the reason; ``reewatch sources`` shows the last
run's links, articles, leads, refused and failed (store.articles.last_run_counts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from core.records import Source
from pipeline.ingest import run_ingest
from pipeline.leads import health_warning
from pipeline.plan import DIRECT_STAGES
from store.articles import last_run_counts
from store.db import connect
from tests.loopback import Site, serve, static
from tests.test_gnews import FakeGoogleNews, _plan


def test_health_warning_names_the_reason_only_when_nothing_came_of_the_links() -> None:
    assert health_warning(3, {"errors": 3, "refused": 3}, "disallowed by x/robots.txt") == (
        "all 3 links refused by robots.txt: disallowed by x/robots.txt")
    assert health_warning(2, {"errors": 2}, "HTTP 503") == "all 2 links failed: HTTP 503"
    assert health_warning(3, {"errors": 2, "stored": 1}, "HTTP 503") is None
    assert health_warning(3, {"stored": 3, "leads": 3}, None) is None
    assert health_warning(0, {}, None) is None


@pytest.mark.slow
def test_refused_sources_warn_and_the_sources_table_counts_the_last_run(tmp_path: Path) -> None:
    gnews, publisher, blocked = Site(), Site(), Site()
    db = tmp_path / "h.duckdb"
    now = datetime.now(UTC)
    with serve(gnews), serve(publisher), serve(blocked):
        FakeGoogleNews(gnews, publisher).setup(now)
        items = "".join(f"<item><title>Magnet exports {i}</title><link>{blocked.base}/news/{i}.html</link>"
                        f"<pubDate>{format_datetime(now - timedelta(hours=i))}</pubDate></item>" for i in range(3))
        blocked.route("/feed.xml", static(f'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>{items}'
                                          "</channel></rss>", "application/rss+xml"))
        blocked.route("/robots.txt", static("User-agent: *\nDisallow: /news/\n", "text/plain"))
        gn = run_ingest(_plan(db, Source("gn", "gnews", f"{gnews.base}/rss/search?q=x", allow_private=True)),
                        stages=DIRECT_STAGES).sources[0]
        rss = run_ingest(_plan(db, Source("blocked", "rss", f"{blocked.base}/feed.xml", allow_private=True)),
                         stages=DIRECT_STAGES).sources[0]
        pages = sum(n for p, n in blocked.hits.items() if p.startswith("/news/"))
    assert (gn.ok, gn.leads, gn.warning) == (True, 3, None)
    assert rss.warning is not None and rss.warning.startswith("all 3 links refused by robots.txt")
    assert pages == 0
    con = connect(db, read_only=True)
    try:
        counts = last_run_counts(con)
        warning = con.execute("SELECT last_warning FROM sources WHERE name = 'blocked'").fetchone()
    finally:
        con.close()
    # (links, articles, leads, refused, failed)
    assert counts["gn"] == (3, 0, 3, 0, 0)
    assert counts["blocked"] == (3, 0, 0, 3, 0)
    assert warning is not None and "refused by robots.txt" in str(warning[0])
