"""htmldate's free-text date parsing goes through dateparser limited to the page's language and
English (extract/datelang.py), and a German page without date tags still gets its date."""

from __future__ import annotations

from datetime import UTC, datetime

import htmldate.extractors as hx

from core.records import Article
from extract import datelang
from extract.article import extract_article

FETCHED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)


def test_languages_for_a_page() -> None:
    assert datelang.languages_for("de") == ("de", "en")
    assert datelang.languages_for("en") == ("en",)
    assert datelang.languages_for(None) == ("en",)  # no language named: English, not every locale
    assert datelang.languages_for("xx") == ("en",)  # not a dateparser language


def test_htmldate_parses_in_the_page_language_only_inside_the_block() -> None:
    assert datelang.install()
    assert hx.get_external_parser is not datelang._installed["default"]
    with datelang.page_languages("de"):
        assert datelang.active_languages() == ("de", "en")
        assert hx._external_date("Dienstag, 3. Juni 2025 um 14:05 Uhr") == datetime(2025, 6, 3, 14, 5)
    with datelang.page_languages("en"):
        assert hx._external_date("Dienstag, 3. Juni 2025 um 14:05 Uhr") is None
    assert datelang.active_languages() is None
    assert hx._external_date("Dienstag, 3. Juni 2025 um 14:05 Uhr") == datetime(2025, 6, 3, 14, 5)


def test_german_page_without_date_tags_gets_its_date() -> None:
    body = " ".join(["Die Ausfuhr von Seltenen Erden aus China bleibt genehmigungspflichtig."] * 12)
    html = f"""<html lang="de"><head><title>Seltene Erden: neue Lizenzen</title></head><body>
    <article><h1>Seltene Erden: neue Lizenzen</h1>
    <p class="byline">Dienstag, 3. Juni 2025 um 14:05 Uhr</p>
    <p>{body}</p><p>{body}</p></article></body></html>"""
    art = extract_article(html, url="https://zeitung.example/seltene-erden", source="t", fetched_at=FETCHED)
    assert isinstance(art, Article)
    assert art.lang == "de"
    assert art.published_at is not None and art.published_at.date().isoformat() == "2025-06-03"
