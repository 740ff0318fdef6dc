"""extract_article on project-written pages: text without furniture, trustworthy metadata,
and "no article" (never an exception) for bad input."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.rawhtml import decompress_html
from core.records import Article, NoArticle
from core.text import tokens
from extract.article import article_from_text, extract_article
from extract.dates import parse_datetime, plausible
from extract.furniture import strip_furniture
from extract.metadata import clean_title, normalize_lang

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "reewatch" / "demo" / "site"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extraction"
FETCHED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
DEMO_PAGES = sorted(SITE.glob("*/*.html"))


def _extract(html: str, url: str = "https://www.lakeshore-ledger.example/x") -> Article | NoArticle:
    return extract_article(html, url=url, source="test", fetched_at=FETCHED)


def _article(html: str, url: str = "https://www.lakeshore-ledger.example/x") -> Article:
    result = _extract(html, url)
    assert isinstance(result, Article), result
    return result


def test_leaky_fixture_text_has_no_furniture_and_keeps_every_paragraph() -> None:
    art = _article((FIXTURES / "leaky-furniture.html").read_text(encoding="utf-8"))
    for leaked in ("ALSO SEE", "Share this article", "Sign up", "Related Articles", "robotics team",
                   "business reporter at", "All rights reserved", "Magnet makers in Ohio"):
        assert leaked not in art.text, leaked
    for kept in ("Two small magnet manufacturers near Toledo", "bonded magnets for pumps",
                 "Our phones started ringing", "several plant closures"):
        assert kept in art.text, kept
    assert art.text.count("\n") == 3  # exactly the four article paragraphs


def test_leaky_fixture_metadata() -> None:
    art = _article((FIXTURES / "leaky-furniture.html").read_text(encoding="utf-8"))
    assert art.title == "Magnet makers in Ohio expand as import curbs bite"
    assert art.author == "Dana Whitcombe"
    assert art.site_name == "Lakeshore Ledger"
    # <link rel=canonical> wins over the fetched URL; tracking parameters are dropped.
    assert art.canonical_url == "https://lakeshore-ledger.example/business/ohio-magnet-makers-expand"
    assert art.site == "lakeshore-ledger.example"
    assert art.lang == "en"
    assert art.published_at == datetime(2025, 7, 14, 13, 30, tzinfo=UTC)
    assert art.updated_at == datetime(2025, 7, 15, 15, 0, tzinfo=UTC)
    assert art.first_seen_at == FETCHED
    assert art.raw_html_z is not None and "ALSO SEE" in decompress_html(art.raw_html_z)


@pytest.mark.parametrize("page", DEMO_PAGES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_demo_site_pages_are_clean_articles(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    art = _article(html, url=f"http://127.0.0.1:8000/{page.parent.name}/{page.name}")
    assert art.published_at is not None and art.published_at.tzinfo is not None
    assert art.published_at.utcoffset() == UTC.utcoffset(None)
    assert art.lang == "en" and art.site_name and art.author
    for leaked in ("ALSO SEE", "Related Articles", "Download the", "All rights reserved", "Share on",
                   "Subscribe to our newsletter", "We use cookies"):
        assert leaked not in art.text, (leaked, page.name)
    assert not art.text.startswith(art.title)


def test_keep_raw_html_can_be_turned_off() -> None:
    html = (FIXTURES / "leaky-furniture.html").read_text(encoding="utf-8")
    result = extract_article(html, url="https://x.example/a", source="t", fetched_at=FETCHED, keep_raw_html=False)
    assert isinstance(result, Article) and result.raw_html_z is None


def test_future_and_prehistoric_dates_are_rejected_and_the_feed_hint_is_used() -> None:
    html = (FIXTURES / "leaky-furniture.html").read_text(encoding="utf-8")
    future = html.replace("2025-07-14T09:30:00-04:00", "2031-01-01T00:00:00Z").replace(
        "2025-07-15T11:00:00-04:00", "1989-05-01")
    hint = datetime(2025, 7, 14, 8, 0, tzinfo=UTC)
    result = extract_article(future, url="https://x.example/a", source="t", fetched_at=FETCHED, published_hint=hint)
    assert isinstance(result, Article)
    assert result.published_at is not None and result.published_at.year != 2031
    assert result.updated_at is None


BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t ",
    "binary": "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + "\x00\x01" * 400,
    "gzip-bytes-as-text": gzip.compress(b"<html><body><p>hello</p></body></html>" * 20).decode("latin-1"),
    "plain-text": "just some words, no markup at all " * 30,
    "index-page": "<html><body><ul>" + "".join(f"<li><a href='/a{i}'>Story {i}</a></li>" for i in range(30))
    + "</ul></body></html>",
    "truncated": (FIXTURES / "leaky-furniture.html").read_text(encoding="utf-8")[:700],
    "broken-markup": "<html><<<>>><body><p" + "<div>" * 500,
    "random-bytes": os.urandom(3000).decode("latin-1"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_no_article_with_a_reason(name: str) -> None:
    result = _extract(BAD_INPUTS[name])
    assert isinstance(result, NoArticle), name
    assert result.reason and result.url == "https://www.lakeshore-ledger.example/x"


def test_strip_furniture_keeps_prose_mentioning_furniture_words() -> None:
    prose = ("Analysts said readers should also see the licence data as a warning: exports fell by "
             "three quarters, and the ministry did not say when approvals would speed up again.")
    assert strip_furniture(prose) == prose
    text = "Headline here\n" + prose + "\nALSO SEE: Something else entirely\nSubscribe"
    assert strip_furniture(text, title="Headline here") == prose


def test_dates_parse_to_aware_utc_and_plausibility() -> None:
    assert parse_datetime("2025-06-09T07:42:00+02:00") == datetime(2025, 6, 9, 5, 42, tzinfo=UTC)
    assert parse_datetime("2025-06-09") == datetime(2025, 6, 9, tzinfo=UTC)
    assert parse_datetime("June 9") is None
    assert plausible(datetime(2025, 8, 2, 6, 0, tzinfo=UTC), FETCHED) is not None  # clock skew
    assert plausible(datetime(2025, 8, 5, tzinfo=UTC), FETCHED) is None
    assert plausible(datetime(1994, 12, 31, tzinfo=UTC), FETCHED) is None


def test_lang_and_title_helpers() -> None:
    assert normalize_lang("en-US") == "en" and normalize_lang("DE_de") == "de" and normalize_lang("english") is None
    assert clean_title("Magnets sold out | Lakeshore Ledger", "Lakeshore Ledger") == "Magnets sold out"
    assert clean_title("Lakeshore Ledger - Magnets sold out", "Lakeshore Ledger") == "Magnets sold out"


def test_article_from_text_hash_matches_tokens() -> None:
    art = article_from_text("  Rare earth magnets.  ", url="https://www.a.example/x", source="t", fetched_at=FETCHED)
    assert art.site == "a.example" and tokens(art.text) == ["rare", "earth", "magnets"]


def test_published_local_keeps_the_page_offset_for_the_day_it_names() -> None:
    from trafilatura.utils import load_html

    from extract.metadata import page_meta
    from reewatch.evaluate.extraction import same_day

    html = (FIXTURES / "leaky-furniture.html").read_text(encoding="utf-8").replace(
        "2025-07-14T09:30:00-04:00", "2025-07-14T22:30:00-04:00")
    meta = page_meta(load_html(html), "https://x.example/a", FETCHED)
    assert meta.published_at == datetime(2025, 7, 15, 2, 30, tzinfo=UTC)
    assert meta.published_local is not None and meta.published_local.date().isoformat() == "2025-07-14"
    offset = meta.published_local.utcoffset()
    assert offset is not None and offset.total_seconds() == -4 * 3600
    # The evaluation credits the page's own day, and only for the time we stored.
    gold = meta.published_local.date()
    assert same_day(meta.published_at, gold, html, "https://x.example/a")
    assert not same_day(meta.published_at.replace(hour=12), gold, html, "https://x.example/a")


def test_fallback_gate_and_dead_weight_removal() -> None:
    from trafilatura.utils import load_html

    from extract.article import FALLBACK_GAIN, SHORT_RATIO, is_short, main_text, visible_chars

    assert is_short(100, 1000) and not is_short(int(SHORT_RATIO * 1000), 1000)
    assert FALLBACK_GAIN > 1
    html = (FIXTURES / "leaky-furniture.html").read_text(encoding="utf-8")
    tree = load_html(html.replace("</body>", "<script>var leaked = 'SCRIPTTEXT';</script><style>.x{}</style></body>"))
    text = main_text(tree, "https://x.example/a")
    assert "Two small magnet manufacturers near Toledo" in text and "SCRIPTTEXT" not in text
    assert tree is not None and tree.find(".//script") is None
    assert visible_chars(tree) >= len(text.replace("\n", " ")) > 0


def test_strip_furniture_drops_gallery_newsletter_and_dateline_lines() -> None:
    prose = ("The ministry met exporters on October 12, 2017 and again in 2018; 1 / 8 of the quota "
             "went to magnet makers, officials said.")
    caption = "Workers sort ore at a processing plant outside Baotou, in a photo from the ministry."
    text = "\n".join([prose, "October 12, 2017", "Image 1 of 8", "1 / 8", "Photo: Jane Doe, Wire Service",
                      "Back to Gallery", caption, caption, "Thanks for signing up!",
                      "Keep an eye on your inbox for the latest news.", "Updated", "05/10/2018", prose])
    assert strip_furniture(text) == "\n".join([prose, caption, prose])
