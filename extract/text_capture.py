"""Text captures → Article (or NoArticle): what a naive scraper kept of a page, cleaned.  Pure.

``reewatch import`` records with ``url`` + ``text`` are captures: the page's text from its top,
with the menu words, site clock, headline, standfirst, article, teasers, link cards, bios and
disclaimers on their own lines.  They get the furniture treatment extracted HTML gets
(extract/furniture.py) and, since they carry no tags, three things the HTML path reads from
tags:

- the **headline** is the first title-like line of the top (a few words, no sentence end)
  before any prose; menu words, logos' alt text, site clocks and datelines before it are page
  furniture and go.  A capture whose first real line is prose (a standfirst) has no headline:
  its title is generated from that first sentence, and the standfirst stays the text's first
  line, which is how a generated title is recognised in storage (``title_is_generated``);
- the **publication date** is a dateline at the top (a short line holding a date) unless it
  is a site clock (extract/textdates.py), else a date the text opens with ("WASHINGTON, Nov.
  3, 2025 --"), else none: a date named further down is an event's, not the article's;
- the **end**: a "Related Articles" list that runs to the end of the capture is cut whole,
  link cards with their teaser paragraphs included, and the short labels, bios and
  disclaimers left at the end after it.

A list of standfirsts of different stories (extract/listing.py) is a ``NoArticle``; so is a capture of
nothing but furniture.  A capture that is only a headline (and a dateline) is a lead (``kind``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from core.records import Article, NoArticle
from core.text import sentences_of, tokens
from extract.article import article_from_text
from extract.dates import plausible
from extract.furniture import (
    BIO_RE,
    DISCLAIMER_RE,
    MAX_FURNITURE_CHARS,
    MAX_HEADLINE_CHARS,
    SECTION_HEADING_RE,
    is_furniture,
    strip_furniture,
)
from extract.listing import ends_sentence, listing_reason
from extract.textdates import clock_shaped, full_dates, is_site_clock, lead_date, line_datetime, mentions

# The headline is looked for among the first lines (menu words, a logo's alt text, a site clock
# and a site name come first on the seeds; at most 3 before the headline on news/dev).
HEAD_LINES = 6
# A headline: 3 to 25 words (menu words and logos are one or two; the 50 headlines found in
# news/dev's 144 captures have 3 to 22).
MIN_TITLE_WORDS = 3
MAX_TITLE_WORDS = 25
# Within this many lines after the headline, a short line with a date is the dateline (news/dev's
# are up to 10 words: "News Mania Desk / Piyal Chatterjee / 19th August 2025") and a
# line holding the headline is a repeat of it (a byline glued to it, a second rendering).
AFTER_TITLE_LINES = 3
MAX_DATELINE_CHARS = 80
MAX_DATELINE_WORDS = 12
MAX_REPEAT_EXTRA_CHARS = 80
# Up to this long, a line of one or two words is a label (a menu word, "Published", "on"), not a
# headline; a longer one is unspaced prose (Chinese, Japanese).
MAX_LABEL_CHARS = 40
# A generated title is the standfirst's first sentences, at least MIN and at most MAX characters
# (cut at a word): "U.S." or "Nov." end no title.
MIN_GENERATED_TITLE_CHARS = 40
MAX_GENERATED_TITLE_CHARS = 120
# Left at the end of a capture, a line this short without a sentence end is a label or a button
# ("Orange background", "Explore what … can do for you:", "Legal Disclaimer:"), not the article's end.
MAX_TAIL_LABEL_CHARS = 60
# Bios and disclaimers at the very end are cut up to this length (the HTML path's tail limit).
MAX_TAIL_NOTE_CHARS = 400
_BREADCRUMB = ("|", " > ", " » ", " › ", " / ")
# "By Jane Doe and John Roe": a byline, not a headline.
_BYLINE_RE = re.compile(r"^by\s+[A-Z][\w.'’-]*(\s+(and\s+)?[A-Z][\w.'’-]*,?){0,5}\W*$", re.IGNORECASE)
# A list item's marker: a menu entry or a key point, not a headline.
_BULLET_RE = re.compile(r"^([•·▪●◦*–—-]|\d{1,2}[.)])\s*")
# A photo credit in a line makes it a caption ("Rare earth Photo:VCG").
_CREDIT_RE = re.compile(r"\b(photo|image|picture)s?( by)?\s?:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Capture:
    """A cleaned capture: its title (given, found or generated), text and publication date."""

    title: str
    text: str
    title_generated: bool
    published_at: datetime | None
    # a headline and nothing after it but labels and datelines (not a list of other headlines)
    headline_only: bool = False


def _lines(text: str) -> list[str]:
    """Non-empty lines, stripped; a line without a letter or digit ("-", "•", ".") is a separator."""
    return [s for line in text.splitlines() if (s := line.strip()) and any(c.isalnum() for c in s)]


def _label(line: str) -> bool:
    """Page furniture at the top: a furniture line, a menu word, a byline, a bulleted menu entry, a
    photo credit."""
    return (is_furniture(line) or (len(line.split()) < MIN_TITLE_WORDS and len(line) <= MAX_LABEL_CHARS)
            or _BYLINE_RE.match(line) is not None or (_BULLET_RE.match(line) is not None and len(line) <= MAX_LABEL_CHARS)
            or (_CREDIT_RE.search(line) is not None and len(line) <= MAX_DATELINE_CHARS))


def _title_like(line: str, following: str) -> bool:
    """A few words without a sentence end, not a list entry, a caption or a breadcrumb, and not
    wrapped (the ``following`` line does not continue it in lower case)."""
    words = len(line.split())
    return (MIN_TITLE_WORDS <= words <= MAX_TITLE_WORDS and len(line) <= MAX_HEADLINE_CHARS
            and not ends_sentence(line) and not line.rstrip("\"'”’)»").endswith((",", ":"))
            and not any(sep in line for sep in _BREADCRUMB) and not _BULLET_RE.match(line)
            and not _CREDIT_RE.search(line) and not following[:1].islower())


def _dateline(line: str) -> bool:
    """A date with a few words around it (a source, a byline, a time), not a sentence."""
    return (len(line) <= MAX_DATELINE_CHARS and len(line.split()) <= MAX_DATELINE_WORDS and not ends_sentence(line)
            and bool(full_dates(line)))


def _repeats_title(line: str, title_key: str) -> bool:
    if not title_key or len(line) > len(title_key) + MAX_REPEAT_EXTRA_CHARS:
        return False
    return title_key in " ".join(tokens(line))


@dataclass(frozen=True, slots=True)
class _Head:
    title: str | None
    datelines: tuple[str, ...]
    body_start: int


def _head(lines: list[str], given_title: str | None) -> _Head:
    """The headline, the datelines at the top, and where the article's own lines start."""
    title: str | None = None
    datelines: list[str] = []
    given_key = " ".join(tokens(given_title or ""))
    i = 0
    while i < min(len(lines), HEAD_LINES):
        line = lines[i]
        if given_title and _repeats_title(line, given_key):
            title = given_title
        elif _dateline(line):
            datelines.append(line)
        elif _label(line):
            pass
        elif not given_title and _title_like(line, lines[i + 1] if i + 1 < len(lines) else ""):
            title = line
        else:
            break
        i += 1
        if title is not None:
            break
    if title is None and given_title is None:
        return _Head(None, tuple(datelines), i)
    key = " ".join(tokens(title or given_title or ""))
    end = min(len(lines), i + AFTER_TITLE_LINES)
    while i < end:
        if _dateline(lines[i]):
            datelines.append(lines[i])
        elif not (_repeats_title(lines[i], key) or _label(lines[i])):
            break
        i += 1
    return _Head(title or given_title, tuple(datelines), i)


