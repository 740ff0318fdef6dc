"""Google News RSS search results: leads, clean titles, and the opt-in resolution of a link.

Items link to ``news.google.com/rss/articles/<token>``.  news.google.com/robots.txt disallows
those paths (``Disallow: /`` with a few Allow lines for front pages), so by default an item is
not fetched: it becomes a *lead* (its headline, its outlet from ``<source url=…>``, its date,
its description as a snippet, and the Google link a person's browser resolves).

Tokens: older ones (``CBMi…`` holding the URL itself) carry the publisher URL (base64url
protobuf, field 4), and are replaced by it (the publisher's page is then an ordinary link).
Current ones (``CBMi…`` decoding to ``AU_yqL…``) do not: the publisher URL is known only to
Google.  A source configured with ``resolve = true`` asks for it anyway, going beyond the
robots.txt and the feed's terms of use (docs/fetching.md): the article page
``/rss/articles/<token>`` carries a signature and a timestamp (``data-n-a-sg``,
``data-n-a-ts``), which a POST to ``/_/DotsSplashUi/data/batchexecute`` (rpc ``Fbv4je``)
exchanges for the publisher URL; the same procedure as the ``googlenewsdecoder`` package
(0.2.x), on our own Fetcher (politeness, limits, size cap).  A redirect away from the article
page (consent.google.com in the EU, google.com/sorry), a page without the attributes, or an
answer without a URL leave the item a lead: nothing of Google's is ever stored as an article.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from urllib.parse import quote, urlsplit

from core.records import FetchAttempt, Link
from fetch.http import Fetcher

GNEWS_HOST = "news.google.com"
BATCHEXECUTE_PATH = "/_/DotsSplashUi/data/batchexecute"
# NoArticle reasons starting with this are Google News links left unresolved: the pipeline
# stores them as leads instead (pipeline/batches.py).
UNRESOLVED = "google news link not resolved"
_TOKEN_RE = re.compile(r"/(?:rss/)?articles/([A-Za-z0-9_\-]+)")
_SG_RE = re.compile(r'data-n-a-sg="([^"]+)"')
_TS_RE = re.compile(r'data-n-a-ts="([^"]+)"')
# "Headline - Publisher": Google appends the outlet; outlet names are short (the longest
# in a week of rare-earth queries was 41 characters, "The Economic Times - ET Auto").
MAX_PUBLISHER_SUFFIX = 60
# The request context googlenewsdecoder 0.2.2 sends with ``garturlreq`` (what the web app sends).
_GARTURLREQ_CTX: list[object] = [
    ["X", "X", ["X", "X"], None, None, 1, 1, "US:en", None, 1, None, None, None, None, None, 0, 1],
    "X", "X", 1, [1, 1, 1], 1, 1, None, 0, 0, None, 0,
]


def is_redirect_link(url: str, host: str = GNEWS_HOST) -> bool:
    """A Google News item link (``/rss/articles/<token>``) on ``host``."""
    p = urlsplit(url)
    return (p.hostname or "").lower() == host.lower() and bool(_TOKEN_RE.search(p.path))


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while i < len(data):
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
    return -1, i


def _token(url: str) -> str | None:
    m = _TOKEN_RE.search(urlsplit(url).path)
    return m.group(1) if m else None


def publisher_url(url: str) -> str | None:
    """The publisher URL inside an old-style Google News token, or None."""
    token = _token(url) if is_redirect_link(url) else None
    if token is None:
        return None
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    start = data.find(b"\x22")  # field 4, length-delimited
    if start < 0:
        return None
    length, i = _varint(data, start + 1)
    if length <= 0 or i + length > len(data):
        return None
    candidate = data[i : i + length].decode("utf-8", errors="replace")
    return candidate if candidate.startswith(("http://", "https://")) else None


def clean_title(title: str | None) -> str | None:
    if not title or " - " not in title:
        return title
    head, tail = title.rsplit(" - ", 1)
    return head.strip() if head.strip() and len(tail) <= MAX_PUBLISHER_SUFFIX else title


def lead_snippet(snippet: str | None, title: str | None, outlet: str | None) -> str | None:
    """Pure: what an item's description adds to its headline, or None (Google's descriptions are
    usually the headline and the outlet again)."""
    text = " ".join((snippet or "").split())
    if outlet and text.endswith(outlet):
        text = text[: -len(outlet)].rstrip(" -–—|·")
    for head in (title, clean_title(title)):
        if head and text.startswith(head):
            text = text[len(head):].lstrip(" -–—|·.:")
    return text or None


def publisher_links(links: tuple[Link, ...], host: str = GNEWS_HOST) -> tuple[Link, ...]:
    """Google News links: publisher URLs where the token holds one; the other item links on
    ``host`` (the feed's host) marked ``redirect`` (stored as leads, or resolved on request);
    titles without the outlet suffix, snippets without the headline."""
    out: dict[str, Link] = {}
    for lk in links:
        url = publisher_url(lk.url) or lk.url
        redirect = url == lk.url and (is_redirect_link(url, host) or is_redirect_link(url))
        title = clean_title(lk.title)
        out.setdefault(url, replace(lk, url=url, title=title, redirect=redirect,
                                    snippet=lead_snippet(lk.snippet, lk.title, lk.outlet)))
    return tuple(out.values())


def signature(html: str) -> tuple[str, str] | None:
    """Pure: ``(data-n-a-sg, data-n-a-ts)`` of a Google News article page, or None."""
    sg, ts = _SG_RE.search(html), _TS_RE.search(html)
    return (sg.group(1), ts.group(1)) if sg and ts else None


def batchexecute_body(token: str, timestamp: str, sig: str) -> str:
    """Pure: the form body of the ``Fbv4je`` call for one token."""
    inner = ["garturlreq", _GARTURLREQ_CTX, token, int(timestamp) if timestamp.isdigit() else timestamp, sig]
    envelope = [[["Fbv4je", json.dumps(inner, separators=(",", ":")), None, "generic"]]]
    return "f.req=" + quote(json.dumps(envelope, separators=(",", ":")))


def parse_batchexecute(text: str) -> str | None:
    """Pure: the publisher URL in a batchexecute answer (``)]}'`` then JSON rows, one of them
    ``["wrb.fr", "Fbv4je", "[\\"garturlres\\", url, …]", …]``), or None."""
    body = text.split("\n\n", 1)[1] if "\n\n" in text else text
    body = body.lstrip()
    if body.startswith(")]}'"):
        body = body[4:].lstrip()
    try:
        rows = json.loads(body)
    except ValueError:
        return None
    for row in rows if isinstance(rows, list) else []:
        if not (isinstance(row, list) and len(row) >= 3 and (row[0] == "wrb.fr" or row[1] == "Fbv4je")):
            continue
        payload = row[2]
        try:
            payload = json.loads(payload) if isinstance(payload, str) else payload
        except ValueError:
            continue
        if isinstance(payload, list) and len(payload) > 1 and payload[0] == "garturlres":
            url = payload[1]
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                return url
    return None


def interstitial(url: str, gnews: str = GNEWS_HOST) -> str | None:
    """Pure: why a page at ``url`` is a consent, "sorry" or Google page rather than an article, or
    None; ``gnews``: the Google News host (with its port, if any)."""
    p = urlsplit(url)
    host = (p.hostname or "").lower()
    if host.startswith("consent.") or "/consent" in p.path:
        return f"consent page {host}{p.path}"
    if p.path.startswith("/sorry") or "/sorry/" in p.path:
        return f"'sorry' page {host}{p.path}"
    if p.netloc.lower() == gnews.lower() or host.endswith(".google.com") or host == "google.com":
        return f"still on Google ({host}{p.path})"
    return None


async def resolve(fetcher: Fetcher, link: Link) -> tuple[str | None, str, FetchAttempt]:
    """The publisher URL of a Google News item link by the two-step decode, or None with the
    reason; and the last request's log entry.  robots.txt is skipped for these two requests only
    (the source's ``resolve = true``)."""
    host = urlsplit(link.url).hostname or GNEWS_HOST
    token = _token(link.url)
    page = await fetcher.get(link.url, link.source, robots=False, accept=("text/html", "application/xhtml+xml"))
    if not page.ok or token is None:
        return None, f"article page: {page.attempt.error or page.attempt.error_class or 'no token'}", page.attempt
    p = urlsplit(page.final_url)
    if not (p.hostname == host and _TOKEN_RE.search(p.path)):
        return None, f"redirected to {p.hostname}{p.path} (a consent or 'sorry' page)", page.attempt
    sig = signature(page.text())
    if sig is None:
        return None, "no data-n-a-sg/data-n-a-ts on the article page", page.attempt
    origin = f"{p.scheme}://{p.netloc}"
    ans = await fetcher.post(origin + BATCHEXECUTE_PATH, link.source, batchexecute_body(token, sig[1], sig[0]),
                             content_type="application/x-www-form-urlencoded;charset=UTF-8", robots=False)
    if not ans.ok:
        return None, f"batchexecute: {ans.attempt.error or ans.attempt.error_class}", ans.attempt
    url = parse_batchexecute(ans.body.decode("utf-8", errors="replace"))
    if url is None:
        return None, "batchexecute answered no URL", ans.attempt
    why = interstitial(url, p.netloc)
    return (None, f"decoded to a {why}", ans.attempt) if why else (url, "", ans.attempt)
