"""XML sitemaps, sitemap indexes and Google News sitemaps → Links (pure parsing).

Only recent URLs are taken: a URL dated (``news:publication_date``, else ``lastmod``)
before the window is skipped; undated URLs are taken only when nothing in the sitemap is
dated.  Newest first, so a per-source limit keeps the newest.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

from lxml import etree

from core.records import Link
from fetch.feeds import entity_refusal

# The sitemaps protocol caps one sitemap at 50 MB uncompressed (sitemaps.org, "Sitemap
# file location"); a gzip body inflating past this is a bomb, not a sitemap.
MAX_SITEMAP_BYTES = 50_000_000
# Child sitemaps read from one index per run: news sites split by day or month, so the
# newest few hold everything inside a 48 h window.
MAX_CHILD_SITEMAPS = 5


@dataclass(frozen=True)
class Sitemap:
    """One parsed sitemap: page links, or child sitemaps (an index)."""

    links: tuple[Link, ...] = ()
    children: tuple[str, ...] = ()
    skipped: int = 0
    problem: str | None = None
    warning: str | None = None


def parse_date(text: str | None) -> datetime | None:
    """W3C datetime (``2025-06-09``, ``2025-06-09T10:15:00+02:00``, ``…Z``) → aware UTC."""
    if not text:
        return None
    text = text.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def gunzip_capped(body: bytes, cap: int = MAX_SITEMAP_BYTES) -> bytes | None:
    """Inflate a gzip body, or None when it would exceed ``cap`` (a decompression bomb)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(body, cap + 1)
    return None if len(out) > cap or d.unconsumed_tail else out


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el.iter():
        if _local(child.tag) in names and child.text and child.text.strip():
            return str(child.text).strip()
    return None


def _root(body: bytes) -> tuple[etree._Element | None, str | None, str | None]:
    """(root, problem, warning) with a recovering parser that never resolves entities."""
    if body[:2] == b"\x1f\x8b":
        inflated = gunzip_capped(body)
        if inflated is None:
            return None, f"gzip sitemap inflates past {MAX_SITEMAP_BYTES} bytes; refused", None
        body = inflated
    refusal = entity_refusal(body)
    if refusal:
        return None, refusal, None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        return None, f"not readable XML: {exc}", None
    if root is None:
        return None, "not readable XML (empty or no root element)", None
    warning = f"malformed XML, read what parsed: {parser.error_log[0].message}" if len(parser.error_log) else None
    return root, None, warning


def parse_sitemap(body: bytes, base_url: str, source: str, now: datetime, window: timedelta) -> Sitemap:
    """A urlset (plain or Google News) or a sitemapindex."""
    root, problem, warning = _root(body)
    if root is None:
        return Sitemap(problem=problem)
    cutoff = now - window
    kind = _local(root.tag)
    if kind == "sitemapindex":
        dated: list[tuple[datetime, str]] = []
        skipped = 0
        for el in root:
            if _local(el.tag) != "sitemap":
                continue
            loc = _child_text(el, "loc")
            when = parse_date(_child_text(el, "lastmod"))
            if not loc or (when is not None and when < cutoff):
                skipped += 1
                continue
            dated.append((when or now, urljoin(base_url, loc)))
        dated.sort(key=lambda t: t[0], reverse=True)
        children = tuple(dict.fromkeys(u for _, u in dated))
        return Sitemap(children=children[:MAX_CHILD_SITEMAPS], skipped=skipped + max(0, len(children) - MAX_CHILD_SITEMAPS),
                       warning=warning)
    if kind != "urlset":
        return Sitemap(problem=f"not a sitemap: root element <{kind}>")
    return _urlset(root, base_url, source, cutoff, warning)


def _urlset(root: etree._Element, base_url: str, source: str, cutoff: datetime, warning: str | None) -> Sitemap:
    entries: list[tuple[datetime | None, Link]] = []
    skipped = 0
    for el in root:
        if _local(el.tag) != "url":
            continue
        loc = _child_text(el, "loc")
        if not loc:
            skipped += 1
            continue
        when = parse_date(_child_text(el, "publication_date") or _child_text(el, "lastmod"))
        entries.append((when, Link(urljoin(base_url, loc), source, _child_text(el, "title"), when)))
    any_dated = any(w is not None for w, _ in entries)
    kept: dict[str, tuple[datetime, Link]] = {}
    for when, link in entries:
        if (when is None and any_dated) or (when is not None and when < cutoff):
            skipped += 1
            continue
        kept.setdefault(link.url, (when or datetime.min.replace(tzinfo=UTC), link))
    ordered = sorted(kept.values(), key=lambda t: t[0], reverse=True) if any_dated else list(kept.values())
    return Sitemap(links=tuple(lk for _, lk in ordered), skipped=skipped, warning=warning)
