"""Leads: aggregator items stored without fetching their page (docs/fetching.md, Google News).

A ``gnews`` source's item links (``Link.redirect``: Google's redirect, disallowed by its
robots.txt) are not fetched unless the source says ``resolve = true``.  Each becomes an
Article of kind "lead": the outlet's headline, the item's snippet as its text, the outlet as
its site, the Google link as its URL.  Leads then take the same path as fetched articles
(triage: language, copies and stories, relevance; storage; the digest), and their URL is
remembered like any stored article's, so no run handles them again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from core.records import Article, Link, Source, SourceOutcome
from core.text import content_hash
from core.urls import canonicalize_url
from extract.article import site_of
from triage.langs import article_lang


def wants_leads(source: Source) -> bool:
    """A source whose redirect links are stored as leads, unfetched."""
    return source.kind == "gnews" and not source.resolve


def marked(source: Source, links: tuple[Link, ...]) -> tuple[Link, ...]:
    """A gnews source's links with ``redirect`` set on those on its own host (links waiting in
    the backlog come back without the flag)."""
    if source.kind != "gnews":
        return links
    host = urlsplit(source.url).netloc
    return tuple(lk if lk.redirect or urlsplit(lk.url).netloc != host else replace(lk, redirect=True) for lk in links)


def split_leads(outcomes: list[SourceOutcome]) -> tuple[list[SourceOutcome], list[Link]]:
    """The outcomes without their lead links (those are not fetched), and the lead links."""
    kept: list[SourceOutcome] = []
    leads: list[Link] = []
    for o in outcomes:
        if not wants_leads(o.source):
            kept.append(replace(o, links=marked(o.source, o.links), overflow=marked(o.source, o.overflow)))
            continue
        links, overflow = marked(o.source, o.links), marked(o.source, o.overflow)
        leads += [lk for lk in (*links, *overflow) if lk.redirect]
        kept.append(replace(o, links=tuple(lk for lk in links if not lk.redirect),
                            overflow=tuple(lk for lk in overflow if not lk.redirect)))
    return kept, leads


def lead_article(link: Link, now: datetime | None = None) -> Article:
    """Pure: the lead of one item link: headline, snippet (else the headline) as text, the outlet."""
    title = (link.title or link.snippet or link.outlet or link.url).strip()
    text = (link.snippet or title).strip()
    site = site_of(link.outlet_url) if link.outlet_url else ""
    return Article(
        url=link.url, canonical_url=canonicalize_url(link.url), title=title, text=text,
        site=site or site_of(link.url), lang=article_lang(link.lang, title, text if link.snippet else ""),
        published_at=link.published_at, first_seen_at=now or datetime.now(UTC), source=link.source,
        content_hash=content_hash(f"{title}\n{text}"), site_name=link.outlet, kind="lead",
    )


def route(sources: tuple[Source, ...], links: list[Link]) -> tuple[list[Link], list[Link]]:
    """Links picked for fetching (some came back from the backlog unmarked): those to fetch, with
    ``redirect`` restored for a resolving gnews source, and those that are leads."""
    by_name = {s.name: s for s in sources}
    fetch: list[Link] = []
    leads: list[Link] = []
    for lk in links:
        src = by_name.get(lk.source)
        if src is not None:
            lk = marked(src, (lk,))[0]
        (leads if src is not None and wants_leads(src) and lk.redirect else fetch).append(lk)
    return fetch, leads


def health_warning(links: int, counts: dict[str, int], reason: str | None) -> str | None:
    """Pure: a source's warning when none of the links it gave this run came to anything
    (all refused or failed), with the reason; None otherwise."""
    handled = counts.get("stored", 0) + counts.get("no_article", 0)
    failed = counts.get("errors", 0)
    if not links or handled or not failed:
        return None
    refused = counts.get("refused", 0)
    what = "refused by robots.txt" if refused == failed else "failed"
    return f"all {failed} links {what}" + (f": {reason}" if reason else "")
