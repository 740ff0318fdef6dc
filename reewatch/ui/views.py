"""Templates of the reading room: Jinja2 with autoescaping on for every template (titles and
texts are web content), and the filters the pages use."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import jinja2

from reewatch.ui.security import external_href

LABEL_NAMES = {"relevant": "relevant", "adjacent": "adjacent", "irrelevant": "not relevant"}


def _utc(t: object) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC" if isinstance(t, datetime) else ""


def _score(v: object) -> str:
    return f"{v:.2f}" if isinstance(v, int | float) else "–"


def _pct(v: object) -> str:
    return f"{100 * v:.0f} %" if isinstance(v, int | float) else "–"


def with_params(path_and_query: str, **params: object) -> str:
    """``path_and_query`` with these query parameters set (None or "" removes one)."""
    parts = urlsplit(path_and_query)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v not in (None, "")]
    return parts.path + ("?" + urlencode(query) if query else "")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reewatch.ui", "templates"),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update({
        "utc": _utc,
        "score": _score,
        "pct": _pct,
        "q": lambda s: quote(str(s), safe=""),
        "href": external_href,
        "label_name": lambda s: LABEL_NAMES.get(str(s), str(s)),
    })
    env.globals["with_params"] = with_params
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
