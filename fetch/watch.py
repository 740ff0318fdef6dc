"""A watched section front page → new same-site article links (pure parsing).

Which anchors look like articles: same site (``www.``/``m.`` ignored), http(s), and a
path whose last segment is a slug (hyphenated words) or carries an id or a date; section,
tag, author, search and account pages and static files are left out.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from core.records import Link
from fetch.feeds import ParsedLinks

NON_ARTICLE_SEGMENTS = frozenset({
    "tag", "tags", "topic", "topics", "category", "categories", "section", "author", "authors", "search",
    "login", "signin", "signup", "register", "subscribe", "account", "about", "contact", "privacy", "terms",
    "newsletter", "newsletters", "podcasts", "video", "videos", "live", "page", "feed", "rss", "cdn-cgi",
})
STATIC_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".css", ".js", ".xml", ".zip",
                   ".mp3", ".mp4", ".ico", ".json", ".rss")
# A slug needs this many hyphen-joined words ("china-curbs-exports"): section names like
# "world" or "us-news" have one or two.
MIN_SLUG_WORDS = 3
_DIGITS_RE = re.compile(r"\d{4,}")
_SPACE_RE = re.compile(r"\s+")


def site_of(host: str) -> str:
    host = host.lower()
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix):]
    return host


def looks_like_article(url: str) -> bool:
    """Pure heuristic on the URL path."""
    path = urlsplit(url).path.lower()
    segments = [s for s in path.split("/") if s]
    if not segments or path.endswith(STATIC_SUFFIXES):
        return False
    if any(s in NON_ARTICLE_SEGMENTS for s in segments):
        return False
    last = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1])
    return len(last.split("-")) >= MIN_SLUG_WORDS or bool(_DIGITS_RE.search(last))


def parse_watch_page(html: str, base_url: str, source: str) -> ParsedLinks:
    """Same-site article links of a section front, in page order, each once."""
    if not html.strip():
        return ParsedLinks((), 0, "empty page")
    try:
        doc = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        return ParsedLinks((), 0, f"not readable HTML: {exc}")
    site = site_of(urlsplit(base_url).hostname or "")
    base = urljoin(base_url, doc.xpath("string(//base/@href)") or "") or base_url
    links: dict[str, Link] = {}
    skipped = 0
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "file") or site_of(parts.hostname or "") != site:
            continue
        if not looks_like_article(url):
            skipped += 1
            continue
        title = _SPACE_RE.sub(" ", a.text_content()).strip()[:300] or None
        if url not in links:
            links[url] = Link(url, source, title)
    return ParsedLinks(tuple(links.values()), skipped)
