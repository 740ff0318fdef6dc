"""Text normalisation shared by extraction, dedup and evaluation (pure functions)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

WORD_RE = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased ``\\w+`` runs: the word tokens used by every metric and hash."""
    return [t.lower() for t in WORD_RE.findall(unicodedata.normalize("NFKC", text))]


def content_hash(text: str) -> str:
    """Hash of the normalised token stream: equal for copies that differ only in
    whitespace, punctuation, case or Unicode form."""
    return hashlib.sha1(" ".join(tokens(text)).encode("utf-8")).hexdigest()
