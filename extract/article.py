"""HTML page → Article (or NoArticle with a reason).  Pure: no I/O, no settings.

The cascade:
  1. reject what is not an article page (empty, binary, too short);
  2. trafilatura extracts main text and metadata;
  3. metadata is completed (canonical URL, site, hints from the feed);
  4. the normalised content hash is computed for exact-duplicate detection.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import trafilatura

from extract.text import content_hash
from extract.urls import canonicalize_url
from reewatch.records import Article, NoArticle

# Below this many characters of main text a page is a stub, a teaser or an index page,
# not an article (set by eye on the demo site and the seeds: the shortest real
# article there is ~600 characters; teasers are under 200).
MIN_TEXT_CHARS = 200


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def site_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def extract_article(
    html: str,
    *,
    url: str,
    source: str,
    fetched_at: datetime,
    keep_raw_html: bool = True,
    title_hint: str | None = None,
    published_hint: datetime | None = None,
) -> Article | NoArticle:
    """Extract the main text and metadata of one page."""
    # 1. cheap rejections
    if not html or not html.strip():
        return NoArticle(url, source, "empty page")
    if "\x00" in html[:4096]:
        return NoArticle(url, source, "binary content")
    # 2. trafilatura
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception as exc:  # trafilatura raises on some malformed trees
        return NoArticle(url, source, f"extraction failed: {type(exc).__name__}: {exc}")
    if doc is None:
        return NoArticle(url, source, "no main text found")
    text = (doc.text or "").strip()
    if len(text) < MIN_TEXT_CHARS:
        return NoArticle(url, source, f"main text too short ({len(text)} chars)")
    # 3. metadata
    title = (doc.title or title_hint or "").strip() or text.split("\n", 1)[0][:160]
    canonical = canonicalize_url(doc.url or url)
    published = _parse_date(doc.date) or published_hint
    return Article(
        url=url,
        canonical_url=canonical,
        title=title,
        text=text,
        site=site_of(canonical or url),
        lang=doc.language,
        published_at=published,
        first_seen_at=fetched_at,
        source=source,
        content_hash=content_hash(text),
        author=doc.author,
        raw_html=html if keep_raw_html else None,
        site_name=doc.sitename or None,
    )


def article_from_text(
    text: str,
    *,
    url: str,
    source: str,
    fetched_at: datetime,
    title: str | None = None,
    published_at: datetime | None = None,
    lang: str | None = None,
) -> Article:
    """An Article from already-extracted text (``reewatch import`` with ``text``)."""
    text = text.strip()
    canonical = canonicalize_url(url)
    return Article(
        url=url,
        canonical_url=canonical,
        title=(title or text.split("\n", 1)[0][:160]).strip(),
        text=text,
        site=site_of(canonical),
        lang=lang,
        published_at=published_at,
        first_seen_at=fetched_at,
        source=source,
        content_hash=content_hash(text),
    )
