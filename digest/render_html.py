"""The HTML digest: inline CSS (e-mail clients drop <style>), readable on a phone, inline SVG chart."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import jinja2
from markupsafe import Markup

from digest.chart import volume_svg
from digest.model import Digest, outlet_note
from digest.render_text import MAX_REASONS, headline_line


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("digest", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["utc"] = lambda t: f"{t:%Y-%m-%d %H:%M} UTC" if isinstance(t, datetime) else ""
    return env


def to_html(d: Digest) -> str:
    """The whole HTML document of the digest."""
    chart = Markup(volume_svg(d.volume)) if d.volume else None
    return _env().get_template("digest.html.j2").render(
        d=d, chart=chart, headline=headline_line(d), max_reasons=MAX_REASONS, note=outlet_note
    )
