"""Relevance of an article to a topic profile: a 0–1 score, a label and reasons (pure but
for the model, which embeds a profile's exemplars once per process).

score = head(lexical evidence ⊕ exemplar similarity), where the head is a small logistic
model (triage.head): the one ``reewatch train`` stored, else one fitted on the profile's
own exemplars, pulled towards the hand-set PRIOR_HEAD.  A page that never names the
topic's subject in its title or prose is capped below RELEVANT_AT, whatever it resembles.

Similarity by language (``score_texts`` with ``langs``): the dedup model is English-only, so
an article in another language the multilingual encoder covers is compared with the
exemplars through that encoder (and scored by the head fitted on the exemplars' multilingual
features); in a language neither encoder covers, the similarity is unknown and the
exemplars' own mean similarity stands in, so the lexical evidence (the profile's terms in
many languages) decides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from core.records import Article, RelevanceLabel, TopicScore
from triage.embed import MULTILINGUAL_MODEL, USE_LANGUAGES
from triage.evidence import FEATURES as LEXICAL_FEATURES
from triage.evidence import Evidence, lexical_evidence
from triage.head import TARGETS, Head, fit
from triage.profiles import Exemplar, TopicProfile, load_profile, load_profiles, shipped_profile_paths

__all__ = [
    "ADJACENT_AT",
    "FEATURES",
    "PRIOR_HEAD",
    "RELEVANT_AT",
    "TopicProfile",
    "head_for",
    "label_for",
    "load_profile",
    "load_profiles",
    "score_batch",
    "shipped_profile_paths",
]

FEATURES = (*LEXICAL_FEATURES, "similarity", "similarity_margin")

# The hand-set prior head (weights per FEATURES).  Reasoning, not fitting: the subject in
# prose and next to trade terms weighs most; a mention in an off-topic sense (band, toy
# magnets, MRI, quantum optics) cancels it; neighbouring minerals/chips/tariffs say a page
# is partly about something else (a small minus: the adjacent floor below handles them);
# embedding similarity to the exemplars (cosines ~0.1–0.7) adds up to ~2 units.
PRIOR_HEAD = Head(
    names=FEATURES,
    weights=(1.0, 1.0, 2.0, 2.5, 0.5, -0.5, -5.0, -0.5, 3.0, 4.0),
    bias=-4.5,
    version="prior-1",
)
# Labels from the score.  The head is fitted with targets relevant 1 / adjacent 0.4 /
# irrelevant 0, so 0.5 is the natural relevant cut and 0.2 (half the adjacent target)
# the adjacent one.  On news/dev these cuts give the numbers in docs/relevance.md.
RELEVANT_AT = 0.5
ADJACENT_AT = 0.2
# Without a subject term in the title or prose a page is at most adjacent.
NO_SUBJECT_CAP = 0.45
# Neighbouring-topic evidence (other minerals, chips, EV tariffs, with a trade term) lifts a
# page into the adjacent band, never above it: floor = ADJACENT_FLOOR_LOW + span·strength,
# inside [ADJACENT_AT, RELEVANT_AT) with a margin of ~0.02/0.08 on either side.
ADJACENT_FLOOR_LOW = 0.22
ADJACENT_FLOOR_HIGH = 0.42
# Weight of one analyst label in `reewatch train`, in exemplars.
LABEL_WEIGHT = 2.0
# Version prefix of a head fitted on a profile's exemplars alone (no analyst labels).
EXEMPLAR_HEAD_PREFIX = "exemplars-"
# How many reasons from the head's largest contributions to show.
TOP_CONTRIBUTIONS = 3


def label_for(score: float) -> RelevanceLabel:
    if score >= RELEVANT_AT:
        return "relevant"
    if score >= ADJACENT_AT:
        return "adjacent"
    return "irrelevant"


@dataclass(frozen=True)
class ExemplarVectors:
    """Unit embeddings of a profile's exemplars (rows in profile.exemplars order)."""

    vectors: NDArray[np.float32]
    positive: NDArray[np.bool_]

    def mean_similarity(self) -> NDArray[np.float64]:
        """The similarity features the exemplars themselves have on average (each against
        the others): what stands in for an article no encoder can read."""
        sim, _ = similarity_features(self.vectors, self, exclude_self=True)
        return sim.mean(axis=0)  # type: ignore[no-any-return]


def exemplar_matrix(profile: TopicProfile, vecs: NDArray[np.float32]) -> ExemplarVectors:
    return ExemplarVectors(vecs, np.array([e.label == "relevant" for e in profile.exemplars]))


def foreign(lang: str | None) -> bool:
    """Another language than the dedup model's (an unknown one is read as English)."""
    return lang is not None and lang != "en"


def multilingual_rows(langs: list[str | None]) -> list[int]:
    """Rows compared through the multilingual encoder: another language it covers."""
    return [i for i, lang in enumerate(langs) if foreign(lang) and lang in USE_LANGUAGES]


