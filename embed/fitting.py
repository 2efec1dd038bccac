"""What both trainers (practices, follow-ups) and their bench share: a prediction's figures, a fit on standardised
columns and the choice of a threshold, so that each rule is written once."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def figures(y: np.ndarray, pred: np.ndarray, count: str = "rows", empty: float | None = None) -> dict:
    """Precision, recall and counts of a prediction (`empty` where there is nothing to divide by; `count` names the rows)."""
    tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
    return {"precision": round(tp / (tp + fp), 3) if tp + fp else empty, "recall": round(tp / (tp + fn), 3) if tp + fn else empty,
            "tp": tp, "fp": fp, "fn": fn, count: len(y)}


def standardised(X: np.ndarray, y: np.ndarray, lr, sample_weight: np.ndarray | None = None
                 ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Fit `lr` on standardised columns, so that no block of inputs swamps another under one penalty: (coef, bias, mean, scale)."""
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    lr.fit((X - mean) / scale, y, sample_weight=sample_weight)
    return lr.coef_[0], float(lr.intercept_[0]), mean, scale


def standardised_fit(X: np.ndarray, y: np.ndarray, lr, sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The same fit with the scaling folded back into its weights and bias, so that inference stays x @ w + b."""
    coef, bias, mean, scale = standardised(X, y, lr, sample_weight)
    w = coef / scale
    return w, float(bias - mean @ w)


def sweep(y: np.ndarray, scores: np.ndarray, thresholds, min_tp: int, ok: np.ndarray | None = None) -> Iterator[tuple[float, dict]]:
    """Each threshold (rounded to 0.01) with its figures, where it makes at least `min_tp` true hits (`ok`: the rows the
    rest of the pass leaves open; a threshold judged on fewer hits says nothing)."""
    ok = np.ones(len(y), bool) if ok is None else ok
    for t in thresholds:
        f = figures(y, ok & (scores >= t))
        if f["tp"] >= min_tp:
            yield round(float(t), 2), f


def best_threshold(y: np.ndarray, scores: np.ndarray, thresholds, target: float, min_tp: int, fallback: float,
                   ok: np.ndarray | None = None) -> float:
    """The threshold of best recall at precision >= `target` (the highest such, on ties), else the most precise one;
    `fallback` when none makes `min_tp` true hits."""
    scored = [(f["precision"] >= target, f["recall"] if f["precision"] >= target else f["precision"], t)
              for t, f in sweep(y, scores, thresholds, min_tp, ok)]
    return max(scored)[2] if scored else fallback
