"""Raw HTML as stored for `reewatch reextract`: zstd frames, older zlib rows still readable."""

from __future__ import annotations

import zlib

import pytest

from core.rawhtml import MAX_HTML_BYTES, ZSTD_MAGIC, compress_html, decompress_html

PAGE = "<html><body><h1>Licences for NdFeB magnets</h1><p>Ausfuhr genehmigt — 稀土 \udc80</p></body></html>"


def test_pages_are_stored_as_zstd_and_read_back() -> None:
    blob = compress_html(PAGE)
    assert blob[:4] == ZSTD_MAGIC
    back = decompress_html(blob)
    assert back == PAGE.replace("\udc80", "?")  # an unencodable lone surrogate is replaced, nothing else
    big = PAGE * 2000
    assert len(compress_html(big)) < len(big) // 20


def test_rows_written_with_zlib_still_read_back() -> None:
    assert decompress_html(zlib.compress(PAGE.encode("utf-8", errors="replace"), 6)) == PAGE.replace("\udc80", "?")


@pytest.mark.parametrize("blob", [b"not zlib", ZSTD_MAGIC + b"\x00garbage", b"", zlib.compress(b"<html>" * 100)[:-4]])
def test_foreign_blobs_raise_value_error(blob: bytes) -> None:
    with pytest.raises(ValueError, match="neither zstd nor zlib"):
        decompress_html(blob)


def test_a_blob_inflating_past_the_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="inflates past"):
        decompress_html(zlib.compress(b"<" * (MAX_HTML_BYTES + 10), 9))
    with pytest.raises(ValueError, match="inflates past"):
        decompress_html(compress_html("<" * (MAX_HTML_BYTES + 10)))
