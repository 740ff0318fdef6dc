"""Page metadata from a parsed HTML tree: title, author, site name, language, canonical
URL, published/updated dates, description, paywall markers.  Pure (no I/O); dates pass the
plausibility check.

Sources, in order of trust: explicit ``<meta>``/``<link>`` tags (Open Graph, article:*,
Dublin Core, schema.org itemprops), JSON-LD (``NewsArticle``…), then htmldate's
heuristics for the published date when no tag names it.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml.html import HtmlElement

from extract.datelang import install as install_date_languages
from extract.datelang import page_languages
from extract.dates import CLOCK_SKEW, EARLIEST, first_plausible, parse_datetime, parse_local, plausible, to_utc

install_date_languages()

PUBLISHED_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "parsely-pub-date", "sailthru.date",
    "dc.date.issued", "dcterms.created", "dc.date", "date", "article.published", "published_time",
)
UPDATED_KEYS = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "datemodified",
    "dcterms.modified", "last-modified", "lastmod", "article.updated", "modified_time",
)
TITLE_KEYS = ("og:title", "twitter:title", "headline", "dc.title")
AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
_LANG_RE = re.compile(r"^([a-zA-Z]{2})(?:[-_][a-zA-Z0-9]+)*$")
# Separators sites put between the headline and their name in <title>.
_TITLE_SPLIT_RE = re.compile(r"\s+[|–—·•:-]\s+")
# A page declaring its content not free (schema.org ``isAccessibleForFree: false``, the markup
# Google asks paywalled publishers for) or locked (``article:content_tier``, Open Graph's tier).
_NOT_FREE = (False, "false", "False", "FALSE", "no")
LOCKED_TIERS = ("locked",)
# A subscribe prompt where the article should go: the phrases the paywalled default sources
# (Nikkei Asia, The Diplomat, Japan Times) and the common paywall vendors put under the teaser.
_SUBSCRIBE_RE = re.compile(
    r"subscribe (?:now )?to (?:continue|read|unlock|keep reading)|to continue reading|continue reading with"
    r"|already a (?:subscriber|member)|(?:this|the) (?:article|story|content) is (?:only )?(?:for|available to) "
    r"(?:paid |premium )?(?:subscribers|members)|subscribers only|for subscribers only|sign in to read"
    r"|become a (?:subscriber|member) to read|unlock this article|register to read",
    re.IGNORECASE,
)
_SCRIPT_RE = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# Longest JSON-LD script we parse (bigger ones are product catalogues, not article metadata).
MAX_JSONLD_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None = None
    author: str | None = None
    site_name: str | None = None
    lang: str | None = None
    canonical_url: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    # The tagged published time in the page's own UTC offset (None when htmldate or nothing gave it):
    # its ``.date()`` is the day the page names, which a UTC date can miss by one near midnight.
    published_local: datetime | None = None
    # The text of the page's first <h1> (the headline as shown; it can differ from og:title).
    headline: str | None = None
    # og:description / description: a teaser's fallback text.
    description: str | None = None
    # The page says its content is not free (JSON-LD isAccessibleForFree false, a locked tier).
    paywalled: bool = False


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        content = el.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    for el in tree.iter("time"):
        if (el.get("itemprop") or "").lower() in ("datepublished", "datemodified") and el.get("datetime"):
            found.setdefault(el.get("itemprop", "").lower(), el.get("datetime", ""))
    return found


def _walk_jsonld(node: Any, out: dict[str, Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_jsonld(item, out)
    elif isinstance(node, dict):
        for key in ("datePublished", "dateModified", "headline", "author", "inLanguage", "isAccessibleForFree"):
            if key in node and key not in out:
                out[key] = node[key]
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "hasPart"):
            if key in node:
                _walk_jsonld(node[key], out)


def _jsonld(tree: HtmlElement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for el in tree.iter("script"):
        if (el.get("type") or "").lower() != "application/ld+json" or not el.text:
            continue
        if len(el.text) > MAX_JSONLD_CHARS:
            continue
        try:
            _walk_jsonld(json.loads(el.text), out)
        except ValueError:
            continue
    return out


def _person(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_person(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        return _person(value.get("name"))
    if isinstance(value, str):
        text = " ".join(value.split())
        if text and not text.startswith(("http://", "https://", "/")) and len(text) <= 120:
            return text
    return None


def normalize_lang(value: str | None) -> str | None:
    """``en-US`` / ``en_GB`` / ``EN`` → ``en``; anything else → None."""
    if not value:
        return None
    m = _LANG_RE.match(value.strip().split(",")[0].strip())
    return m.group(1).lower() if m else None


def _canonical(tree: HtmlElement, metas: dict[str, str], url: str) -> str | None:
    for el in tree.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        href = (el.get("href") or "").strip()
        if "canonical" in rel and href:
            return _absolute(href, url)
    og = metas.get("og:url")
    return _absolute(og, url) if og else None


def _absolute(href: str, base: str) -> str | None:
    full = urljoin(base, href) if base else href
    return full if urlsplit(full).scheme in ("http", "https") else None


def clean_title(raw: str, site_name: str | None) -> str:
    """Drop a trailing (or leading) `` | Site name`` from a <title>."""
    parts = _TITLE_SPLIT_RE.split(raw.strip())
    if len(parts) > 1:
        site = (site_name or "").strip().lower()
        if site and parts[-1].strip().lower() == site:
            return " - ".join(parts[:-1]).strip()
        if site and parts[0].strip().lower() == site:
            return " - ".join(parts[1:]).strip()
        if len(parts[-1]) < 40 and len(parts[0]) > len(parts[-1]):
            return " - ".join(parts[:-1]).strip()
    return raw.strip()


def _title(tree: HtmlElement, metas: dict[str, str], ld: dict[str, Any], site_name: str | None) -> str | None:
    for key in TITLE_KEYS:
        if metas.get(key):
            return clean_title(metas[key], site_name)
    if isinstance(ld.get("headline"), str) and ld["headline"].strip():
        return " ".join(ld["headline"].split())
    for el in tree.iter("title", "h1"):
        text = " ".join(el.text_content().split())
        if text:
            return clean_title(text, site_name)
    return None


def _headline(tree: HtmlElement) -> str | None:
    h1 = next(tree.iter("h1"), None)
    text = " ".join(h1.text_content().split()) if h1 is not None else ""
    return text or None


def _lang(tree: HtmlElement, metas: dict[str, str], ld: dict[str, Any]) -> str | None:
    candidates = [tree.get("lang"), tree.get("xml:lang"), metas.get("content-language"), metas.get("og:locale"),
                  metas.get("language"), ld.get("inLanguage") if isinstance(ld.get("inLanguage"), str) else None]
    for value in candidates:
        lang = normalize_lang(value)
        if lang:
            return lang
    return None


def _first_tagged(values: list[str | None], fetched_at: datetime) -> datetime | None:
    """The first plausible tagged time, kept in its own UTC offset."""
    for value in values:
        local = parse_local(value)
        if plausible(local, fetched_at) is not None:
            return local
    return None


def _dates(tree: HtmlElement, metas: dict[str, str], ld: dict[str, Any], fetched_at: datetime,
           *, heuristics: bool, lang: str | None = None) -> tuple[datetime | None, datetime | None, datetime | None]:
    """(published UTC, updated UTC, published in the page's offset).

    Priority (measured on the 656 dated wcxb-dev pages): the published tag, then htmldate.  Where the
    page tags both a published and a different modified day, the ground truth names the published
    one 212 times and the modified one 24 times, so a modified tag never stands in for the published one.
    """
    ld_pub = ld["datePublished"] if isinstance(ld.get("datePublished"), str) else None
    local = _first_tagged([metas.get(k) for k in PUBLISHED_KEYS] + [ld_pub], fetched_at)
    published = to_utc(local) if local is not None else None
    ld_mod = ld["dateModified"] if isinstance(ld.get("dateModified"), str) else None
    updated = first_plausible([parse_datetime(v) for v in [metas.get(k) for k in UPDATED_KEYS] + [ld_mod]],
                              fetched_at)
    if published is None and heuristics:
        with page_languages(lang):  # free-text dates are parsed in the page's language and English
            published = first_plausible([_htmldate(tree, fetched_at)], fetched_at)
            if published is not None and updated is not None and published.date() == updated.date():
                # htmldate read the "modified" tag; look again without it for the page's own date.
                published = first_plausible([_htmldate(_without_updated_tags(tree), fetched_at)],
                                            fetched_at) or published
    if published and updated and updated < published:
        updated = None
    return published, updated, local


# Try htmldate without its extensive search first: the same wcxb-dev dates, ~20 % less CPU (docs/extraction.md).
FAST_DATES_FIRST = True


def _without_updated_tags(tree: HtmlElement) -> HtmlElement:
    copy = deepcopy(tree)
    for el in list(copy.iter("meta")):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in UPDATED_KEYS and el.getparent() is not None:
            el.getparent().remove(el)
    return copy


def _htmldate(tree: HtmlElement, fetched_at: datetime) -> datetime | None:
    """htmldate's fast rules first; its extensive search (dateparser on free text, ~0.2 s a
    call) only when they find nothing (see FAST_DATES_FIRST)."""
    if FAST_DATES_FIRST:
        fast = _find_date(tree, fetched_at, extensive=False)
        if fast is not None:
            return fast
    return _find_date(tree, fetched_at, extensive=True)


def _find_date(tree: HtmlElement, fetched_at: datetime, *, extensive: bool) -> datetime | None:
    try:
        found = find_date(tree, original_date=True, extensive_search=extensive, outputformat="%Y-%m-%d",
                          min_date=EARLIEST.replace(tzinfo=None),
                          max_date=(to_utc(fetched_at) + CLOCK_SKEW).replace(tzinfo=None))
    except Exception:  # htmldate raises on some malformed trees; a date is optional
        return None
    return parse_datetime(found)


def page_meta(tree: HtmlElement, url: str, fetched_at: datetime, *, date_heuristics: bool = True) -> PageMeta:
    """All metadata of one parsed page."""
    metas = _meta_tags(tree)
    ld = _jsonld(tree)
    site_name = metas.get("og:site_name") or metas.get("application-name") or None
    author = next((a for a in (_person(metas.get(k)) for k in AUTHOR_KEYS) if a), None) or _person(ld.get("author"))
    lang = _lang(tree, metas, ld)
    published, updated, published_local = _dates(tree, metas, ld, fetched_at, heuristics=date_heuristics, lang=lang)
    return PageMeta(
        title=_title(tree, metas, ld, site_name),
        author=author,
        site_name=site_name,
        lang=lang,
        canonical_url=_canonical(tree, metas, url),
        published_at=published,
        updated_at=updated,
        published_local=published_local,
        headline=_headline(tree),
        description=(metas.get("og:description") or metas.get("description") or "").strip() or None,
        paywalled=ld.get("isAccessibleForFree") in _NOT_FREE
        or (metas.get("article:content_tier") or "").lower() in LOCKED_TIERS
        or (metas.get("isaccessibleforfree") or "").lower() == "false",
    )


def subscribe_prompt(html: str) -> bool:
    """Pure: the page shows a subscribe-to-read prompt (scripts and styles left out: paywall
    scripts carry these phrases on free pages too)."""
    return bool(_SUBSCRIBE_RE.search(_SCRIPT_RE.sub(" ", html)))
