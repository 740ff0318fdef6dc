"""Feeds and API answers → Links (pure parsing; no network).

XML safety: a document that declares entities (``<!DOCTYPE … [<!ENTITY …]>``) is refused
before any parser sees it, so entity-expansion bombs are never expanded; external
entities are never fetched (feedparser and lxml are both told not to).
"""

from __future__ import annotations

import calendar
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.exceptions import ThingsNobodyCaresAboutButMe

from core.records import Link

_INTERNAL_SUBSET_RE = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
# <!ENTITY [%] name rest>: group 1 marks a parameter entity, group 2 is the rest.
_ENTITY_DECL_RE = re.compile(rb"<!ENTITY\s+(%\s*)?[^\s>]+\s+([^>]*)>", re.IGNORECASE)
_NAMED_REF_RE = re.compile(rb"&[A-Za-z_:][\w.:-]*;")
# Longest entity value allowed: character entities are a few bytes; anything long enough to
# multiply (quadratic blow-up needs big values referenced many times) is refused.
MAX_ENTITY_VALUE = 32
_FEED_HEAD_RE = re.compile(rb"<(rss|feed|rdf:RDF|RDF|channel)[\s>]", re.IGNORECASE)
# Content types read as feeds without sniffing.
_TAG_RE = re.compile(r"<[^>]*>")
# Longest item description kept as a snippet (Google News descriptions are a headline and an
# outlet name; other feeds' run to a paragraph, sometimes the whole article).
MAX_SNIPPET_CHARS = 1000
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml", "application/x-rss+xml", "application/feed+json")


@dataclass(frozen=True)
class ParsedLinks:
    """Links found in one source answer, with what was skipped and why.

    ``problem``: nothing usable (the source read failed); ``warning``: links were read
    but part of the answer was not (malformed XML recovered, entries skipped).
    """

    links: tuple[Link, ...]
    skipped: int = 0
    problem: str | None = None
    warning: str | None = None


def entity_refusal(body: bytes) -> str | None:
    """Pure: why an XML body is refused unparsed, or None.

    Harmless character entities (``<!ENTITY nbsp "&#160;">``, seen in real feeds) pass;
    refused are parameter and external entities, entities that refer to other named
    entities (exponential "billion laughs"), and long entity values (quadratic blow-up).
    """
    if not _INTERNAL_SUBSET_RE.search(body):
        return None
    for m in _ENTITY_DECL_RE.finditer(body):
        rest = m.group(2).strip()
        quote = rest[:1]
        end = rest.find(quote, 1) if quote in (b'"', b"'") else -1
        value = rest[1:end] if end > 0 else None
        if m.group(1) or value is None or len(value) > MAX_ENTITY_VALUE or _NAMED_REF_RE.search(value):
            return "XML declares expanding, external or long entities (an entity bomb?); refused unparsed"
    return None


def looks_like_feed(body: bytes) -> bool:
    """Sniff: an RSS/RDF/Atom root element near the top."""
    return bool(_FEED_HEAD_RE.search(body[:4096]))


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        t = entry.get(key)
        if t:
            try:
                return datetime.fromtimestamp(calendar.timegm(t), tz=UTC)
            except (OverflowError, ValueError):
                return None
    return None


def _href(entry: Any) -> str | None:
    href = entry.get("link") or next((x.get("href") for x in entry.get("links", []) if x.get("href")), None)
    if not href:
        return None
    href = str(href).strip()
    if href.startswith("file://") and not href.startswith("file:///"):
        href = "file:///" + href[len("file://"):]  # feedparser drops the empty host of file:///path
    return href


def plain_text(markup: str | None) -> str | None:
    """Pure: an item description's text (tags dropped, entities decoded, spaces collapsed), or None."""
    if not markup:
        return None
    text = " ".join(html.unescape(_TAG_RE.sub(" ", markup)).split())
    return text[:MAX_SNIPPET_CHARS] or None


def _outlet(entry: Any) -> tuple[str | None, str | None]:
    """RSS 2.0 ``<source url=…>name</source>``: the outlet an aggregator's item comes from."""
    src = entry.get("source") or {}
    name = (src.get("title") or "").strip() or None
    href = (src.get("href") or "").strip() or None
    return name, href


def parse_feed(body: bytes, base_url: str, source: str) -> ParsedLinks:
    """RSS 0.9x/1.0/2.0 or Atom; relative links resolved; items without links skipped;
    duplicate items inside one feed kept once; malformed XML parsed as far as it goes."""
    refusal = entity_refusal(body)
    if refusal:
        return ParsedLinks((), 0, refusal)
    # Relative links are resolved here (feedparser's own resolution mangles file:// bases).
    parsed = feedparser.parse(body, resolve_relative_uris=False, sanitize_html=False)
    links: dict[str, Link] = {}
    skipped = 0
    lang = (parsed.feed.get("language") or "").strip() or None
    for e in parsed.entries:
        href = _href(e)
        if not href:
            skipped += 1
            continue
        url = urljoin(base_url, href)
        if url in links:
            continue
        outlet, outlet_url = _outlet(e)
        links[url] = Link(url=url, source=source, title=(e.get("title") or None), published_at=_when(e),
                          outlet=outlet, outlet_url=outlet_url, snippet=plain_text(e.get("summary")), lang=lang)
    problem = warning = None
    exc = parsed.get("bozo_exception")
    if not parsed.entries and parsed.bozo and not parsed.version:
        problem = f"not a readable feed: {type(exc).__name__}: {exc}"
    elif not parsed.entries and not parsed.version and not looks_like_feed(body):
        problem = "not a feed: no RSS, RDF or Atom root element"
    elif parsed.bozo and not isinstance(exc, ThingsNobodyCaresAboutButMe):
        warning = f"malformed feed, read {len(parsed.entries)} entries: {type(exc).__name__}: {exc}"
    if skipped and warning is None:
        warning = f"{skipped} entries without a link skipped"
    return ParsedLinks(tuple(links.values()), skipped, problem, warning)
