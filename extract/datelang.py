"""The languages htmldate's extensive date search hands to dateparser: the page's own and English.

htmldate parses free-text dates it cannot read with its own rules ("5. Juni 2025, 14:03 Uhr")
with dateparser, built once with every locale enabled: dateparser then detects the language
among ~200 locales, compiling each one's patterns on first use.  htmldate has no setting for
this, so ``install()`` replaces its parser factory (``htmldate.extractors.get_external_parser``,
a module-level function it calls on every such date) with one that reads the languages of the
page being dated from a context variable (``page_languages``): one cached parser per
language set.  A page that names no language dateparser knows is read in English only, not
in every locale, which costs seconds of locale compiling per process.  On the dated wcxb-dev
pages this finds the same dates as every locale, in half of dateparser's time (docs/extraction.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

# htmldate 1.11's settings for its external parser (htmldate/extractors.py), unchanged.
_SETTINGS: dict[str, Any] = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}
FALLBACK_LANGUAGE = "en"

_languages: ContextVar[tuple[str, ...] | None] = ContextVar("reewatch_date_languages", default=None)
_installed: dict[str, Any] = {}


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    from dateparser.data import language_order

    return frozenset(language_order)


def languages_for(lang: str | None) -> tuple[str, ...]:
    """dateparser languages for a page in ``lang`` (ISO 639-1): it and English, or English alone
    when the page names no language dateparser knows."""
    if not lang or lang == FALLBACK_LANGUAGE or lang not in _known():
        return (FALLBACK_LANGUAGE,)
    return (lang, FALLBACK_LANGUAGE)


@lru_cache(maxsize=64)
def _parser(languages: tuple[str, ...]) -> Any:
    from dateparser import DateDataParser  # type: ignore[attr-defined]

    return DateDataParser(languages=list(languages), settings=_SETTINGS)


def _external_parser() -> Any:
    languages = _languages.get()
    return _installed["default"]() if languages is None else _parser(languages)


def install() -> bool:
    """Route htmldate's dateparser calls through ``page_languages`` (idempotent).  False when
    this htmldate has no such hook (then it keeps its own parser: slower, same dates)."""
    import htmldate.extractors as hx

    if "default" in _installed:
        return True
    default = getattr(hx, "get_external_parser", None)
    if default is None:
        return False
    _installed["default"] = default
    hx.get_external_parser = _external_parser  # type: ignore[assignment]
    return True


@contextmanager
def page_languages(lang: str | None) -> Iterator[None]:
    """Inside the block, htmldate's extensive search parses dates in ``lang`` and English."""
    token = _languages.set(languages_for(lang))
    try:
        yield
    finally:
        _languages.reset(token)


def active_languages() -> tuple[str, ...] | None:
    """The languages set by the innermost ``page_languages`` block (None outside one)."""
    return _languages.get()
