"""Relevance of an article to a topic profile: a 0–1 score, a label and reasons (pure).

score = LEXICAL_WEIGHT · lexical evidence + (1 − LEXICAL_WEIGHT) · exemplar similarity
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from reewatch.records import Article, RelevanceLabel, TopicScore

# First settings, from the demo site (relevant pages score 0.7–0.95, adjacent 0.35–0.5,
# unrelated < 0.25).  Issue #6 recalibrates them on news/dev.
RELEVANT_AT = 0.55
ADJACENT_AT = 0.30
LEXICAL_WEIGHT = 0.6
LEAD_CHARS = 500
MODEL_VERSION = "rules-1"

_SENTENCE_RE = re.compile(r"(?<=[.!?。！？])\s+|\n+")


@dataclass(frozen=True)
class TopicProfile:
    """A topic as data: terms by group and exemplar sentences."""

    name: str
    description: str
    terms: dict[str, tuple[str, ...]]
    positive: tuple[str, ...]
    negative: tuple[str, ...]

    @cached_property
    def patterns(self) -> dict[str, re.Pattern[str]]:
        return {group: _compile(terms) for group, terms in self.terms.items() if terms}


def _compile(terms: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for t in sorted(terms, key=len, reverse=True):
        esc = re.escape(t)
        # CJK terms have no word boundaries; Latin/Cyrillic ones do.
        parts.append(esc if _is_cjk(t) else rf"\b{esc}\b")
    return re.compile("|".join(parts), re.IGNORECASE)


def _is_cjk(t: str) -> bool:
    return any("\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" for c in t)


def load_profile(path: Path) -> TopicProfile:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    terms = {k: tuple(v) for k, v in data.get("terms", {}).items()}
    ex = data.get("exemplars", {})
    return TopicProfile(
        name=data["name"],
        description=data.get("description", "").strip(),
        terms=terms,
        positive=tuple(ex.get("positive", ())),
        negative=tuple(ex.get("negative", ())),
    )


def shipped_profile_paths() -> list[Path]:
    root = resources.files("triage").joinpath("topics")
    return sorted(Path(str(p)) for p in root.iterdir() if str(p).endswith(".toml"))


def load_profiles(extra_dir: Path | None = None) -> list[TopicProfile]:
    """The shipped profiles plus any ``*.toml`` in ``extra_dir`` (same name replaces)."""
    profiles = {p.name: p for p in map(load_profile, shipped_profile_paths())}
    if extra_dir is not None and extra_dir.is_dir():
        for path in sorted(extra_dir.glob("*.toml")):
            prof = load_profile(path)
            profiles[prof.name] = prof
    return list(profiles.values())


def _matches(pattern: re.Pattern[str] | None, text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in pattern.finditer(text)}) if pattern else []


def lexical_evidence(profile: TopicProfile, title: str, text: str) -> tuple[float, list[str]]:
    """0–1 evidence from where topic terms occur, with human-readable reasons."""
    pats = profile.patterns
    ree = pats.get("rare_earth")
    reasons: list[str] = []
    score = 0.0
    lead, body = text[:LEAD_CHARS], text[LEAD_CHARS:]
    in_title = _matches(ree, title)
    in_lead = _matches(ree, lead)
    in_body = [m.group(0) for m in ree.finditer(body)] if ree else []
    if in_title:
        score += 0.35
        reasons.append(f"title mentions {', '.join(in_title)}")
    if in_lead:
        score += 0.25
        reasons.append(f"lead mentions {', '.join(in_lead)}")
    if len(in_body) >= 2:
        score += 0.1
        reasons.append(f"body mentions rare earths {len(in_body)}×")
    trade = pats.get("trade")
    co = 0
    for sent in _SENTENCE_RE.split(f"{title}. {text}"):
        if ree and trade and ree.search(sent) and trade.search(sent):
            co += 1
    if co:
        score += min(0.3, 0.1 * co)
        reasons.append(f"rare-earth and trade terms together in {co} sentence(s)")
    actors = _matches(pats.get("actors"), text)
    if actors and score > 0:
        score += 0.05
        reasons.append(f"actors: {', '.join(actors[:4])}")
    neg = _matches(pats.get("negative"), f"{title}\n{text}")
    if neg:
        score -= 0.4
        reasons.append(f"off-topic signals: {', '.join(neg[:4])}")
    return max(0.0, min(1.0, score)), reasons


def label_for(score: float) -> RelevanceLabel:
    if score >= RELEVANT_AT:
        return "relevant"
    if score >= ADJACENT_AT:
        return "adjacent"
    return "irrelevant"


@dataclass(frozen=True)
class ExemplarVectors:
    positive: NDArray[np.float32]
    negative: NDArray[np.float32]


def exemplar_similarity(vec: NDArray[np.float32], ex: ExemplarVectors, profile: TopicProfile) -> tuple[float, str]:
    """0–1 similarity: how much closer the article is to positive than negative exemplars."""
    pos = ex.positive @ vec
    neg = ex.negative @ vec if ex.negative.size else np.zeros(1, dtype=np.float32)
    best = int(np.argmax(pos))
    margin = float(pos[best] - float(np.max(neg)))
    sim = max(0.0, min(1.0, 0.5 + margin * 1.5))
    return sim, f"nearest exemplar ({pos[best]:.2f}): “{profile.positive[best]}”"


def score_article(
    profile: TopicProfile, title: str, text: str, vec: NDArray[np.float32], ex: ExemplarVectors
) -> TopicScore:
    lex, reasons = lexical_evidence(profile, title, text)
    sim, nearest = exemplar_similarity(vec, ex, profile)
    # Without any rare-earth term the page cannot be core, whatever it resembles.
    score = LEXICAL_WEIGHT * lex + (1 - LEXICAL_WEIGHT) * sim if lex > 0 else 0.5 * (1 - LEXICAL_WEIGHT) * sim
    score = round(max(0.0, min(1.0, score)), 4)
    return TopicScore(profile.name, score, label_for(score), (*reasons, nearest), MODEL_VERSION)


_exemplar_cache: dict[tuple[str, str], ExemplarVectors] = {}


def exemplar_vectors(profile: TopicProfile, model_name: str) -> ExemplarVectors:
    """Embeddings of a profile's exemplars, computed once per process."""
    from triage.embed import embed_texts

    key = (profile.name, model_name)
    if key not in _exemplar_cache:
        _exemplar_cache[key] = ExemplarVectors(
            positive=embed_texts(list(profile.positive), model_name),
            negative=embed_texts(list(profile.negative), model_name),
        )
    return _exemplar_cache[key]


def score_batch(
    profiles: list[TopicProfile], articles: list[Article], vecs: NDArray[np.float32], model_name: str
) -> list[tuple[TopicScore, ...]]:
    """Scores of every article for every profile (``vecs``: title+lead embeddings)."""
    out: list[tuple[TopicScore, ...]] = []
    exs = [exemplar_vectors(p, model_name) for p in profiles]
    for art, vec in zip(articles, vecs, strict=True):
        out.append(tuple(score_article(p, art.title, art.text, vec, ex) for p, ex in zip(profiles, exs, strict=True)))
    return out
