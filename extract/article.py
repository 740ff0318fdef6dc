"""HTML page → Article (or NoArticle with a reason).  Pure: no I/O, no settings.

The cascade (docs/extraction.md has the measurements behind each step):
  1. reject what cannot be an article page (empty, binary, unparseable);
  2. parse once; read metadata from the tree (extract.metadata: tags, JSON-LD, htmldate);
  3. trafilatura extracts the main text (comments off, recall-leaning settings);
  4. trafilatura's balanced setting is tried when that text is short against the page's non-link text;
     paragraphs it missed in look-alike sibling containers of the article are put back (extract.recover);
  5. residual furniture lines are removed (extract.furniture);
  6. too little text left → NoArticle; else the Article with its normalised content hash.
Nothing in here raises on bad input: every failure becomes a NoArticle with a reason.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from core.rawhtml import compress_html
from core.records import Article, NoArticle
from core.text import content_hash
from core.urls import canonicalize_url
from extract.furniture import strip_furniture
from extract.interior import recover_headings
from extract.metadata import PageMeta, page_meta, subscribe_prompt
from extract.recover import recover_paragraphs

# Below this many characters of main text a page is a stub, a teaser or an index page,
# not an article (set by eye on the demo site and the seeds: the shortest real
# article there is ~600 characters; teasers are under 200).
MIN_TEXT_CHARS = 200
# Paywalls: a page declaring its content not free, or showing a subscribe prompt with less main
# text than this, is a teaser (stored flagged, docs/extraction.md).  The teasers of Nikkei Asia,
# The Diplomat and Japan Times are 1-3 paragraphs (under ~1,500 characters); the shortest full
# article of the demo site and the seeds is ~600 characters, so a prompt on a longer page is a
# newsletter box, not a paywall.
TEASER_MAX_CHARS = 1500
# A teaser needs this much text (else its og:description is used): one sentence.
MIN_TEASER_CHARS = 40
# Control characters (other than tab/newline/CR) in the first bytes mean binary content.
BINARY_SNIFF_CHARS = 4096
MAX_CONTROL_RATIO = 0.01
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
# Subtrees trafilatura discards anyway, removed (C code, in place) once the metadata has been read:
# its xpath pruning and tree copies then walk a smaller tree.  Same shingle F1 on the 60-page subsets,
# ~10 % less CPU (median 19.7 → 17.7 ms ScrapingHub, 28.6 → 26.2 ms wcxb-dev, 60-page subsets).
DEAD_WEIGHT_TAGS = ("script", "style", "svg", "link", "meta")
# Fallback gate: the recall setting kept under this share of the page's body text outside links,
# and the balanced setting finds at least this many times as much text.  Measured on all 972
# pages: the gate opens on 2.4 % of pages (23; against all visible text it opened on 50, most of
# them link-heavy ScrapingHub news pages where the balanced run, up to 250 ms, changed nothing);
# the fallback wins on 15 wcxb-dev pages, 13 of them gaining +0.26 to +0.87 shingle F1 and 2 losing
# ~0.6: wcxb-dev mean 0.925 → 0.934; no ScrapingHub page changes.  The share and gain were first
# set against all visible text on the 200-page wcxb-dev subset and held on the other 591 pages.
SHORT_RATIO = 0.2
FALLBACK_GAIN = 2.0
# A sentence end (Latin or CJK) followed by optional closing quotes and a space or the end.
# Every extraction of the 972 benchmark pages has at least one; index and list pages
# (headline links, tags) have none.
SENTENCE_END_RE = re.compile(r"[.!?。！？](?=[\"'”’)\]]*(\s|$))")


def site_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def _binary(html: str) -> bool:
    head = html[:BINARY_SNIFF_CHARS]
    if "\x00" in head:
        return True
    controls = len(_CONTROL_RE.findall(head))
    return controls > MAX_CONTROL_RATIO * len(head) or "\ufffd" * 8 in head


def reject_reason(html: str) -> str | None:
    """Why ``html`` cannot hold an article, or None."""
    if not html or not html.strip():
        return "empty page"
    if _binary(html):
        return "binary content"
    if "<" not in html[:BINARY_SNIFF_CHARS * 4]:
        return "not HTML (no markup)"
    return None


def _trafilatura(tree: HtmlElement, url: str, *, favor_recall: bool) -> str:
    doc = bare_extraction(tree, url=url, with_metadata=False, include_comments=False, include_tables=True,
                          favor_recall=favor_recall)
    text = doc.get("text") if isinstance(doc, dict) else getattr(doc, "text", None)
    return (text or "").strip()


def _chars(el: HtmlElement) -> int:
    return len(" ".join(el.text_content().split()))


def visible_chars(tree: HtmlElement) -> int:
    """Characters of body text outside links (scripts and styles already removed): the text an
    article could be made of; menus and link lists are not."""
    body = tree.find(".//body")
    body = body if body is not None else tree
    return max(0, _chars(body) - sum(_chars(a) for a in body.iter("a")))


def main_text(tree: HtmlElement, url: str) -> str:
    """trafilatura's main text of a parsed page ("" when it finds none).  Prunes ``tree`` in place.

    The recall setting first; when it keeps under ``SHORT_RATIO`` of the page's non-link text, the
    balanced setting is tried too and wins when it finds at least ``FALLBACK_GAIN`` times as much
    (on some layouts the recall setting picks one small block and misses the article body).  Then the
    paragraphs trafilatura missed in containers like the ones it kept are put back (``recover_paragraphs``).
    """
    etree.strip_elements(tree, *DEAD_WEIGHT_TAGS, with_tail=False)
    text = _trafilatura(tree, url, favor_recall=True)
    if is_short(len(text), visible_chars(tree)):
        balanced = _trafilatura(tree, url, favor_recall=False)
        if len(balanced) >= FALLBACK_GAIN * len(text):
            text = balanced
    return recover_headings(tree, recover_paragraphs(tree, text))


def is_short(text_chars: int, visible: int) -> bool:
    """The extracted text covers too little of the page's non-link text (the fallback gate)."""
    return text_chars < SHORT_RATIO * visible


