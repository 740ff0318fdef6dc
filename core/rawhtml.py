"""The fetched page as kept in ``documents.raw_html_z`` (for ``reewatch reextract``).

Written as a zstd frame (level 3) of the page's UTF-8.  Rows holding a zlib stream also read
back, told apart by the frame's magic number.  The level comparison is in docs/benchmarks.md.
"""

from __future__ import annotations

import threading
import zlib

import zstandard

# Faster and smaller than zlib 6 on the e2e bench's 600 real pages (docs/benchmarks.md).
ZSTD_LEVEL = 3
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# A stored page never inflates past this (fetch.max_bytes is 5 MB; UTF-8 of a decoded page can
# be up to ~3x its bytes).  Guards `reextract` against a corrupted or foreign blob.
MAX_HTML_BYTES = 64 * 1024 * 1024

_local = threading.local()  # zstd contexts are not safe to share between threads


def _compressor() -> zstandard.ZstdCompressor:
    c = getattr(_local, "c", None)
    if c is None:
        c = _local.c = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return c


def compress_html(html: str) -> bytes:
    """The page as stored: a zstd frame of its UTF-8 (unencodable characters replaced)."""
    return _compressor().compress(html.encode("utf-8", errors="replace"))


def decompress_html(blob: bytes) -> str:
    """The stored page back as text (zstd, or zlib from older rows).  Raises ValueError when the
    blob is neither, or inflates past MAX_HTML_BYTES."""
    if not blob:
        raise ValueError("stored page is neither zstd nor zlib data: empty")
    try:
        if blob[:4] == ZSTD_MAGIC:
            if zstandard.frame_content_size(blob) > MAX_HTML_BYTES:  # -1: not in the header, capped below
                raise ValueError(f"stored page inflates past {MAX_HTML_BYTES} bytes")
            raw = zstandard.ZstdDecompressor().decompress(blob, max_output_size=MAX_HTML_BYTES)
        else:
            d = zlib.decompressobj()
            raw = d.decompress(blob, MAX_HTML_BYTES)
            if d.unconsumed_tail:
                raise ValueError(f"stored page inflates past {MAX_HTML_BYTES} bytes")
            if not d.eof:
                raise ValueError("stored page is neither zstd nor zlib data: the zlib stream is truncated")
    except (zstandard.ZstdError, zlib.error) as exc:
        raise ValueError(f"stored page is neither zstd nor zlib data: {exc}") from exc
    return raw.decode("utf-8", errors="replace")
