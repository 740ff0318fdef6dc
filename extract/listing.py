"""List and index pages: one-line standfirsts of many different stories and no article body.  Pure.

A section front or a "latest news" page, captured as text, is a run of lines each summing up
another article in one sentence.  Such a summary is written to sit under a headline and
usually ends without a full stop ("Talks going well, minister says; officials expected to
drop curbs in return for ..."), where an article's paragraphs end with one.  A page whose
paragraph-length lines are mostly one open sentence each is such a list, not an article: it
is rejected with a reason and never stored as a story.  Text captures only: extracted HTML has
its own "no prose" rule, and on HTML pages of other kinds (schedules, catalogues, code) this one
is wrong (docs/extraction.md, "Text captures").
"""

from __future__ import annotations

import re

# A standfirst or a paragraph: one to two sentences (seed 000's standfirsts are 103–213 characters).
# Shorter lines are headings, labels and headline links; longer ones are paragraphs however they end.
MIN_LINE_CHARS = 60
MAX_STANDFIRST_CHARS = 300
# At least this many open one-sentence lines, and at least this share of the paragraph-length
# lines.  Seed 000 has 8 of 11; an article has its few captions or subheads among many finished
# paragraphs.  Of news/dev's 144 captures it takes one, a page excerpt that is only a headline list.
MIN_STANDFIRSTS = 5
MIN_STANDFIRST_SHARE = 0.5
# A line ends a sentence with one of these (Latin, Greek ";", Arabic, Urdu, Devanagari, Ethiopic,
# Myanmar, Khmer, CJK), then optional closing quotes or brackets.
_TERMINATED_RE = re.compile(r"[.!?…;؟۔।॥።။។。！？](?:[\"'”’»)\]]*)$")
# A sentence end inside a line (". The", "?” He"): two sentences are a paragraph, not a standfirst.
_INNER_END_RE = re.compile(r"[.!?。！？][\"'”’)\]]*\s+[\"“‘'(]?[A-Z]")
# A bulleted line is a list item inside an article (key points, a list of measures), not a
# standfirst; so is a table row ("| 1 | Chicago | 37 % |", two or more cell bars).
_BULLET_RE = re.compile(r"^([•·▪●◦*–—-]|\d{1,2}[.)])\s")
# Scripts written without sentence punctuation (Thai, Lao, Tibetan): their lines say nothing here.
_UNPUNCTUATED_SCRIPT_RE = re.compile(r"[\u0e00-\u0eff\u0f00-\u0fff]")


def ends_sentence(line: str) -> bool:
    """``line`` ends with a full sentence (a line cut off with "…" or "..." does not: a teaser)."""
    return _TERMINATED_RE.search(line) is not None and not line.endswith(("…", "..."))


def _standfirst(line: str) -> bool:
    """One open sentence: no sentence end inside, none (and no colon introducing more) at the end."""
    return (len(line) <= MAX_STANDFIRST_CHARS and not ends_sentence(line) and not line.endswith(":")
            and not _INNER_END_RE.search(line))


def paragraphs(text: str) -> list[str]:
    """The lines of ``text`` with hard-wrapped ones joined: a line that the next continues in lower
    case is part of one paragraph with it."""
    out: list[str] = []
    for line in text.split("\n"):
        s = line.strip()
        if out and s[:1].islower():
            out[-1] = f"{out[-1]} {s}"
        elif s:
            out.append(s)
    return out


def listing_reason(text: str) -> str | None:
    """Why ``text`` is a list of standfirsts rather than an article, or None."""
    lines = [s for s in paragraphs(text) if len(s) >= MIN_LINE_CHARS and not _UNPUNCTUATED_SCRIPT_RE.search(s)
             and not _BULLET_RE.match(s) and s.count("|") < 2]
    open_lines = sum(_standfirst(s) for s in lines)
    if open_lines < MIN_STANDFIRSTS or open_lines < MIN_STANDFIRST_SHARE * len(lines):
        return None
    return f"listing page: {open_lines} standfirsts in {len(lines)} lines, no article body"
