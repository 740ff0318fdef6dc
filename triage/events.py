"""What tells one event from another of the same kind (pure).

Two rehab admissions or two export bans read alike to a sentence embedding; what
differs is *who*, *where*, *how much* and *when*.  We take from the title and lead:
capitalised names (people, companies, places), numbers, and dates, as a set of
lower-cased keys.  Story clustering compares these sets, weighting rare keys more.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# Text examined: the title plus this many characters of lead (where the event is stated;
# deeper text drifts to background that other events share).
EVENT_LEAD_CHARS = 1200
_NAME_RE = re.compile(r"\b[A-Z][\w'\-]{2,}")
_NUM_RE = re.compile(r"\b\d[\d.,]*\d\b|\b\d\b")
# "China's" names what "China" names.  The typographic apostrophe never reaches a key (_NAME_RE
# stops at it), the ASCII one does.
_POSSESSIVE_RE = re.compile(r"'s$")
# Capitalised words that name no particular event: sentence starters, weekdays, months,
# titles, and the page furniture of news sites.
_COMMON_WORDS = (
    """the a an in on at for by with from as but and or of to it its this that these those he she they we
    his her their our you your there here what when where who why how after before while today yesterday
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december mr mrs ms dr said says according also however read more
    share home news world business markets login subscribe sign menu search advertisement related
    reuters ap afp bloomberg photo image video copyright privacy cookies contact about"""
)
_COMMON = frozenset(_COMMON_WORDS.split())


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def event_keys(title: str, text: str, lead_chars: int = EVENT_LEAD_CHARS) -> frozenset[str]:
    """Names and numbers of the title and lead, lower-cased (``#`` marks a number)."""
    lead = text[:lead_chars]
    if text[lead_chars:lead_chars + 1].strip() and lead[-1:].strip():  # the cut word is not a name ("Bessen")
        lead = lead.rsplit(None, 1)[0] if any(c.isspace() for c in lead) else ""
    s = _norm(f"{title}\n{lead}")
    names = {_POSSESSIVE_RE.sub("", w.lower()) for w in _NAME_RE.findall(s)}
    nums = {"#" + n.replace(",", "") for n in _NUM_RE.findall(s)}
    return frozenset((names - _COMMON) | nums)


class KeyStats:
    """Document frequencies of event keys over the archive (for rarity weights)."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0

    def add(self, keys: Iterable[str]) -> None:
        self.df.update(set(keys))
        self.n += 1

    def weight(self, key: str) -> float:
        """Smoothed inverse document frequency: a key in every article weighs ~0."""
        return math.log((self.n + 2) / (self.df.get(key, 0) + 1))


def overlap(keys: frozenset[str], other: frozenset[str], stats: KeyStats) -> float:
    """Rarity-weighted share of the smaller key set found in the other (0..1)."""
    if not keys or not other:
        return 0.0
    shared = sum(stats.weight(k) for k in keys & other)
    small = min(sum(stats.weight(k) for k in keys), sum(stats.weight(k) for k in other))
    return shared / small if small > 0 else 0.0
