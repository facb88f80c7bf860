"""Abstention: how accuracy trades against coverage as the confidence bar rises."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_CURVE_THRESHOLDS: tuple[float, ...] = (
    *(round(0.05 * i, 2) for i in range(20)),
    0.97,
    0.99,
)


def _as_arrays(
    confidences: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if conf.shape != ok.shape or conf.ndim != 1:
        raise ValueError("confidences and correct must be 1-d and of equal length")
    return conf, ok


def coverage_accuracy_curve(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    thresholds: Sequence[float] = DEFAULT_CURVE_THRESHOLDS,
) -> list[dict[str, float | int | None]]:
    """Per threshold: share of items routed (confidence >= it) and their accuracy."""
    conf, ok = _as_arrays(confidences, correct)
    rows: list[dict[str, float | int | None]] = []
    for t in thresholds:
        routed = conf >= t
        n = int(routed.sum())
        rows.append(
            {
                "threshold": float(t),
                "routed": n,
                "coverage": n / len(conf) if len(conf) else 0.0,
                "accuracy": float(ok[routed].mean()) if n else None,
            }
        )
    return rows


def choose_threshold(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    target_accuracy: float = 0.97,
) -> float:
    """Lowest confidence bar whose routed items are at least target_accuracy right.

    Items are routed when confidence >= the bar. The bar keeps the largest
    high-confidence share whose accuracy meets the target; ties in confidence are
    never split. Returns 1.0 (route almost nothing) when no share meets it.
    Feed it out-of-sample confidences (cross-validated or held out), never the
    confidences of the texts the model was fitted on.
    """
    conf, ok = _as_arrays(confidences, correct)
    if not len(conf):
        return 1.0
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    accuracy = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    at_boundary = np.append(conf[:-1] > conf[1:], True)
    good = np.flatnonzero(at_boundary & (accuracy >= target_accuracy))
    return float(conf[good[-1]]) if len(good) else 1.0
