"""Tests for AHP, entropy, regression-derived and fixed dimension weights."""

import math

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.weights import (
    SAATY_RANDOM_INDEX,
    AHPResult,
    InconsistentJudgementsError,
    ahp_weights,
    entropy_weights,
    fixed_weights,
    regression_importance,
    require_consistent,
)

# Saaty (2008), "Decision making with the analytic hierarchy process", Int. J.
# Services Sciences 1(1), the drinks example; see
# ../shared/data/survey_reference/EXPECTED.md.
DRINKS = [
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINKS_WEIGHTS = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]


def _power_iteration(matrix: list[list[float]]) -> tuple[list[float], float]:
    """Principal eigenvector and eigenvalue by plain loops, for reference."""
    n = len(matrix)
    w = [1.0 / n] * n
    for _ in range(500):
        product = [sum(matrix[i][j] * w[j] for j in range(n)) for i in range(n)]
        total = sum(product)
        w = [v / total for v in product]
    product = [sum(matrix[i][j] * w[j] for j in range(n)) for i in range(n)]
    return w, sum(product[i] / w[i] for i in range(n)) / n


# --- AHP -------------------------------------------------------------------------


def test_saaty_drinks_example():
    result = ahp_weights(DRINKS)
    assert result.weights == pytest.approx(DRINKS_WEIGHTS, abs=0.0005)
    assert result.lambda_max == pytest.approx(7.1766, abs=0.00005)
    assert result.cr == pytest.approx(0.022, abs=0.0005)
    assert result.ci == pytest.approx((result.lambda_max - 7) / 6)
    assert result.random_index == 1.32
    assert result.weights.sum() == pytest.approx(1.0)
    assert require_consistent(result) is result


@pytest.mark.parametrize(
    "matrix",
    [
        [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]],
        [
            [1, 2, 4, 3],
            [1 / 2, 1, 3, 2],
            [1 / 4, 1 / 3, 1, 1 / 2],
            [1 / 3, 1 / 2, 2, 1],
        ],
        DRINKS,
    ],
)
def test_ahp_matches_power_iteration(matrix):
    weights, lambda_max = _power_iteration(matrix)
    result = ahp_weights(matrix)
    n = len(matrix)
    assert result.weights == pytest.approx(weights, abs=1e-9)
    assert result.lambda_max == pytest.approx(lambda_max, abs=1e-9)
    expected_cr = (lambda_max - n) / (n - 1) / SAATY_RANDOM_INDEX[n]
    assert result.cr == pytest.approx(expected_cr, abs=1e-9)


def test_three_by_three_textbook_values():
    # The common 3x3 example [[1,3,5],[1/3,1,3],[1/5,1/3,1]]:
    # w = (0.637, 0.258, 0.105), lambda_max = 3.0385, CR = 0.0193 / 0.58 = 0.033.
    result = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    assert result.weights == pytest.approx([0.637, 0.258, 0.105], abs=0.0005)
    assert result.lambda_max == pytest.approx(3.0385, abs=0.00005)
    assert result.cr == pytest.approx(0.033, abs=0.0005)


def test_perfectly_consistent_matrix():
    w = np.array([0.5, 0.3, 0.15, 0.05])
    result = ahp_weights(np.outer(w, 1 / w))
    assert result.weights == pytest.approx(w)
    assert result.lambda_max == pytest.approx(4.0)
    assert result.cr == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("matrix", "weights"),
    [([[1]], [1.0]), ([[1, 3], [1 / 3, 1]], [0.75, 0.25])],
)
def test_small_matrices_are_always_consistent(matrix, weights):
    result = ahp_weights(matrix)
    assert result.weights == pytest.approx(weights)
    assert result.cr == 0.0


def test_labels_from_data_frame():
    frame = pd.DataFrame(
        [[1, 3], [1 / 3, 1]], index=["speed", "attitude"], columns=["speed", "attitude"]
    )
    result = ahp_weights(frame)
    assert result.labels == ("speed", "attitude")
    assert result.as_series().to_dict() == pytest.approx(
        {"speed": 0.75, "attitude": 0.25}
    )


