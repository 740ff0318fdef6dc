"""Records of ``reewatch import`` → Pages, Articles and Exported records (pure parsing).

A record is a JSON object (a JSONL line, or a row of a CSV/Parquet export).  Plain
documents (``url`` + ``html`` or ``text``) become Pages or Articles and go through
triage; a ``text`` is a capture of a page and is cleaned like extracted HTML
(extract/text_capture.py), and a list page among them is a NoArticle.  A record that carries ``story_id`` — what ``reewatch export`` writes — becomes
an :class:`Exported`: its story, copy link, scores and labels are stored as given.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from core.records import LABELS, Article, NoArticle, Page, RelevanceLabel
from extract.article import article_from_text
from extract.text_capture import article_from_capture


@dataclass(frozen=True)
class BadLine:
    lineno: int
    reason: str


@dataclass(frozen=True)
class Exported:
    """An article as ``reewatch export`` wrote it: stored as given, not re-triaged."""

    article: Article
    story_id: str
    duplicate_of: str | None
    relevance_score: float | None
    relevance_label: RelevanceLabel | None
    reasons: tuple[str, ...] = ()
    topics: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    copy_kind: str | None = None  # how the copy was recognised (triage/dedup.py); None for an original


class _InvalidFieldError(ValueError):
    """A field of an exported record has the wrong shape."""


def _when(value: object, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"{name} must be an ISO 8601 string")
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    v = obj.get(key)
    return v if isinstance(v, str) and v else None


def parse_line(line: str, lineno: int, now: datetime,
               default_source: str = "import") -> Page | Article | NoArticle | Exported | BadLine | None:
    """One JSONL line: a Page (has ``html``), an Article (has ``text``; a NoArticle when that text
    is a list page), an Exported record (has ``story_id``), a BadLine, or None (blank)."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadLine(lineno, f"not JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return BadLine(lineno, "not a JSON object")
    return parse_record(obj, lineno, now, default_source)


def parse_record(obj: dict[str, Any], lineno: int, now: datetime,
                 default_source: str = "import") -> Page | Article | NoArticle | Exported | BadLine:
    """One record (a decoded JSON object or an exported CSV/Parquet row)."""
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
    source = _opt_str(obj, "source") or default_source
    title = _opt_str(obj, "title")
    if isinstance(text, str) and text.strip() and _opt_str(obj, "story_id"):
        try:
            return _exported(obj, text, url, source, title, published, first_seen)
        except ValueError as exc:
            return BadLine(lineno, str(exc))
    if isinstance(html, str) and html.strip():
        return Page(url=url, final_url=url, source=source, html=html, fetched_at=first_seen,
                    title_hint=title, published_hint=published)
    assert isinstance(text, str)
    return article_from_capture(text, url=url, source=source, fetched_at=first_seen, title=title,
                                published_at=published, lang=_opt_str(obj, "lang"))


def _exported(obj: dict[str, Any], text: str, url: str, source: str, title: str | None,
              published: datetime | None, first_seen: datetime) -> Exported:
    article = article_from_text(text, url=url, source=source, fetched_at=first_seen, title=title,
                                published_at=published, lang=_opt_str(obj, "lang"))
    article = replace(
        article,
        canonical_url=_opt_str(obj, "canonical_url") or article.canonical_url,
        site=_opt_str(obj, "site") or article.site,
        site_name=_opt_str(obj, "site_name"),
        author=_opt_str(obj, "author"),
        updated_at=_when(obj.get("updated_at"), "updated_at"),
        kind=_opt_str(obj, "kind") or "article",
        paywalled=obj.get("paywalled") in (True, 1, "true", "True", "1"),
    )
    label = obj.get("relevance_label")
    if label is not None and label not in LABELS:
        raise _InvalidFieldError(f"relevance_label must be one of {', '.join(LABELS)} (got {label!r})")
    reasons = _json_field(obj, "relevance_reasons", list) or []
    return Exported(
        article=article,
        story_id=str(obj["story_id"]),
        duplicate_of=_opt_str(obj, "duplicate_of"),
        relevance_score=_score(obj.get("relevance_score"), "relevance_score"),
        relevance_label=label,
        reasons=tuple(str(r) for r in reasons),
        topics={str(k): s for k, v in (_json_field(obj, "topics", dict) or {}).items()
                if (s := _score(v, f"topics[{k}]")) is not None},
        labels={str(k): str(v) for k, v in (_json_field(obj, "labels", dict) or {}).items() if v is not None},
        copy_kind=_opt_str(obj, "copy_kind"),
    )


def _score(value: object, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise _InvalidFieldError(f"{name} must be a number from 0 to 1") from exc
    if isinstance(value, bool) or not math.isfinite(score) or not 0.0 <= score <= 1.0:
        raise _InvalidFieldError(f"{name} must be a number from 0 to 1 (got {value!r})")
    return score


def _json_field(obj: dict[str, Any], key: str, kind: type) -> Any:
    """A dict/list field, given as such (JSONL, Parquet) or as JSON text (CSV)."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise _InvalidFieldError(f"{key} is not valid JSON") from exc
    if kind is dict and isinstance(value, list):  # a DuckDB MAP read back as key/value pairs
        value = _pairs_to_dict(value)
    if not isinstance(value, kind):
        raise _InvalidFieldError(f"{key} must be a JSON {'object' if kind is dict else 'array'}")
    return value


def _pairs_to_dict(value: list[Any]) -> dict[str, Any] | list[Any]:
    if all(isinstance(p, dict) and set(p) == {"key", "value"} for p in value):
        return {str(p["key"]): p["value"] for p in value}
    return value
