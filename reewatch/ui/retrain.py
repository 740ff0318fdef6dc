"""Retrain from the reading room: what refitting a topic's head would do, then doing it.

The preview reads only: the current head and a refitted one are evaluated on the topic's
analyst labels (the current head as it scores now; the refit cross-validated, each fold's head
fitted without that fold's labels), and every stored article is scored with the refit to count
whose label would change.  Confirming runs what ``reewatch train`` and ``reewatch rescore`` run
(reewatch/commands/relevance.py), under the writer slot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from core.errors import ReewatchError
from core.records import RelevanceLabel
from reewatch.ui.gate import Gate, reading
from store.browse import docs_after, label_fingerprint, stored_labels
from store.db import transaction
from store.labels import changed_labels, labelled_docs, latest_head
from triage.head import TARGETS, folds, soft_log_loss

if TYPE_CHECKING:
    import duckdb

    from triage.profiles import TopicProfile

# Folds of the cross-validation (fewer when there are fewer labels: leave-one-out then).
CV_FOLDS = 5
# Stored articles scored per read while counting label changes (one short connection each).
SCORE_BATCH = 512


@dataclass(frozen=True)
class Evaluation:
    """A head's agreement with the analyst labels (share whose label it reproduces) and log-loss
    against their soft targets; None without labels."""

    n: int
    agreement: float | None
    log_loss: float | None


@dataclass(frozen=True)
class RetrainPreview:
    topic: str
    current_head: str
    n_labels: int
    folds: int
    before: Evaluation
    after: Evaluation
    scored: int
    changes: tuple[tuple[str, str, int], ...]  # (stored label, new label, articles), most first
    fingerprint: str

    @property
    def would_change(self) -> int:
        return sum(n for _, _, n in self.changes)


@dataclass(frozen=True)
class RetrainResult:
    topic: str
    version: str
    n_examples: int
    n_labels: int
    counts: dict[str, int]
    changes: tuple[tuple[str, str, int], ...]

    @property
    def changed(self) -> int:
        return sum(n for _, _, n in self.changes)


def evaluate(scores: np.ndarray, labels: list[str]) -> Evaluation:
    """Pure: how ``scores`` (0-1) agree with analyst ``labels``."""
    from triage.relevance import label_for

    if not labels:
        return Evaluation(0, None, None)
    agree = float(np.mean([label_for(float(s)) == lab for s, lab in zip(scores, labels, strict=True)]))
    targets = np.array([TARGETS[cast(RelevanceLabel, lab)] for lab in labels], dtype=np.float64)
    return Evaluation(len(labels), round(agree, 4), round(soft_log_loss(np.asarray(scores, dtype=np.float64), targets), 4))


def _sorted_changes(c: Counter[tuple[str, str]]) -> tuple[tuple[str, str, int], ...]:
    return tuple((a, b, n) for (a, b), n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def preview_retrain(db: Path, gate: Gate, profile: TopicProfile, model: str, k: int = CV_FOLDS,
                    batch: int = SCORE_BATCH, *, multilingual: bool = True) -> RetrainPreview:
    """Evaluate the current and the refitted head on the labels; count the labels a rescore would change."""
    from reewatch.commands.relevance import _vectors as stored_vectors
    from reewatch.commands.relevance import score_stored, stored_languages, stored_multilingual
    from triage.relevance import apply_head, exemplar_state, features_for, head_for, train_head

    with reading(db, gate) as con:
        rows = labelled_docs(con, profile.name, model)
        stored_head = latest_head(con, profile.name, model)
        fingerprint = label_fingerprint(con, profile.name)
    ex, _ = exemplar_state(profile, model)
    current = stored_head or head_for(profile, model)
    docs = [d for d, _ in rows]
    labels = [cast(RelevanceLabel, lab) for _, lab in rows]
    vecs = stored_vectors(docs, model).reshape(len(docs), ex.vectors.shape[1])
    x, evidence, _ = features_for(profile, [(d.title, d.text) for d in docs], vecs, ex)
    before = evaluate(apply_head(current, x, evidence), list(labels))
    cv = np.zeros(len(docs))
    parts = folds(len(docs), k)
    for test in parts:
        train = np.setdiff1d(np.arange(len(docs)), test)
        head_k, _ = train_head(profile, ex, x[train], [labels[i] for i in train], version="cv")
        cv[test] = apply_head(head_k, x[test], [evidence[i] for i in test])
    after = evaluate(cv, list(labels))
    refit, _ = train_head(profile, ex, x, labels, version="preview")

    changes: Counter[tuple[str, str]] = Counter()
    scored, last = 0, ""
    while True:
        with reading(db, gate) as con:
            page = docs_after(con, model, profile.name, last, batch)
        if not page:
            break
        stored = [d for d, _ in page]
        langs = stored_languages(stored)
        scores = score_stored(profile, stored, stored_vectors(stored, model), refit, langs,
                              stored_multilingual(stored, langs, multilingual), model)
        changes.update(changed_labels((old, s.label) for (_, old), s in zip(page, scores, strict=True)))
        scored += len(page)
        last = stored[-1].canonical_url
    return RetrainPreview(profile.name, current.version, len(docs), len(parts), before, after, scored,
                          _sorted_changes(changes), fingerprint)


def retrain_job(profile: TopicProfile, model: str, fingerprint: str,
                multilingual: bool = True) -> Callable[[duckdb.DuckDBPyConnection], tuple[str, Any]]:
    """The confirmed retrain, for the writer thread: ``reewatch train`` then ``reewatch rescore`` for
    one topic, refused when the labels changed since the preview the analyst confirmed."""
    from reewatch.commands.relevance import rescore_topics, train_topic

    def run(con: duckdb.DuckDBPyConnection) -> tuple[str, RetrainResult]:
        if label_fingerprint(con, profile.name) != fingerprint:
            raise ReewatchError("the labels changed since this preview; evaluate the retrain again")
        before = stored_labels(con, profile.name)
        with transaction(con):
            version, n_examples, n_labels, _ = train_topic(con, profile, model)
        counts = rescore_topics(con, [profile], model, multilingual)[profile.name]
        after = stored_labels(con, profile.name)
        changes = _sorted_changes(changed_labels((before.get(u), lab) for u, lab in after.items()))
        result = RetrainResult(profile.name, version, n_examples, n_labels, dict(counts), changes)
        return (f"retrained {profile.name}: head {version}; {result.changed} stored articles changed label", result)

    return run
