"""Daily relevant-article volume as an inline SVG bar chart (pure; no plotting library)."""

from __future__ import annotations

from datetime import date
from html import escape

# Geometry in SVG user units; the chart scales to the width of a phone screen.
WIDTH = 600
HEIGHT = 170
PAD_LEFT = 40
PAD_RIGHT = 8
PAD_TOP = 18
PAD_BOTTOM = 30
BAR_GAP = 2
BAR_COLOR = "#2f6fb0"
LATEST_COLOR = "#d9822b"
AXIS_COLOR = "#8a96a3"
TEXT_COLOR = "#44505c"
# Label size in SVG units: the 600-unit chart shrinks to ~350 px on a phone, so 16 reads as ~9 px.
FONT_SIZE = 16


def volume_svg(series: tuple[tuple[date, int], ...] | list[tuple[date, int]], label: str = "relevant articles per day") -> str:
    """An accessible SVG of ``series`` (day, count), oldest first; the last bar is today."""
    n = max(1, len(series))
    peak = max((c for _, c in series), default=0)
    top = max(1, peak)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / n
    total = sum(c for _, c in series)
    first = series[0][0].isoformat() if series else ""
    last = series[-1][0].isoformat() if series else ""
    title = f"{label}: {total} in {len(series)} days ({first} to {last}), peak {peak}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'style="max-width:{WIDTH}px;height:auto;display:block" role="img" aria-label="{escape(title)}" '
        f'class="reewatch-volume-chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - PAD_RIGHT}" y2="{PAD_TOP + plot_h}" '
        f'stroke="{AXIS_COLOR}" stroke-width="1"/>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{WIDTH - PAD_RIGHT}" y2="{PAD_TOP}" stroke="{AXIS_COLOR}" '
        f'stroke-width="0.5" stroke-dasharray="3,3"/>',
        _text(PAD_LEFT - 5, PAD_TOP + 6, str(peak), "end"),
        _text(PAD_LEFT - 4, PAD_TOP + plot_h, "0", "end"),
    ]
    for i, (day, count) in enumerate(series):
        h = plot_h * count / top
        x = PAD_LEFT + i * step + BAR_GAP / 2
        color = LATEST_COLOR if i == len(series) - 1 else BAR_COLOR
        parts.append(
            f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{max(1.0, step - BAR_GAP):.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{day.isoformat()}: {count}</title></rect>'
        )
    if series:
        parts.append(_text(PAD_LEFT, HEIGHT - 6, f"{series[0][0]:%d %b}", "start"))
        parts.append(_text(WIDTH - PAD_RIGHT, HEIGHT - 6, f"{series[-1][0]:%d %b}", "end"))
        parts.append(_text(PAD_LEFT + plot_w / 2, HEIGHT - 6, f"{total} relevant articles, {len(series)} days", "middle"))
    parts.append("</svg>")
    return "".join(parts)


def _text(x: float, y: float, s: str, anchor: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="Helvetica,Arial,sans-serif" font-size="{FONT_SIZE}" '
            f'fill="{TEXT_COLOR}" text-anchor="{anchor}">{escape(s)}</text>')