def test_judgements_typed_with_three_decimals_pass():
    result = ahp_weights([[1, 3], [0.333, 1]])
    assert result.weights.sum() == pytest.approx(1.0)


def test_inconsistent_judgements_need_an_override():
    result = ahp_weights([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    assert result.cr > 0.10
    with pytest.raises(InconsistentJudgementsError, match="consistency ratio"):
        require_consistent(result)
    assert require_consistent(result, override=True) is result
    assert require_consistent(result, max_cr=100.0) is result


def test_require_consistent_threshold_is_inclusive():
    result = AHPResult(np.array([0.5, 0.3, 0.2]), 3.1, 0.05, 0.10, 0.58)
    assert require_consistent(result, max_cr=0.10) is result


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 2, 3], [1 / 2, 1, 2]], "square"),
        ([], "square"),
        ([[1, -2], [-1 / 2, 1]], "positive"),
        ([[1, 0], [0, 1]], "positive"),
        ([[1, float("nan")], [1, 1]], "positive"),
        ([[1, 3], [3, 1]], "not reciprocal"),
        ([[2, 1], [1, 1]], "not reciprocal"),
    ],
)
def test_ahp_rejects_invalid_matrices(matrix, message):
    with pytest.raises(ValueError, match=message):
        ahp_weights(matrix)


def test_ahp_needs_random_index_for_large_matrices():
    w = np.arange(1, 12, dtype=float)
    with pytest.raises(ValueError, match="random index"):
        ahp_weights(np.outer(w, 1 / w))
    result = ahp_weights(np.outer(w, 1 / w), random_index={11: 1.51})
    assert result.weights == pytest.approx(w / w.sum())


# --- entropy weights -----------------------------------------------------------


def _entropy_by_hand(rows: list[list[float]], minmax: bool) -> list[float]:
    m, n = len(rows), len(rows[0])
    columns = [[rows[i][j] for i in range(m)] for j in range(n)]
    if minmax:
        columns = [[(v - min(c)) / (max(c) - min(c)) for v in c] for c in columns]
    divergences = []
    for column in columns:
        total = sum(column)
        e = 0.0
        for v in column:
            p = v / total
            if p > 0:
                e -= p * math.log(p)
        divergences.append(1 - e / math.log(m))
    return [d / sum(divergences) for d in divergences]


# Four service halls scored on three indicators (0-100).
HALLS = [[80.0, 90.0, 60.0], [70.0, 85.0, 95.0], [90.0, 88.0, 75.0], [60.0, 92.0, 85.0]]


@pytest.mark.parametrize("normalise", ["minmax", "none"])
def test_entropy_matches_hand_computation(normalise):
    expected = _entropy_by_hand(HALLS, minmax=normalise == "minmax")
    assert entropy_weights(HALLS, normalise) == pytest.approx(expected, abs=1e-12)


def test_entropy_two_by_two_by_hand():
    # Raw scores: column 1 (1, 3) has p = (.25, .75), e = -(.25 ln .25 +
    # .75 ln .75) / ln 2 = 0.811278; column 2 (1, 1) has e = 1 and weight 0.
    result = entropy_weights([[1, 1], [3, 1]], normalise="none")
    assert result.tolist() == pytest.approx([1.0, 0.0])
    e1 = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(2)
    assert e1 == pytest.approx(0.811278, abs=1e-6)
    # Two columns with divergences 1 - e: (1, 3) and (1, 2) -> p = (1/3, 2/3).
    e2 = -(math.log(1 / 3) / 3 + 2 / 3 * math.log(2 / 3)) / math.log(2)
    result = entropy_weights([[1, 1], [3, 2]], normalise="none")
    assert result.tolist() == pytest.approx(
        [(1 - e1) / (2 - e1 - e2), (1 - e2) / (2 - e1 - e2)]
    )


def test_entropy_more_dispersed_indicator_gets_more_weight():
    rows = [[50, 70], [50, 71], [50, 72], [100, 73]]
    w = entropy_weights(rows, "none")
    assert w[0] > w[1]
    assert w.sum() == pytest.approx(1.0)


