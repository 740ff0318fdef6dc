"""Lexical evidence of a topic in an article (pure): where its terms occur, and with what.

Raw page text carries menus, share bars and "related" lists.  A headline in a menu is
not the page's subject, so the text is split into *prose* sentences (inside lines long
enough to be paragraphs) and *furniture* (short lines: menus, headline lists, captions).
Only the title and prose count as the page talking about the topic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from core.text import sentences_of
from triage.profiles import TopicProfile

# A line is prose when it ends like a sentence and has at least SENTENCE_MIN_WORDS words
# (CJK: characters / CJK_CHARS_PER_WORD), or when it is long enough to be a paragraph cut
# short (PROSE_MIN_WORDS).  Menus and headline lists do not end with a full stop; a
# headline with its teaser rarely passes 30 words, a news paragraph usually does.
PROSE_MIN_WORDS = 30
SENTENCE_MIN_WORDS = 8
CJK_CHARS_PER_WORD = 2
# The lead: the first prose sentences (a lede is one or two sentences, plus a standfirst).
LEAD_SENTENCES = 3
# Counts are squashed with log1p(n)/log1p(SATURATION): 10 subject sentences, or 4 where
# subject and trade meet, already say "this page is about it".
SUBJECT_SATURATION = 10
COOCCURRENCE_SATURATION = 4
ADJACENT_SATURATION = 4
# A neighbouring topic (tariffs, chips, other minerals) must be the title's or recur in this
# many sentences to make a page adjacent: one aside on tariffs in an earnings report
# (demo site: business/quarterly-earnings-retailer.html) does not.
NEIGHBOUR_MIN_SENTENCES = 2

_LINE_SPLIT = re.compile(r"\n+")
_SENT_END = re.compile(r"[.!?。！？:;\"”’»)]\s*$")
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u9fff\uac00-\ud7af]")

FEATURES = (
    "title_subject",
    "lead_subject",
    "subject_sentences",
    "cooccurrence",
    "actors",
    "adjacent",
    "trap_share",
    "furniture_only",
)


def _words(line: str) -> int:
    return len(_WORD.findall(line)) + len(_CJK.findall(line)) // CJK_CHARS_PER_WORD


def is_prose(line: str) -> bool:
    n = _words(line)
    return n >= PROSE_MIN_WORDS or (n >= SENTENCE_MIN_WORDS and bool(_SENT_END.search(line)))


def split_text(text: str) -> tuple[list[str], list[str]]:
    """(prose sentences, furniture lines) of a page's text."""
    prose: list[str] = []
    furniture: list[str] = []
    for raw in _LINE_SPLIT.split(text):
        line = raw.strip()
        if not line:
            continue
        if is_prose(line):
            prose.extend(sentences_of(line))
        else:
            furniture.append(line)
    return prose, furniture


@dataclass(frozen=True)
class Evidence:
    """Lexical features of one article for one topic, and the reasons behind them."""

    features: tuple[float, ...]
    reasons: tuple[str, ...]
    has_subject: bool  # the title or the prose names the topic's subject
    neighbour: float  # 0–1: sentences where a neighbouring topic meets a trade term


def _squash(n: int, saturation: int) -> float:
    return min(1.0, math.log1p(n) / math.log1p(saturation))


def _uniq(items: list[str], k: int = 4) -> str:
    return ", ".join(list(dict.fromkeys(items))[:k])


def _subject(found: dict[str, list[str]]) -> list[str]:
    """Subject terms of a scanned sentence; weak-subject terms count only next to a context term."""
    subject = found.get("subject", [])
    if "weak_subject" in found and "context" in found:
        return subject + found["weak_subject"]
    return subject


@dataclass(frozen=True)
class _Hits:
    title: list[str]
    subject: list[tuple[int, list[str]]]  # (prose sentence index, terms); -1 is the title
    cooc: int
    traps: list[str]
    n_traps: int
    actors: list[str]
    adjacent: int
    adjacent_title: bool
    furniture: list[str]


def _hits(profile: TopicProfile, title: str, text: str) -> _Hits:
    prose, furniture = split_text(text)
    t_found = profile.scan(title)
    p_found = [profile.scan(s) for s in prose]
    title_hits = _subject(t_found)
    sents = [(i, hits) for i, f in enumerate(p_found) if (hits := _subject(f))]
    named = [*([t_found] if title_hits else []), *(p_found[i] for i, _ in sents)]
    trap_words = [f.get("traps", []) for f in named]
    return _Hits(
        title=title_hits,
        subject=sents,
        cooc=sum(1 for f in named if "context" in f),
        traps=[w for ws in trap_words for w in ws],
        n_traps=sum(1 for ws in trap_words if ws),
        actors=[a for f in [t_found, *p_found] for a in f.get("actors", [])] if named else [],
        adjacent=sum(1 for f in [t_found, *p_found] if "adjacent" in f and "context" in f),
        adjacent_title="adjacent" in t_found,
        furniture=[h for line in furniture for h in _subject(profile.scan(line))],
    )


def lexical_evidence(profile: TopicProfile, title: str, text: str) -> Evidence:
    """Features (in the order of FEATURES) from where the profile's terms occur."""
    h = _hits(profile, title, text)
    has_subject = bool(h.title or h.subject)
    n_named = len(h.subject) + bool(h.title)
    # The off-topic sense counts only when it is at least as common as the trade context: a
    # trade story may say in passing that MRI scanners use rare-earth magnets.
    trap_share = h.n_traps / n_named if n_named and h.n_traps >= h.cooc else 0.0
    lead = [t for i, ts in h.subject if i < LEAD_SENTENCES for t in ts]
    features = (
        float(bool(h.title)),
        float(bool(lead)),
        _squash(len(h.subject), SUBJECT_SATURATION),
        _squash(h.cooc, COOCCURRENCE_SATURATION),
        float(bool(h.actors)),
        _squash(h.adjacent, ADJACENT_SATURATION),
        trap_share,
        float(bool(h.furniture) and not has_subject),
    )
    prominent = h.adjacent >= NEIGHBOUR_MIN_SENTENCES or (h.adjacent > 0 and h.adjacent_title)
    neighbour = _squash(h.adjacent, ADJACENT_SATURATION) if prominent else 0.0
    return Evidence(features, _reasons(h, lead, has_subject, n_named), has_subject, neighbour)


def _reasons(h: _Hits, lead: list[str], has_subject: bool, n_named: int) -> tuple[str, ...]:
    out: list[str] = []
    if h.title:
        out.append(f"title: {_uniq(h.title)}")
    if lead:
        out.append(f"lead: {_uniq(lead)}")
    if h.subject:
        out.append(f"body: {len(h.subject)} sentence(s) name {_uniq([t for _, ts in h.subject for t in ts])}")
    if h.cooc:
        out.append(f"with trade terms in {h.cooc} sentence(s)")
    if h.actors:
        out.append(f"actors: {_uniq(h.actors)}")
    if h.adjacent:
        out.append(f"neighbouring topics with trade terms in {h.adjacent} sentence(s)")
    if h.n_traps:
        out.append(f"off-topic sense in {h.n_traps} of {n_named} mention(s): {_uniq(h.traps)}")
    if h.furniture and not has_subject:
        out.append(f"named only in menus/headline lists: {_uniq(h.furniture)}")
    if not has_subject and not h.furniture:
        out.append("no topic term")
    return tuple(out)
