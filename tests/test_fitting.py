"""The rules both trainers share (embed/fitting.py): the threshold each model ships with and its folded weights."""

import numpy as np
import pytest

from councilkg.embed.fitting import best_threshold, figures, standardised, standardised_fit

Y = np.array([1, 1, 1, 1, 0, 1, 0, 0, 0, 0], bool)
S = np.array([0.95, 0.92, 0.87, 0.72, 0.67, 0.62, 0.52, 0.42, 0.32, 0.22])
GRID = np.arange(0.05, 1.0, 0.05)


def test_the_threshold_of_best_recall_at_the_target_precision():
    # 0.60 keeps 5 of 5 practices at precision 5/6; 0.70 keeps 4 at 1.0: only the latter reaches 0.9
    assert best_threshold(Y, S, GRID, 0.9, 2, 0.99) == 0.7
    assert best_threshold(Y, S, GRID, 0.8, 2, 0.99) == 0.6


def test_ties_in_recall_keep_the_highest_threshold():
    # every threshold from 0.45 to 0.60 keeps the same five practices, those from 0.55 with one false hit, not two
    assert best_threshold(Y, S, GRID, 0.8, 2, 0.99) == 0.6
    assert best_threshold(Y, S, np.array([0.45, 0.5, 0.55]), 0.5, 2, 0.99) == 0.55


def test_the_most_precise_threshold_when_none_reaches_the_target_and_the_fallback_when_too_few_hits():
    noisy = np.array([1, 0, 1, 0, 1, 0, 0, 0, 0, 0], bool)
    assert best_threshold(noisy, S, GRID, 0.9, 2, 0.99) == 0.85  # 2 of 3: the most precise (highest) judged on two true hits
    assert best_threshold(noisy, S, GRID, 0.9, 4, 0.99) == 0.99  # no threshold makes four true hits


def test_rows_the_rest_of_the_pass_closes_are_never_hits():
    ok = np.ones(len(Y), bool)
    ok[:3] = False
    f = figures(Y, ok & (S >= 0.6), "sentences", empty=1.0)
    assert (f["tp"], f["fp"], f["sentences"]) == (2, 1, 10)
    assert best_threshold(Y, S, GRID, 0.9, 3, 0.99, ok) == 0.99
    assert figures(Y, np.zeros(len(Y), bool))["precision"] is None


@pytest.mark.parametrize("seed", [0, 1])
def test_folded_weights_score_as_the_standardised_fit(seed):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    X = np.hstack([rng.normal(0, 100, (200, 2)), rng.random((200, 3))])
    y = X[:, 0] / 100 + X[:, 3] + rng.normal(0, 0.5, 200) > 0.5
    coef, bias, mean, scale = standardised(X, y, LogisticRegression(C=0.5, max_iter=1000))
    w, b = standardised_fit(X, y, LogisticRegression(C=0.5, max_iter=1000))
    assert np.allclose(X @ w + b, ((X - mean) / scale) @ coef + bias)
    assert scale[0] > 50  # the raw columns were on different scales: the folding is not the identity
