"""Delivery: to a file, or through Apprise URLs (mailto://, slack://, json://, …)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from reewatch.errors import DeliveryError

_SECRET_RE = re.compile(r"(://[^:/@]+:)[^@/]+@")


def redact(url: str) -> str:
    """A delivery URL fit for logs and the database (password removed)."""
    return _SECRET_RE.sub(r"\1***@", url)


def deliver_file(markdown: str, directory: Path, now: datetime) -> Path:
    """Write the digest as Markdown; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"digest-{now:%Y%m%d-%H%M%S}.md"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"digest-{now:%Y%m%d-%H%M%S}-{n}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(markdown, encoding="utf-8")
    tmp.replace(path)
    return path


def deliver_apprise(url: str, title: str, markdown: str) -> None:
    """Send through one Apprise URL; raise DeliveryError if it was not delivered."""
    import apprise

    ap = apprise.Apprise()
    if not ap.add(url):
        raise DeliveryError(f"{redact(url)} is not a valid Apprise URL; see https://github.com/caronc/apprise/wiki")
    ok = ap.notify(title=title, body=markdown, body_format=apprise.NotifyFormat.MARKDOWN)
    if not ok:
        raise DeliveryError(f"delivery to {redact(url)} failed; nothing was marked sent, the next digest retries")
