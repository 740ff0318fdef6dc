"""Lines of ``reewatch import`` JSONL → Pages and Articles (pure parsing)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from extract.article import article_from_text
from reewatch.records import Article, Page


@dataclass(frozen=True)
class BadLine:
    lineno: int
    reason: str


def _when(value: object, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} must be an ISO 8601 string")
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_line(line: str, lineno: int, now: datetime, default_source: str = "import") -> Page | Article | BadLine | None:
    """One JSONL line: a Page (has ``html``), an Article (has ``text``), a BadLine, or None (blank)."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadLine(lineno, f"not JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return BadLine(lineno, "not a JSON object")
    url = obj.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "file:")):
        return BadLine(lineno, "missing or invalid 'url' (an http(s) URL is required)")
    html, text = obj.get("html"), obj.get("text")
    if not (isinstance(html, str) and html.strip()) and not (isinstance(text, str) and text.strip()):
        return BadLine(lineno, "needs a non-empty 'html' or 'text'")
    try:
        published = _when(obj.get("published_at"), "published_at")
        first_seen = _when(obj.get("first_seen_at"), "first_seen_at") or now
    except ValueError as exc:
        return BadLine(lineno, str(exc))
    raw_source = obj.get("source")
    source: str = raw_source if isinstance(raw_source, str) and raw_source else default_source
    title = obj.get("title") if isinstance(obj.get("title"), str) else None
    if isinstance(html, str) and html.strip():
        return Page(url=url, final_url=url, source=source, html=html, fetched_at=first_seen,
                    title_hint=title, published_hint=published)
    assert isinstance(text, str)
    lang = obj.get("lang") if isinstance(obj.get("lang"), str) else None
    return article_from_text(text, url=url, source=source, fetched_at=first_seen, title=title,
                             published_at=published, lang=lang)
