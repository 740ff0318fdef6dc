"""The learned head: a small L2-regularised logistic model over named features (pure numpy).

It is fitted with soft targets (relevant 1, adjacent ADJACENT_TARGET, irrelevant 0), so
its output is a 0–1 score on which adjacent items land between the two groups.  The
penalty pulls the weights towards a *prior* (the hand-set head below), so a handful of
examples moves the head a little and many examples move it more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.records import RelevanceLabel

ADJACENT_TARGET = 0.4
TARGETS: dict[RelevanceLabel, float] = {"relevant": 1.0, "adjacent": ADJACENT_TARGET, "irrelevant": 0.0}
# Pull towards the prior, in examples' worth: the penalty is PRIOR_STRENGTH/n · ‖θ − θ_prior‖²,
# so it fades as analyst labels accumulate.  At 10 the ~40 exemplars of rare-earth-trade
# move no weight by more than ~1.5 (tests/test_relevance.py checks the head stays sane).
PRIOR_STRENGTH = 10.0
NEWTON_STEPS = 25


@dataclass(frozen=True)
class Head:
    """z = bias + Σ weight·feature; score = sigmoid(z)."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    version: str

    def score(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        z = x @ np.asarray(self.weights) + self.bias
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    def contributions(self, x: NDArray[np.float64]) -> list[tuple[str, float]]:
        """Per-feature share of z for one row, largest magnitude first (for reasons)."""
        parts = [(n, float(w * v)) for n, w, v in zip(self.names, self.weights, x, strict=True)]
        return sorted(parts, key=lambda p: -abs(p[1]))

    def to_json(self) -> str:
        return json.dumps({"names": self.names, "weights": self.weights, "bias": self.bias, "version": self.version})

    @classmethod
    def from_json(cls, s: str) -> Head:
        d = json.loads(s)
        return cls(tuple(d["names"]), tuple(float(w) for w in d["weights"]), float(d["bias"]), str(d["version"]))


def fit(x: NDArray[np.float64], y: NDArray[np.float64], prior: Head, version: str, sample_weight: NDArray[np.float64] | None = None) -> Head:
    """Newton's method on soft-target log-loss + λ‖θ − θ_prior‖² (bias included, lightly)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    theta0 = np.array([*prior.weights, prior.bias])
    sw = np.ones(n) if sample_weight is None else sample_weight
    total = max(1.0, float(sw.sum()))
    reg = np.full(d + 1, PRIOR_STRENGTH / total)
    reg[-1] /= 10  # the bias may move more freely than the weights
    theta = theta0.copy()
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(xb @ theta)))
        grad = xb.T @ (sw * (p - y)) / total + 2 * reg * (theta - theta0)
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb / total + 2 * np.diag(reg)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return Head(prior.names, tuple(float(t) for t in theta[:-1]), float(theta[-1]), version)


def folds(n: int, k: int) -> list[NDArray[np.int64]]:
    """Row indices of ``k`` cross-validation folds over ``n`` rows (``min(k, n)`` folds, rows dealt
    round-robin in their order, so each fold mixes old and new labels); deterministic."""
    k = max(1, min(k, n))
    return [np.arange(i, n, k, dtype=np.int64) for i in range(k)] if n else []


def soft_log_loss(p: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Mean log-loss of scores ``p`` against soft targets ``y`` (TARGETS), scores clipped off 0 and 1."""
    if not len(y):
        return 0.0
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-(y * np.log(q) + (1 - y) * np.log(1 - q)).mean())
