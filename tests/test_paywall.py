"""Paywalls and teasers: a teaser page is stored flagged with its teaser text, not as a full
article (extract/article.py), through the real ingest on loopback, and the digest marks it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import duckdb
import pytest

from core.records import Article, Source, StoryDigestItem, StoryOutlet
from digest.compose import compose
from digest.model import outlet_note
from digest.render_html import to_html
from digest.render_text import to_markdown, to_text
from extract.article import extract_article
from fetch.options import FetchOptions
from pipeline.ingest import run_ingest
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import load_settings
from tests.loopback import Site, serve, static

NOW = datetime(2026, 6, 9, 12, tzinfo=UTC)
TEASER = ("Japan and the Philippines agreed on Tuesday to build a rare earth processing plant near Manila, "
          "officials said, as both countries try to cut their reliance on Chinese refiners.")


def _page(body: str, head: str = "") -> str:
    return (f"<html><head><title>Rare earth plant deal | Asia Ledger</title>{head}</head><body><article>"
            f"<h1>Rare earth plant deal</h1>{body}</article></body></html>")


def _ld(free: bool) -> str:
    return ('<script type="application/ld+json">' + json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": "Rare earth plant deal",
        "isAccessibleForFree": free, "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": free,
                                                 "cssSelector": ".paywall"}}) + "</script>")


def _extract(html: str) -> Article:
    out = extract_article(html, url="https://asia-ledger.example/a", source="t", fetched_at=NOW)
    assert isinstance(out, Article), out
    return out


def test_json_ld_not_free_is_a_teaser() -> None:
    art = _extract(_page(f"<p>{TEASER}</p><div class='paywall'></div>", _ld(False)))
    assert art.paywalled and art.text == TEASER


def test_subscribe_prompt_under_a_short_text_is_a_teaser_even_below_the_article_minimum() -> None:
    art = _extract(_page(f"<p>{TEASER}</p><div class='gate'><p>Subscribe to continue reading.</p>"
                         "<p>Already a subscriber? Log in</p></div>"))
    assert art.paywalled and TEASER in art.text


def test_a_teaser_without_text_falls_back_to_its_description() -> None:
    head = f'<meta property="og:description" content="{TEASER}">' + _ld(False)
    art = _extract(_page("<p>Subscribe to read.</p>", head))
    assert art.paywalled and art.text == TEASER


def test_free_articles_with_newsletter_boxes_or_paywall_scripts_are_not_flagged() -> None:
    paras = "".join(f"<p>{TEASER} Paragraph {i} adds that exports of magnets rose again this month.</p>"
                    for i in range(12))
    script = "<script>var gate = {prompt: 'Subscribe to continue reading'};</script>"
    art = _extract(_page(paras + "<aside><p>Subscribe to our newsletter</p></aside>", script + _ld(True)))
    assert not art.paywalled
    assert not _extract(_page(paras + "<p>Already a subscriber? Log in</p>")).paywalled, "a long page is not a teaser"


@pytest.mark.slow
def test_a_teaser_page_is_stored_flagged_and_the_digest_marks_it(tmp_path: Path) -> None:
    site = Site()
    db = tmp_path / "p.duckdb"
    with serve(site):
        feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>asia</title><item>'
                f"<title>Rare earth plant deal</title><link>{site.base}/business/plant.html</link>"
                f"<pubDate>{format_datetime(datetime.now(UTC))}</pubDate></item></channel></rss>")
        site.route("/feed.xml", static(feed, "application/rss+xml"))
        site.route("/business/plant.html", static(_page(f"<p>{TEASER}</p><p>Subscribe to continue reading.</p>")))
        opts = FetchOptions(read_timeout_s=2.0, connect_timeout_s=1.0, total_timeout_s=5.0, retries=0)
        plan = IngestPlan(settings=load_settings(db=db, fetch=opts, extract_workers=0),
                          sources=(Source("asia", "rss", f"{site.base}/feed.xml", allow_private=True),))
        summary = run_ingest(plan, stages=DIRECT_STAGES)
    assert summary.stored == 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT kind, paywalled, text FROM articles").fetchall()
    finally:
        con.close()
    assert len(rows) == 1 and rows[0][:2] == ("article", True) and TEASER in str(rows[0][2])


def test_the_digest_marks_leads_and_teasers() -> None:
    outlets = (StoryOutlet("Asia Ledger", "https://asia-ledger.example/a", "Rare earth plant deal", paywalled=True),
               StoryOutlet("Wire Daily", "https://news.google.com/rss/articles/CBMi1", "Plant deal signed", kind="lead"),
               StoryOutlet("Metal Bulletin", "https://metal-bulletin.example/b", "Deal signed"))
    item = StoryDigestItem("s1", "Rare earth plant deal", TEASER, 0.9, "relevant", NOW, outlets, ())
    d = compose([item], NOW)
    text, md, html = to_text(d), to_markdown(d), to_html(d)
    for out in (text, md, html):
        assert "paywalled" in out and "lead" in out
        assert "https://news.google.com/rss/articles/CBMi1" in out
    assert text.count("[lead") == 1 and text.count("paywalled") == 1


def test_an_imported_headline_is_a_lead_without_an_aggregator() -> None:
    # the outlet shown is the link's own host: the headline came from an import, not an aggregator
    imported = StoryOutlet("harbour.example", "https://www.harbour.example/quota", "Quota lifted", kind="lead")
    via_google = StoryOutlet("Wire Daily", "https://news.google.com/rss/articles/CBMi1", "Quota lifted", kind="lead")
    assert outlet_note(imported) == "lead: headline only"
    assert outlet_note(via_google) == "lead: headline only, link via the aggregator"
    assert outlet_note(StoryOutlet("harbour.example", "https://harbour.example/b", "Quota lifted")) == ""