def similarity_features(
    vecs: NDArray[np.float32], ex: ExemplarVectors, exclude_self: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """(n, 2) [max cosine to relevant exemplars, that minus max cosine to the others], and
    the index of the nearest relevant exemplar.  ``exclude_self`` for exemplars themselves."""
    sims = (vecs @ ex.vectors.T).astype(np.float64)
    if exclude_self:
        np.fill_diagonal(sims, -1.0)
    pos = np.where(ex.positive[None, :], sims, -1.0)
    neg = np.where(ex.positive[None, :], -1.0, sims)
    best = pos.max(axis=1)
    return np.stack([best, best - neg.max(axis=1)], axis=1), pos.argmax(axis=1)


def feature_matrix(evidence: list[Evidence], sim: NDArray[np.float64]) -> NDArray[np.float64]:
    lex = np.array([e.features for e in evidence], dtype=np.float64).reshape(len(evidence), len(LEXICAL_FEATURES))
    return np.hstack([lex, sim])


def apply_head(head: Head, x: NDArray[np.float64], evidence: list[Evidence]) -> NDArray[np.float64]:
    scores = head.score(x)
    has_subject = np.array([e.has_subject for e in evidence], dtype=bool)
    scores = np.where(has_subject, scores, np.minimum(scores, NO_SUBJECT_CAP))
    strength = np.array([e.neighbour for e in evidence], dtype=np.float64)
    floor = np.where(strength > 0, ADJACENT_FLOOR_LOW + (ADJACENT_FLOOR_HIGH - ADJACENT_FLOOR_LOW) * strength, 0.0)
    out: NDArray[np.float64] = np.maximum(scores, floor)
    return out


def exemplar_training_set(profile: TopicProfile, ex: ExemplarVectors) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Features (similarities leave-one-out) and soft targets of the profile's exemplars."""
    ev = [lexical_evidence(profile, e.title, e.text) for e in profile.exemplars]
    sim, _ = similarity_features(ex.vectors, ex, exclude_self=True)
    y = np.array([TARGETS[e.label] for e in profile.exemplars])
    return feature_matrix(ev, sim), y


def exemplar_head(profile: TopicProfile, ex: ExemplarVectors) -> Head:
    """The head fitted on the profile's exemplars alone (what scores before any `train`)."""
    x, y = exemplar_training_set(profile, ex)
    return fit(x, y, PRIOR_HEAD, version=f"{EXEMPLAR_HEAD_PREFIX}{PRIOR_HEAD.version}")


_exemplar_cache: dict[tuple[str, str, tuple[Exemplar, ...]], tuple[ExemplarVectors, Head]] = {}


def exemplar_state(profile: TopicProfile, model_name: str) -> tuple[ExemplarVectors, Head]:
    """Exemplar embeddings and the exemplar-fitted head, computed once per process."""
    key = (profile.name, model_name, profile.exemplars)
    if key not in _exemplar_cache:
        from triage.embed import embed_texts

        ex = exemplar_matrix(profile, embed_texts([e.embed_text for e in profile.exemplars], model_name))
        head = exemplar_head(profile, ex)
        if model_name == MULTILINGUAL_MODEL:  # stored scores say which head gave them
            head = replace(head, version=f"{head.version}-{MULTILINGUAL_MODEL}")
        _exemplar_cache[key] = (ex, head)
    return _exemplar_cache[key]


def head_for(profile: TopicProfile, model_name: str) -> Head:
    return profile.head or exemplar_state(profile, model_name)[1]


def _top(head: Head, x: NDArray[np.float64]) -> list[str]:
    return [f"{n} {c:+.1f}" for n, c in head.contributions(x)[:TOP_CONTRIBUTIONS] if abs(c) >= 0.05]


def _reasons(ev: Evidence, head: Head, x: NDArray[np.float64], nearest: Exemplar, sim: float) -> tuple[str, ...]:
    return (*ev.reasons, f"nearest exemplar ({sim:.2f}): “{nearest.title}”", f"head {head.version}: {', '.join(_top(head, x))}")


def features_for(
    profile: TopicProfile, docs: list[tuple[str, str]], vecs: NDArray[np.float32], ex: ExemplarVectors
) -> tuple[NDArray[np.float64], list[Evidence], NDArray[np.int64]]:
    """Head inputs of (title, text) pairs, their lexical evidence, and nearest exemplars."""
    evidence = [lexical_evidence(profile, title, text) for title, text in docs]
    sim, nearest = similarity_features(vecs, ex)
    return feature_matrix(evidence, sim), evidence, nearest


def score_texts(
    profile: TopicProfile, docs: list[tuple[str, str]], vecs: NDArray[np.float32], ex: ExemplarVectors, head: Head,
    langs: list[str | None] | None = None, mvecs: NDArray[np.float32] | None = None,
) -> list[TopicScore]:
    """Scores of (title, text) pairs for one profile (pure but for the multilingual encoder's
    exemplar embeddings, computed once per process).  ``langs`` (one per doc) routes another
    language's similarity (module docstring); ``mvecs`` holds the multilingual vectors, rows
    aligned with ``docs`` (only the ``multilingual_rows`` are read); without them those rows
    are scored like a language no encoder covers."""
    x, evidence, nearest = features_for(profile, docs, vecs, ex)
    heads = [head] * len(docs)
    imputed: set[int] = set()
    if langs is not None:
        multi = multilingual_rows(langs) if mvecs is not None else []
        imputed = {i for i, lang in enumerate(langs) if foreign(lang)} - set(multi)
        if imputed:
            x[sorted(imputed), -2:] = ex.mean_similarity()
        if multi and mvecs is not None:
            mex, mhead = exemplar_state(profile, MULTILINGUAL_MODEL)
            x[multi, -2:], nearest[multi] = similarity_features(mvecs[multi], mex)
            # An analyst-trained head scores every language (the labels are the analyst's call);
            # only the exemplar-fitted one has a multilingual twin.  The two exemplar heads' weights
            # differ by < 0.01 (the prior dominates): USE and MiniLM cosines to the exemplars sit
            # on close enough scales for one head.
            if head.version.startswith(EXEMPLAR_HEAD_PREFIX):
                for i in multi:
                    heads[i] = mhead
    scores = apply_head(head, x, evidence)
    if multi_rows := [i for i, h in enumerate(heads) if h is not head]:
        scores[multi_rows] = apply_head(heads[multi_rows[0]], x[multi_rows], [evidence[i] for i in multi_rows])
    out = []
    for i, ev in enumerate(evidence):
        h = heads[i]
        s = round(float(scores[i]), 4)
        if i in imputed:
            reasons = (*ev.reasons, f"no encoder reads {langs[i] if langs else '?'}: terms decide",
                       f"head {h.version}: {', '.join(_top(h, x[i]))}")
        else:
            reasons = _reasons(ev, h, x[i], profile.exemplars[int(nearest[i])], float(x[i, -2]))
        out.append(TopicScore(profile.name, s, label_for(s), reasons, h.version))
    return out


def score_profile(
    profile: TopicProfile, articles: list[Article], vecs: NDArray[np.float32], ex: ExemplarVectors, head: Head,
    langs: list[str | None] | None = None, mvecs: NDArray[np.float32] | None = None,
) -> list[TopicScore]:
    return score_texts(profile, [(a.title, a.text) for a in articles], vecs, ex, head, langs, mvecs)


def train_head(
    profile: TopicProfile, ex: ExemplarVectors, x_labels: NDArray[np.float64], labels: list[RelevanceLabel], version: str
) -> tuple[Head, dict[str, float]]:
    """Refit the head on the exemplars plus analyst-labelled articles (their features given).

    Each analyst label weighs LABEL_WEIGHT exemplars: an analyst's call on a real page
    says more than a sentence written to illustrate the definition."""
    x_ex, y_ex = exemplar_training_set(profile, ex)
    y_lab = np.array([TARGETS[lab] for lab in labels], dtype=np.float64)
    x = np.vstack([x_ex, x_labels.reshape(len(labels), len(FEATURES))])
    y = np.concatenate([y_ex, y_lab])
    w = np.concatenate([np.ones(len(y_ex)), np.full(len(y_lab), LABEL_WEIGHT)])
    head = fit(x, y, PRIOR_HEAD, version, sample_weight=w)
    p = np.clip(head.score(x), 1e-6, 1 - 1e-6)
    logloss = float(-(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum())
    agree = float(np.mean([label_for(float(q)) == lab for q, lab in zip(p, _labels_of(y), strict=True)]))
    return head, {"log_loss": round(logloss, 4), "label_agreement": round(agree, 4)}


def _labels_of(y: NDArray[np.float64]) -> list[RelevanceLabel]:
    by_target = {v: k for k, v in TARGETS.items()}
    return [by_target[float(t)] for t in y]


def score_batch(
    profiles: list[TopicProfile], articles: list[Article], vecs: NDArray[np.float32], model_name: str,
    langs: list[str | None] | None = None, mvecs: NDArray[np.float32] | None = None,
) -> list[tuple[TopicScore, ...]]:
    """Scores of every article for every profile (``vecs``: unit title+lead embeddings;
    ``langs`` and ``mvecs`` as in ``score_texts``)."""
    if not articles:
        return []
    per_profile = []
    for p in profiles:
        ex, fitted = exemplar_state(p, model_name)
        per_profile.append(score_profile(p, articles, vecs, ex, p.head or fitted, langs, mvecs))
    return [tuple(col[i] for col in per_profile) for i in range(len(articles))]
