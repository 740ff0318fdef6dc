"""Bytes → text for HTML pages: header charset, then <meta charset>, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_HEADER_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.IGNORECASE)
# Labels that browsers map to a superset encoding (WHATWG Encoding Standard).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "iso-8859-1": "cp1252", "latin-1": "cp1252",
              "latin1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252", "shift_jis": "cp932",
              "sjis": "cp932", "x-sjis": "cp932", "euc-kr": "cp949"}


def _usable(label: str | None) -> str | None:
    if not label:
        return None
    label = _SUPERSETS.get(label.lower(), label.lower())
    try:
        codecs.lookup(label)
    except LookupError:
        return None
    return label


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode a page the way a browser would, as near as cheaply possible."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace")
    m = _HEADER_RE.search(content_type or "")
    enc = _usable(m.group(1) if m else None)
    if enc is None:
        mm = _META_RE.search(body[:4096])
        enc = _usable(mm.group(1).decode("ascii", "ignore") if mm else None)
    if enc is None:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            best = from_bytes(body[:200_000]).best()
            enc = _usable(best.encoding if best else None) or "cp1252"
    return body.decode(enc, errors="replace")
