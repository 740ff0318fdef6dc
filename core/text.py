"""Text normalisation shared by extraction, dedup, relevance, digests and evaluation (pure
functions)."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

WORD_RE = re.compile(r"\w+", re.UNICODE)


@functools.cache
def word_char() -> str:
    """One character of a word in any script, as a regex class: ``\\w`` or a combining mark
    (computed on first use: scanning the BMP's categories takes ~25 ms, which a process that
    never matches terms should not pay at import)."""
    return rf"[\w{_mark_ranges()}]"


def _mark_ranges() -> str:
    r"""Combining marks (Unicode M*) of the BMP as a regex class body: Devanagari, Bengali,
    Tamil, Thai … write vowel signs and viramas as marks, which ``\w`` does not match, so a
    word boundary would fall inside their words."""
    out: list[str] = []
    start = prev = -2
    for c in range(0x300, 0x10000):
        if unicodedata.category(chr(c)).startswith("M"):
            if c != prev + 1:
                if start >= 0:
                    out.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}" if prev > start else re.escape(chr(start)))
                start = c
            prev = c
    out.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}" if prev > start else re.escape(chr(start)))
    return "".join(out)



def tokens(text: str) -> list[str]:
    """Lower-cased ``\\w+`` runs: the word tokens used by every metric and hash."""
    return [t.lower() for t in WORD_RE.findall(unicodedata.normalize("NFKC", text))]


def content_hash(text: str) -> str:
    """Hash of the normalised token stream: equal for copies that differ only in
    whitespace, punctuation, case or Unicode form."""
    return hashlib.sha1(" ".join(tokens(text)).encode("utf-8")).hexdigest()


# What may open a sentence when ``capital_start`` asks for one: a capital, a digit, an
# opening quote or bracket ("U.S. officials" and "e.g. the" then stay one sentence).
_CAPITAL_START = r"(?=[A-Z0-9\"“‘'(])"


def _sentence_breaks(cjk_stops: bool, capital_start: bool) -> re.Pattern[str]:
    start = _CAPITAL_START if capital_start else ""
    breaks = [
        rf"(?<=[.!?][\"'”’)])\s+{start}",  # after a closing quote or bracket: 'said "no." Then'
        rf"(?<=[.!?])\s+{start}",
        r"(?<=[a-z][.!?])(?=[A-Z])",  # extracted pages glue paragraphs: "controls.Data"
        *([r"(?<=[。！？])"] if cjk_stops else []),  # CJK full stops take no space after them
        r"\n+",
    ]
    return re.compile("|".join(breaks))


_SENTENCE_BREAKS = {(c, s): _sentence_breaks(c, s) for c in (False, True) for s in (False, True)}


def sentences_of(text: str, *, cjk_stops: bool = True, capital_start: bool = False) -> list[str]:
    """The sentences of ``text`` in order, stripped, empty pieces dropped.

    A sentence ends at . ! ? followed by white space (also when a closing quote or bracket
    comes between), at . ! ? glued to a capital after a lower-case letter, at a line break,
    and (``cjk_stops``) at 。！？.  ``capital_start``: a sentence ended by white space must be
    followed by a capital, a digit, or an opening quote or bracket (digest summaries keep
    abbreviations whole).  Copy alignment (triage/align.py) passes ``cjk_stops=True``: its
    sentences are stored (``dedup_features``) as cut with them since triage/features.py
    ``FEATURES_VERSION`` 2, so a Japanese or Chinese translation has sentences to align.
    """
    return [s for piece in _SENTENCE_BREAKS[cjk_stops, capital_start].split(text) if (s := piece.strip())]