def _article(html: str, text: str, meta: PageMeta, *, url: str, source: str, fetched_at: datetime,
             keep_raw_html: bool, title_hint: str | None, published_hint: datetime | None) -> Article:
    canonical = canonicalize_url(meta.canonical_url or url)
    title = (meta.title or title_hint or "").strip() or text.split("\n", 1)[0][:160]
    return Article(
        url=url,
        canonical_url=canonical,
        title=title,
        text=text,
        site=site_of(canonical or url),
        lang=meta.lang,
        published_at=meta.published_at or published_hint,
        first_seen_at=fetched_at,
        source=source,
        content_hash=content_hash(text),
        author=meta.author,
        updated_at=meta.updated_at,
        raw_html_z=compress_html(html) if keep_raw_html else None,
        site_name=meta.site_name,
    )


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
    """Extract the main text and metadata of one page; never raises on bad input."""
    reason = reject_reason(html)
    if reason:
        return NoArticle(url, source, reason)
    try:
        tree = load_html(html)
        if tree is None:
            return NoArticle(url, source, "unparseable HTML")
        meta = page_meta(tree, url, fetched_at)
        text = strip_furniture(main_text(tree, url), meta.title or title_hint, meta.headline)
    except Exception as exc:  # lxml/trafilatura raise on some malformed trees
        return NoArticle(url, source, f"extraction failed: {type(exc).__name__}: {exc}")
    if meta.paywalled or (len(text) < TEASER_MAX_CHARS and subscribe_prompt(html)):
        return _teaser(html, text, meta, url=url, source=source, fetched_at=fetched_at, keep_raw_html=keep_raw_html,
                       title_hint=title_hint, published_hint=published_hint)
    if len(text) < MIN_TEXT_CHARS:
        return NoArticle(url, source, f"main text too short ({len(text)} chars)")
    if not SENTENCE_END_RE.search(text):
        return NoArticle(url, source, "no prose in the main text (an index or list page)")
    return _article(html, text, meta, url=url, source=source, fetched_at=fetched_at, keep_raw_html=keep_raw_html,
                    title_hint=title_hint, published_hint=published_hint)


def _teaser(html: str, text: str, meta: PageMeta, *, url: str, source: str, fetched_at: datetime,
            keep_raw_html: bool, title_hint: str | None, published_hint: datetime | None) -> Article | NoArticle:
    """A paywalled page: its teaser (the main text, else its description), flagged."""
    if len(text) < MIN_TEASER_CHARS:
        text = (meta.description or "").strip()
    if len(text) < MIN_TEASER_CHARS:
        return NoArticle(url, source, f"paywalled, no teaser text ({len(text)} chars)")
    art = _article(html, text, meta, url=url, source=source, fetched_at=fetched_at, keep_raw_html=keep_raw_html,
                   title_hint=title_hint, published_hint=published_hint)
    return replace(art, paywalled=True)


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