def _cards_to_end(rest: list[str]) -> bool:
    """``rest`` is all link cards: short headline lines, each followed by at most one teaser."""
    after_headline = False
    for line in rest:
        if is_furniture(line) or (len(line) <= MAX_HEADLINE_CHARS and not ends_sentence(line)):
            after_headline = True
        elif after_headline:
            after_headline = False
        else:
            return False
    return True


def _drop_closing_links(lines: list[str]) -> list[str]:
    """A "Related Articles"-style heading after some prose whose list runs to the end: cut from it."""
    seen_prose = False
    for i, line in enumerate(lines):
        if seen_prose and len(line) <= MAX_FURNITURE_CHARS and SECTION_HEADING_RE.match(line) \
                and _cards_to_end(lines[i + 1:]):
            return lines[:i]
        seen_prose = seen_prose or ends_sentence(line)
    return lines


def _drop_closing_labels(lines: list[str]) -> list[str]:
    """Short labels, bios and disclaimers left at the end."""
    end = len(lines)
    while end > 0:
        line = lines[end - 1]
        label = len(line) <= MAX_TAIL_LABEL_CHARS and not ends_sentence(line)
        note = len(line) <= MAX_TAIL_NOTE_CHARS and (BIO_RE.match(line) is not None or DISCLAIMER_RE.search(line) is not None)
        if not (label or note or is_furniture(line)):
            break
        end -= 1
    return lines[:end]