def test_entropy_constant_column_gets_zero_weight():
    w = entropy_weights([[5, 1], [5, 2], [5, 4]])
    assert w.tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    ("rows", "kwargs", "message"),
    [
        ([[1, 2, 3]], {}, "at least 2 rows"),
        ([[1, 2], [float("nan"), 3]], {}, "complete"),
        ([[1, -2], [2, 3]], {"normalise": "none"}, "non-negative"),
        ([[3, 3], [3, 3]], {}, "no indicator varies"),
        ([[1, 2], [2, 3]], {"normalise": "zscore"}, "unknown"),
    ],
)
def test_entropy_rejects_bad_input(rows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        entropy_weights(rows, **kwargs)


# --- regression importance -----------------------------------------------------


def _drivers() -> np.ndarray:
    return np.array(
        [[1, 2], [2, 1], [3, 4], [4, 3], [5, 5], [2, 4], [4, 1]], dtype=float
    )


def test_regression_recovers_exact_coefficients():
    x = _drivers()
    y = 1 + 2 * x[:, 0] + 1 * x[:, 1]
    raw = regression_importance(y, x, standardise=False)
    assert raw == pytest.approx([2 / 3, 1 / 3])
    # Standardised: beta_j = b_j * sd(x_j) / sd(y); sd(y) cancels.
    sd = x.std(axis=0, ddof=1)
    expected = np.array([2, 1]) * sd / (np.array([2, 1]) * sd).sum()
    assert regression_importance(y, x) == pytest.approx(expected)


def test_regression_clips_negative_effects():
    x = _drivers()
    y = 3 * x[:, 0] - 1 * x[:, 1]
    assert regression_importance(y, x, standardise=False) == pytest.approx([1.0, 0.0])


def test_regression_drops_incomplete_rows():
    x = _drivers()
    y = 1 + 2 * x[:, 0] + 1 * x[:, 1]
    x_missing = np.vstack([x, [[np.nan, 1.0]]])
    y_missing = np.append(y, 100.0)
    assert regression_importance(y_missing, x_missing, standardise=False) == (
        pytest.approx([2 / 3, 1 / 3])
    )


def test_regression_accepts_data_frame():
    frame = pd.DataFrame(_drivers(), columns=["speed", "attitude"])
    y = 2 * frame["speed"] + frame["attitude"]
    assert regression_importance(y, frame, standardise=False) == pytest.approx(
        [2 / 3, 1 / 3]
    )


@pytest.mark.parametrize(
    ("overall", "drivers", "message"),
    [
        ([1, 2, 3], [[1, 2], [2, 3], [3, 5]], "cannot fit"),
        ([1, 2, 3, 4, 5], [[1, 2], [2, 4], [3, 6], [4, 8], [5, 10]], "collinear"),
        ([1, 1, 1, 1, 1], [[1, 2], [2, 1], [3, 5], [4, 3], [5, 5]], "not vary"),
        ([-3, -3, -8, -7, -10], [[1, 2], [2, 1], [3, 5], [4, 3], [5, 5]], "no driver"),
        ([1, 2, 3], [[1], [2]], "one row"),
    ],
)
def test_regression_rejects_bad_input(overall, drivers, message):
    with pytest.raises(ValueError, match=message):
        regression_importance(overall, drivers)


# --- fixed weights ---------------------------------------------------------------


def test_fixed_weights_normalise():
    result = fixed_weights({"speed": 30, "attitude": 50, "environment": 20})
    assert result.to_dict() == pytest.approx(
        {"speed": 0.3, "attitude": 0.5, "environment": 0.2}
    )


def test_fixed_weights_allow_zero_for_some():
    assert fixed_weights({"a": 0, "b": 2}).tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({}, "no weights"),
        ({"a": -1, "b": 2}, "negative"),
        ({"a": 0, "b": 0}, "sum to 0"),
        ({"a": float("inf")}, "finite"),
        ({"a": float("nan"), "b": 1}, "finite"),
    ],
)
def test_fixed_weights_reject_bad_input(weights, message):
    with pytest.raises(ValueError, match=message):
        fixed_weights(weights)
