"""A cheap language guess for articles that arrive without one (pure).

Cross-language copies and stories (triage/crosslingual.py) need to know when two articles are
in different languages.  Extraction gives ``Article.lang`` from the page's markup; a text import
may give none.  This guess reads the script first (kana → ja, hangul → ko, Han only → zh, Cyrillic
→ ru, Arabic → ar, Thai → th, Devanagari → hi) and, for Latin script, counts a few very common
function words per language.  A page mixing languages gets the language of most of its words.
"""

from __future__ import annotations

import re
from collections import Counter

_WORD_RE = re.compile(r"[^\W\d_]+")
# Very common function words of each language.
_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and of to is that for with was from have has are this which were been would",
        "de": "der die das und ist nicht mit sich auf dem den ein eine wird auch zu von bei nach",
        "fr": "le les des est dans pour une qui sur pas par ce du au sont avec été",
        "es": "el los las del que por una para con según fue está más como sus",
        "it": "il della che di per una sono gli nel alla dei delle anche è stato",
        "pt": "os das não uma para com pelo pela foi são dos também mais",
        "nl": "het een van zijn niet op dat voor met worden deze wordt ook naar",
        "pl": "się nie jest na że do oraz przez jak dla który które są",
        "sv": "och att det som är på för med till av har inte",
        "id": "yang dan di ini itu dengan untuk dari tidak akan pada adalah",
        "tl": "ang ng mga sa na ay si ni para kung hindi",
        "hu": "az és hogy nem egy meg volt már csak mint vagy még",
        "tr": "ve bir bu için ile olarak da çok daha gibi olan",
    }.items()
}
# word → the languages whose list has it (a few words are in two: para, una, di, na, das):
# one dict lookup per word.
_WORD_LANGS: dict[str, tuple[str, ...]] = {
    w: tuple(lang for lang, words in _STOPWORDS.items() if w in words)
    for w in frozenset().union(*_STOPWORDS.values())
}
# Characters that name a script outright.
_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)
# Share of letters a script needs before it names the language (a Latin page quoting one
# Chinese name stays Latin; a Japanese page with English names is Japanese).
SCRIPT_SHARE = 0.2


def guess_lang(text: str, sample: int = 2000) -> str | None:
    """ISO 639-1 guess from the first ``sample`` characters, or None when nothing is telling."""
    s = text[:sample]
    letters = sum(ch.isalpha() for ch in s)
    if not letters:
        return None
    for lang, pat in _SCRIPTS:
        if len(pat.findall(s)) >= SCRIPT_SHARE * letters:
            return lang
    counts: Counter[str] = Counter()
    for w in _WORD_RE.findall(s.lower()):
        for lang in _WORD_LANGS.get(w, ()):
            counts[lang] += 1
    if not counts:
        return None
    lang, n = counts.most_common(1)[0]
    return lang if n >= 2 else None


def article_lang(declared: str | None, title: str, text: str) -> str | None:
    """The declared language (primary subtag, lower-cased), else the guess."""
    if declared:
        return declared.split("-")[0].split("_")[0].lower() or None
    return guess_lang(f"{title}\n{text}")
