"""Weight adjustments for survey designs: post-stratification, raking and trimming."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd


class CalibrationError(ValueError):
    """Population targets cannot be matched to the sample."""


class EmptyCellError(CalibrationError):
    """A population target names a cell with no respondents."""


class MissingTargetError(CalibrationError):
    """A sample cell has no population target."""


class MarginTotalsError(CalibrationError):
    """Raking margins imply different population totals."""


class NegativeWeightError(ValueError):
    """Weights must be finite and non-negative."""


class RakingConvergenceError(RuntimeError):
    """Raking did not reach its margins within max_iter iterations."""

    def __init__(self, failed: dict[str, float], iterations: int) -> None:
        self.failed = failed
        self.iterations = iterations
        detail = ", ".join(f"{k} (rel. error {v:.3g})" for k, v in failed.items())
        super().__init__(
            f"raking did not converge after {iterations} iterations;"
            f" margins not met: {detail}"
        )


def cell_labels(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One hashable label per row: the value, or a tuple for several columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"unknown column(s): {', '.join(missing)}")
    if len(columns) == 1:
        return frame[columns[0]]
    return pd.Series(
        list(zip(*(frame[c] for c in columns), strict=True)),
        index=frame.index,
        dtype=object,
    )


def population_mapping(population: object) -> dict[Hashable, float]:
    """Accept a dict, a Series, or an R-style data frame with a Freq column."""
    if isinstance(population, pd.DataFrame):
        keys = [c for c in population.columns if c != "Freq"]
        if "Freq" not in population.columns or not keys:
            raise ValueError("a population data frame needs label columns and Freq")
        labels = cell_labels(population, keys)
        return dict(zip(labels, population["Freq"].astype(float), strict=True))
    if isinstance(population, pd.Series):
        return {k: float(v) for k, v in population.items()}
    if isinstance(population, Mapping):
        return {k: float(v) for k, v in population.items()}
    raise TypeError("population targets must be a mapping, Series or DataFrame")


def match_cells(
    labels: pd.Series, targets: dict[Hashable, float], name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Codes per row into the target vector, checking both directions."""
    if labels.isna().any():
        raise CalibrationError(f"{name}: missing values in the calibration variable")
    keys = list(targets)
    lookup = {k: i for i, k in enumerate(keys)}
    row_codes, uniques = pd.factorize(labels)
    absent = [u for u in uniques if u not in lookup]
    if absent:
        raise MissingTargetError(f"{name}: sample cells with no target: {absent}")
    codes = np.array([lookup[u] for u in uniques], dtype=np.int64)[row_codes]
    values = np.array([targets[k] for k in keys], dtype=float)
    if np.any(values < 0) or not np.all(np.isfinite(values)):
        raise CalibrationError(f"{name}: targets must be finite and non-negative")
    present = np.bincount(codes, minlength=len(keys)) > 0
    empty = [
        k for k, ok, v in zip(keys, present, values, strict=True) if not ok and v > 0
    ]
    if empty:
        raise EmptyCellError(f"{name}: targets for cells with no respondents: {empty}")
    return codes, values


def poststratify_weights(
    weights: np.ndarray, codes: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """Scale weights so each cell's weighted count equals its target."""
    current = np.bincount(codes, weights=weights, minlength=len(targets))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(current > 0, targets / current, 0.0)
    if np.any((current <= 0) & (targets > 0)):
        raise EmptyCellError("a target cell has zero total weight in the sample")
    return weights * factor[codes]


def rake_weights(
    weights: np.ndarray,
    margins: list[tuple[str, np.ndarray, np.ndarray]],
    max_iter: int,
    tol: float,
    epsilon: float | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Iterative proportional fitting; returns final weights and the last sweep's.

    Converged when every margin is within relative ``tol`` of its target or, when
    ``epsilon`` is given, by R's rule: no cell of the joint table of all margin
    variables moved by ``epsilon`` or more during a sweep.
    """
    totals = {name: t.sum() for name, _, t in margins}
    reference = next(iter(totals.values()))
    disagree = {
        k: v for k, v in totals.items() if abs(v - reference) > 1e-6 * reference
    }
    if disagree:
        raise MarginTotalsError(f"margin totals disagree: {totals}")
    joint = None
    if epsilon is not None:
        joint = pd.factorize(
            pd.MultiIndex.from_arrays([codes for _, codes, _ in margins])
        )[0]
        table = np.bincount(joint, weights=weights)
    w = weights
    for _ in range(max_iter):
        sweep = []
        for _, codes, targets in margins:
            w = poststratify_weights(w, codes, targets)
            sweep.append(w)
        errors = {}
        for name, codes, targets in margins:
            got = np.bincount(codes, weights=w, minlength=len(targets))
            errors[name] = float(np.max(np.abs(got - targets) / np.maximum(targets, 1)))
        if joint is None:
            if max(errors.values()) < tol:
                return w, sweep
        else:
            new_table = np.bincount(joint, weights=w)
            if np.max(np.abs(new_table - table)) < epsilon:
                return w, sweep
            table = new_table
    failed = {k: v for k, v in errors.items() if v >= tol} or errors
    raise RakingConvergenceError(failed, max_iter)


def trim_weights(
    weights: np.ndarray,
    upper: float,
    lower: float,
    strict: bool = True,
    max_iter: int = 1000,
) -> np.ndarray:
    """R trimWeights: clip, spread the trimmings evenly over the others; with
    ``strict`` repeat until no weight lies outside the bounds."""
    if lower > upper:
        raise ValueError("lower bound exceeds upper bound")
    n = len(weights)
    total = weights.sum()
    if strict and (upper * n < total or lower * n > total):
        raise ValueError("bounds cannot hold: the total weight would change")
    w = weights.astype(float)
    for _ in range(max_iter if strict else 1):
        outside = (w < lower) | (w > upper)
        if not outside.any():
            return w
        clipped = np.clip(w, lower, upper)
        inside = ~outside
        if not inside.any():
            raise ValueError("every weight lies outside the bounds")
        clipped[inside] += (w - clipped).sum() / inside.sum()
        w = clipped
    if not strict:
        return w
    # R recurses until no weight is outside; equal shares can oscillate at the
    # bounds forever, so finish by exact water-filling instead.
    return _water_fill(weights, upper, lower, total)


def _water_fill(w: np.ndarray, upper: float, lower: float, total: float) -> np.ndarray:
    finite = [abs(b) for b in (upper, lower) if np.isfinite(b)]
    hi = (np.abs(w).max() + abs(total) + max(finite, default=0.0) + 1) * (len(w) + 1)
    lo = -hi
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.clip(w + mid, lower, upper).sum() < total:
            lo = mid
        else:
            hi = mid
    return np.clip(w + (lo + hi) / 2, lower, upper)


def trim_within(
    weights: np.ndarray, groups: np.ndarray, ratio: float, strict: bool = True
) -> tuple[np.ndarray, int]:
    """R trimWeights within each group: weights above ``ratio`` times the group's
    mean weight are cut to it and the excess shared among the group's other
    weights, so every group keeps its total. Returns the weights and how many
    were above their cap."""
    if not ratio > 1:
        raise ValueError("the trimming ratio must exceed 1")
    w = weights.astype(float).copy()
    size = int(groups.max()) + 1 if len(groups) else 0
    total = np.bincount(groups, weights=w, minlength=size)
    count = np.bincount(groups, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = ratio * total / count
    over = w > cap[groups]
    for g in np.unique(groups[over]):
        rows = np.flatnonzero(groups == g)
        w[rows] = trim_weights(w[rows], cap[g], -np.inf, strict)
    return w, int(over.sum())
