"""Delivery: to files, or through Apprise URLs (mailto://, slack://, json://, …) — no per-service code."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from core.errors import DeliveryError
from digest.channels import FILE_EXT

_SECRET_RE = re.compile(r"(://[^:/@]+:)[^@/]+@")
# Query parameters that carry secrets in Apprise URLs (tokens, passwords, keys).
_SECRET_QS_RE = re.compile(r"([?&](?:pass|password|token|key|apikey|secret|webhook)=)[^&]+", re.IGNORECASE)


def redact(url: str) -> str:
    """A delivery URL fit for logs and the database (password and secret parameters removed)."""
    return _SECRET_QS_RE.sub(r"\1***", _SECRET_RE.sub(r"\1***@", url))


def _free_path(directory: Path, stem: str, ext: str) -> Path:
    path = directory / f"{stem}.{ext}"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}.{ext}"
    return path


def deliver_file(markdown: str, directory: Path, now: datetime, ext: str = "md", stem: str = "digest") -> Path:
    """Write one rendering atomically under ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = _free_path(directory, f"{stem}-{now:%Y%m%d-%H%M%S}", ext)
    tmp = path.with_suffix(f".{ext}.tmp")
    tmp.write_text(markdown, encoding="utf-8")
    tmp.replace(path)
    return path


def deliver_files(rendered: dict[str, str], directory: Path, now: datetime, stem: str = "digest") -> list[Path]:
    """Write every rendering (format → text) with the same timestamped stem."""
    try:
        return [deliver_file(body, directory, now, FILE_EXT[fmt], stem) for fmt, body in rendered.items()]
    except OSError as exc:
        raise DeliveryError(f"cannot write the digest under {directory}: {exc}; check the directory") from exc


def deliver_apprise(url: str, title: str, markdown: str, fmt: str = "markdown") -> None:
    """Send through one Apprise URL; raise DeliveryError if it was not delivered."""
    import apprise

    body_format = {"html": apprise.NotifyFormat.HTML, "text": apprise.NotifyFormat.TEXT}.get(
        fmt, apprise.NotifyFormat.MARKDOWN
    )
    ap = apprise.Apprise()
    if not ap.add(url):
        raise DeliveryError(f"{redact(url)} is not a valid Apprise URL; see https://github.com/caronc/apprise/wiki")
    ok = ap.notify(title=title, body=markdown, body_format=body_format)
    if not ok:
        raise DeliveryError(f"delivery to {redact(url)} failed; nothing was marked sent, the next digest retries")
