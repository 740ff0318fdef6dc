"""A story's coverage over time as a small SVG strip: one dot per member at the time it was
first seen (pure; no style attributes, which the page's Content-Security-Policy refuses)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

WIDTH = 600
HEIGHT = 64
PAD_X = 12
AXIS_Y = 30
DOT_R = 5
# Dots at the same time step up this much so that each stays visible.
STACK_DY = 7
COLORS = {"original": "#2f6fb0", "copy": "#8a96a3", "translation": "#6a4fb0", "lead": "#d9822b"}
TEXT_COLOR = "#44505c"
FONT_SIZE = 12


def coverage_svg(points: Sequence[tuple[datetime, str, str]]) -> str:
    """``points``: (first seen, outlet, kind: original | copy | translation | lead), any order."""
    pts = sorted(points, key=lambda p: p[0])
    if not pts:
        return ""
    t0, t1 = pts[0][0], pts[-1][0]
    span = (t1 - t0).total_seconds()
    plot = WIDTH - 2 * PAD_X
    title = f"coverage: {len(pts)} articles from {t0:%Y-%m-%d %H:%M} to {t1:%Y-%m-%d %H:%M} UTC"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="timeline" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{PAD_X}" y1="{AXIS_Y}" x2="{WIDTH - PAD_X}" y2="{AXIS_Y}" stroke="#c5ccd4" stroke-width="1"/>',
    ]
    seen: dict[int, int] = {}
    for when, outlet, kind in pts:
        x = PAD_X + (plot * (when - t0).total_seconds() / span if span > 0 else plot / 2)
        slot = round(x)
        level = seen.get(slot, 0)
        seen[slot] = level + 1
        parts.append(
            f'<circle cx="{x:.1f}" cy="{AXIS_Y - level * STACK_DY}" r="{DOT_R}" fill="{COLORS.get(kind, COLORS["original"])}">'
            f"<title>{escape(outlet)} · {kind} · {when:%Y-%m-%d %H:%M} UTC</title></circle>"
        )
    parts.append(_text(PAD_X, HEIGHT - 8, f"{t0:%d %b %H:%M}", "start"))
    if span > 0:
        parts.append(_text(WIDTH - PAD_X, HEIGHT - 8, f"{t1:%d %b %H:%M}", "end"))
    parts.append("</svg>")
    return "".join(parts)


def _text(x: float, y: float, s: str, anchor: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="Helvetica,Arial,sans-serif" font-size="{FONT_SIZE}" '
            f'fill="{TEXT_COLOR}" text-anchor="{anchor}">{escape(s)}</text>')
