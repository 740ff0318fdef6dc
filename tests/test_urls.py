"""URL canonicalisation: one key per article however it was linked."""

from __future__ import annotations

import pytest

from core.urls import canonicalize_url

SAME_ARTICLE = [
    "https://news.example.com/world/licences-tighten",
    "https://www.news.example.com/world/licences-tighten/",
    "https://m.news.example.com/world/licences-tighten",
    "https://amp.news.example.com/world/licences-tighten/amp/",
    "https://news.example.com/world/licences-tighten/amp",
    "https://news.example.com/amp/world/licences-tighten",
    "https://NEWS.example.com:443/world/licences-tighten#comments",
    "https://news.example.com/world/licences-tighten?utm_source=feed&utm_medium=rss&fbclid=abc",
    "https://news.example.com/world/licences-tighten?outputType=amp&ocid=x",
]


@pytest.mark.parametrize("variant", SAME_ARTICLE)
def test_variants_of_one_article_share_a_key(variant: str) -> None:
    assert canonicalize_url(variant) == "https://news.example.com/world/licences-tighten"


def test_amp_file_variant_maps_to_the_html_page() -> None:
    assert canonicalize_url("https://example.org/2025/06/story.amp.html") == "https://example.org/2025/06/story.html"


def test_content_selecting_query_is_kept_and_sorted() -> None:
    a = canonicalize_url("https://example.org/article?id=7&page=2&utm_campaign=x")
    b = canonicalize_url("https://www.example.org/article/?page=2&id=7")
    assert a == b == "https://example.org/article?id=7&page=2"
    assert canonicalize_url("https://example.org/article?id=8") != a


def test_different_paths_and_non_http_urls_are_left_distinct() -> None:
    assert canonicalize_url("https://example.org/a") != canonicalize_url("https://example.org/b")
    assert canonicalize_url("https://example.org/") == "https://example.org/"
    assert canonicalize_url("file:///tmp/page.html") == "file:///tmp/page.html"
    # a two-label host keeps its "www"-like first label (it is the domain itself)
    assert canonicalize_url("https://m.com/x") == "https://m.com/x"