def _generated_title(text: str) -> str:
    """The first sentences of the first line, at least MIN_GENERATED_TITLE_CHARS long, cut to MAX."""
    sentences = sentences_of(_BULLET_RE.sub("", text.split("\n", 1)[0]), capital_start=True)
    title = ""
    for sentence in sentences:
        title = f"{title} {sentence}".strip()
        if len(title) >= MIN_GENERATED_TITLE_CHARS:
            break
    title = title.rstrip(" .;:,")
    if len(title) <= MAX_GENERATED_TITLE_CHARS:
        return title
    return title[:MAX_GENERATED_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:—–-") + "…"


def title_is_generated(title: str, text: str) -> bool:
    """Whether a stored capture's title was generated from its standfirst: the text begins with it
    (a headline found in a capture is removed from its text, a generated one is not)."""
    want = tokens(title.rstrip("…"))
    return bool(want) and tokens(text[: 2 * len(title) + 40])[: len(want)] == want


def _published(datelines: tuple[str, ...], text: str, fetched_at: datetime) -> datetime | None:
    """The first dateline at the top that is not a site clock, else a date the text opens with."""
    for line in datelines:
        if clock_shaped(line) and is_site_clock(line, mentions(text)):
            continue
        if (when := plausible(line_datetime(line), fetched_at)) is not None:
            return when
    return plausible(lead_date(text), fetched_at)


def clean_capture(raw: str, *, fetched_at: datetime, title: str | None = None) -> Capture:
    """The headline, text and publication date of a text capture (``title`` when the record gives one)."""
    lines = _lines(raw)
    head = _head(lines, (title or "").strip() or None)
    body = _drop_closing_links(lines[head.body_start:])
    text = "\n".join(_drop_closing_labels(_lines(strip_furniture("\n".join(body), head.title))))
    published = _published(head.datelines, text, fetched_at)
    if head.title is not None:
        alone = not text and all(_label(line) or _dateline(line) for line in lines[head.body_start:])
        return Capture(head.title, text, False, published, alone)
    return Capture(_generated_title(text), text, True, published)


def article_from_capture(
    text: str,
    *,
    url: str,
    source: str,
    fetched_at: datetime,
    title: str | None = None,
    published_at: datetime | None = None,
    lang: str | None = None,
) -> Article | NoArticle:
    """An Article from a text capture (``reewatch import`` with ``text``), or a NoArticle for a list page.
    A capture that is only a headline (and a dateline) is kept as a lead: its text is the headline.

    What the record gives (``title``, ``published_at``) wins over what is read from the text."""
    cap = clean_capture(text, fetched_at=fetched_at, title=title)
    if not cap.text:
        if cap.headline_only:  # an alert's or a spreadsheet's record
            lead = article_from_text(cap.title, url=url, source=source, fetched_at=fetched_at, title=cap.title,
                                     published_at=published_at or cap.published_at, lang=lang)
            return replace(lead, kind="lead")
        return NoArticle(url, source, "nothing but page furniture in the text")
    reason = listing_reason(cap.text)
    if reason:
        return NoArticle(url, source, reason)
    return article_from_text(cap.text, url=url, source=source, fetched_at=fetched_at, title=cap.title,
                             published_at=published_at or cap.published_at, lang=lang)
