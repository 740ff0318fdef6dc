"""Google News RSS search results: publisher URLs out of redirect links, clean titles.

Items link to ``news.google.com/rss/articles/<token>``.  Older tokens (``CBMi…``) carry
the publisher URL inside (base64url protobuf: field 4 holds it); those are replaced by the
publisher URL.  Newer tokens (``AU_yqL…``) do not: the link is kept and fetched, and the
page's ``final_url`` after redirects is the publisher URL.
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from urllib.parse import urlsplit

from core.records import Link

_TOKEN_RE = re.compile(r"/(?:rss/)?articles/([A-Za-z0-9_\-]+)")
# "Headline - Publisher": Google appends the outlet; outlet names are short (the longest
# in a week of rare-earth queries was 41 characters, "The Economic Times - ET Auto").
MAX_PUBLISHER_SUFFIX = 60


def is_redirect_link(url: str) -> bool:
    p = urlsplit(url)
    return (p.hostname or "").lower() == "news.google.com" and bool(_TOKEN_RE.search(p.path))


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


def publisher_url(url: str) -> str | None:
    """The publisher URL inside an old-style Google News token, or None."""
    if not is_redirect_link(url):
        return None
    m = _TOKEN_RE.search(urlsplit(url).path)
    assert m is not None
    token = m.group(1)
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


def publisher_links(links: tuple[Link, ...]) -> tuple[Link, ...]:
    """Google News links with publisher URLs where the token holds one, titles cleaned."""
    out: dict[str, Link] = {}
    for lk in links:
        url = publisher_url(lk.url) or lk.url
        out.setdefault(url, replace(lk, url=url, title=clean_title(lk.title)))
    return tuple(out.values())
