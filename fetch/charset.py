"""Bytes → text for HTML pages: BOM, header charset, ``<meta charset>`` / XML declaration,
then detection.

A declared charset that the bytes contradict is not trusted blindly: a body declared
UTF-8 that is not valid UTF-8 falls through to the next clue, and a body declared
latin-1/ASCII (many servers' default) that is valid multi-byte UTF-8 is read as UTF-8.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_HEADER_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.IGNORECASE)
# Labels that browsers map to a superset encoding (WHATWG Encoding Standard).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "iso-8859-1": "cp1252",
              "latin-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252",
              "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
              "windows-31j": "cp932", "euc-kr": "cp949", "iso-8859-9": "cp1254", "tis-620": "cp874"}
# Single-byte labels servers send by default without looking at the page.
_DEFAULT_LABELS = frozenset({"cp1252", "iso8859-1", "ascii"})
# The <meta charset> must sit in the first 1024 bytes (HTML spec, "prescan"); we allow more
# for pages with long <head> scripts before it.
META_SCAN_BYTES = 4096
# Detection on a prefix: enough text for charset-normalizer to be sure, bounded cost.
DETECT_BYTES = 200_000


def _usable(label: str | None) -> str | None:
    if not label:
        return None
    label = _SUPERSETS.get(label.lower(), label.lower())
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _strict(body: bytes, enc: str) -> str | None:
    try:
        return body.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def declared_charsets(body: bytes, content_type: str = "") -> list[str]:
    """Pure: the usable charsets a page declares, header first."""
    found: list[str | None] = []
    m = _HEADER_RE.search(content_type or "")
    found.append(_usable(m.group(1) if m else None))
    head = body[:META_SCAN_BYTES]
    mm = _META_RE.search(head) or _XML_DECL_RE.search(head)
    found.append(_usable(mm.group(1).decode("ascii", "ignore") if mm else None))
    return [e for e in dict.fromkeys(found) if e]


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode a page the way a browser would, as near as cheaply possible."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="replace")
    utf8 = _strict(body, "utf-8")
    for enc in declared_charsets(body, content_type):
        if enc in _DEFAULT_LABELS and utf8 is not None and not body.isascii():
            return utf8  # a server default contradicted by valid multi-byte UTF-8
        text = _strict(body, enc)
        if text is not None:
            return text
    if utf8 is not None:
        return utf8
    best = from_bytes(body[:DETECT_BYTES]).best()
    enc = _usable(best.encoding if best else None) or "cp1252"
    return body.decode(enc, errors="replace")
