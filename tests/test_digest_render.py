"""The HTML digest rendered by headless Chromium at phone width: it renders, is not blank, shows the chart."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections import Counter
from pathlib import Path

import pytest

from digest.chart import BAR_COLOR, LATEST_COLOR
from digest.run import DigestOptions, run_digest
from digest.settings import DigestSettings
from tests.test_digest_compose import ARTICLES, NOW, Row, build_db

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
# Phone-sized viewport (CSS px): the digest must read at this width.
PHONE = (412, 1500)
# Set REEWATCH_UPDATE_SCREENSHOT=1 to refresh docs/digest-screenshot.png from this test.
DOCS_SHOT = REPO / "docs" / "digest-screenshot.png"

HISTORY: list[Row] = [  # one to four relevant articles a day, 3 to 29 days before NOW, more on some days: the chart has bars
    (f"https://archive.example/day-{k}-{j}", f"s-old-{k}-{j}", 0.7, "relevant", 24 * k + j, f"Older rare-earth item {k}.{j}",
     "An older report about rare-earth export licences and magnet supply. It adds context for the chart.")
    for k in range(3, 30) for j in range(1 + (k % 4))
]


def screenshot(html: Path, out: Path) -> None:
    profile = tempfile.mkdtemp(prefix="reewatch-chromium-")
    try:
        subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--force-device-scale-factor=1", f"--user-data-dir={profile}",
             f"--screenshot={out}", f"--window-size={PHONE[0]},{PHONE[1]}", html.as_uri()],
            check=True, timeout=90, capture_output=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def png_pixels(path: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) without extra packages."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = depth = ctype = 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and ctype in (2, 6), f"unexpected PNG type depth={depth} color={ctype}"
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    prev, pixels, i = bytearray(stride), [], 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels += [(line[x], line[x + 1], line[x + 2]) for x in range(0, stride, bpp)]
        prev = line
    return width, height, pixels


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _near(counts: Counter[tuple[int, int, int]], color: tuple[int, int, int], tol: int = 6) -> int:
    return sum(n for c, n in counts.items() if all(abs(c[k] - color[k]) <= tol for k in range(3)))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing; run scripts/install-chromium.sh")
def test_html_digest_renders_in_chromium_with_the_chart(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb", rows=ARTICLES + HISTORY)
    res = run_digest(db, tmp_path / "out", [], options=DigestOptions(settings=DigestSettings(lookback_days=2.9), preview=True), now=NOW)
    assert [(r.outcome, r.stories) for r in res] == [("preview", 3)]
    html = Path(res[0].target)
    text = html.read_text(encoding="utf-8")
    assert text.count('class="story"') == 3 and "<svg" in text
    shot = tmp_path / "digest.png"
    screenshot(html, shot)
    width, height, pixels = png_pixels(shot)
    assert (width, height) == PHONE
    counts = Counter(pixels)
    non_background = sum(n for c, n in counts.items() if c not in ((255, 255, 255), _rgb("#f2f4f7")))
    assert non_background > 0.05 * len(pixels), "the page is (nearly) blank"
    assert len(counts) > 50, "too few colours for rendered text"
    assert _near(counts, _rgb(BAR_COLOR)) > 400, "no chart bars in the screenshot"
    assert _near(counts, _rgb(LATEST_COLOR)) > 20, "the chart's latest-day bar is not visible"
    assert _near(counts, _rgb("#15324f")) > 5000, "the header band is not rendered"
    if os.environ.get("REEWATCH_UPDATE_SCREENSHOT") == "1":
        DOCS_SHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SHOT)

