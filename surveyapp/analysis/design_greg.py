"""Calibration to population totals (GREG, raking and logit calfuns), as R calibrate.

The g-weights solve Σ w g(x'η) x = T by Newton's method from η = 0 exactly as
R's ``grake`` does (same starting point, step, step halving, stopping rule and
the rescaling of very small weights), so the weights agree with R's to rounding.
Linear calibration without bounds is R's ``regcalibrate``: one closed-form step.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import linalg

from surveyapp.analysis.design_calibration import (
    CalibrationError,
    EmptyCellError,
    MarginTotalsError,
    MissingTargetError,
)
from surveyapp.analysis.design_residuals import GregStep

CALFUNS = ("linear", "raking", "logit")
# R's grake rescales the weights when every total is over 20 times the sample's.
_RESCALE_THRESHOLD = 20


class CalibrationConvergenceError(RuntimeError):
    """Calibration did not meet its totals within max_iter Newton steps."""

    def __init__(self, achieved: float, iterations: int) -> None:
        self.achieved = achieved
        self.iterations = iterations
        super().__init__(
            f"calibration failed: relative misfit {achieved:.3g} after {iterations}"
            " iterations (widen the bounds, or pass force=True to keep the weights)"
        )


def model_matrix(
    frame: pd.DataFrame,
    margins: Mapping[str, Mapping[object, float]] | None,
    totals: Mapping[str, float] | None,
    population_size: float | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """R's model matrix and population vector for margins and numeric totals.

    An intercept (the population size) comes first when there are margins or a
    population size; each margin adds a dummy for every level but the first
    (sorted), as R's treatment contrasts; each total adds its column.
    """
    margins, totals = dict(margins or {}), dict(totals or {})
    columns: list[np.ndarray] = []
    population: list[float] = []
    names: list[str] = []
    sizes = {}
    for name, targets in margins.items():
        if name not in frame.columns:
            raise KeyError(f"unknown column {name!r}")
        values = frame[name]
        if values.isna().any():
            raise CalibrationError(
                f"{name}: missing values in the calibration variable"
            )
        targets = {k: float(v) for k, v in targets.items()}
        present = set(pd.unique(values))
        absent = sorted(str(v) for v in present if v not in targets)
        if absent:
            raise MissingTargetError(f"{name}: sample cells with no target: {absent}")
        empty = sorted(str(k) for k, v in targets.items() if k not in present and v > 0)
        if empty:
            raise EmptyCellError(
                f"{name}: targets for cells with no respondents: {empty}"
            )
        if any(v < 0 or not np.isfinite(v) for v in targets.values()):
            raise CalibrationError(f"{name}: targets must be finite and non-negative")
        sizes[name] = sum(targets.values())
        levels = sorted(present, key=lambda v: (str(type(v)), v))
        for level in levels[1:]:
            columns.append((values == level).to_numpy(float))
            population.append(targets[level])
            names.append(f"{name}{level}")
    if population_size is not None:
        sizes["population_size"] = float(population_size)
    if sizes:
        reference = next(iter(sizes.values()))
        if any(abs(v - reference) > 1e-6 * abs(reference) for v in sizes.values()):
            raise MarginTotalsError(f"margin totals disagree: {sizes}")
        columns.insert(0, np.ones(len(frame)))
        population.insert(0, reference)
        names.insert(0, "(Intercept)")
    for name, total in totals.items():
        if name not in frame.columns:
            raise KeyError(f"unknown column {name!r}")
        values = pd.to_numeric(frame[name], errors="raise").to_numpy(float)
        if np.isnan(values).any():
            raise CalibrationError(
                f"{name}: missing values in the calibration variable"
            )
        columns.append(values)
        population.append(float(total))
        names.append(name)
    if not columns:
        raise ValueError("calibrate needs margins, totals or a population size")
    return np.column_stack(columns), np.asarray(population), names


def _functions(calfun: str, lower: float, upper: float):
    """R's cal.linear / cal.raking / cal.logit: F⁻¹(u) − 1 and its derivative."""
    inside = lambda u: ((u < upper - 1) & (u > lower - 1)).astype(float)  # noqa: E731
    if calfun == "linear":
        return (lambda u: np.clip(u + 1, lower, upper) - 1), inside
    if calfun == "raking":
        return (
            lambda u: np.clip(np.exp(u), lower, upper) - 1,
            lambda u: inside(u) * np.exp(u),
        )
    if not (np.isfinite(lower) and np.isfinite(upper)):
        raise ValueError("logit calibration needs finite bounds, e.g. (0.5, 2)")
    if not lower < 1 < upper:
        raise ValueError("logit bounds must lie either side of 1")
    a = (upper - lower) / ((upper - 1) * (1 - lower))

    def fm1(u):
        e = np.exp(a * u)
        return (lower * (upper - 1) + upper * (1 - lower) * e) / (
            upper - 1 + (1 - lower) * e
        ) - 1

    def deriv(u):
        e = np.exp(a * u)
        den = upper - 1 + (1 - lower) * e
        return (
            upper * (1 - lower) * e * a / den
            - ((lower * (upper - 1) + upper * (1 - lower) * e) * ((1 - lower) * e * a))
            / den**2
        )

    return fm1, deriv


def calibration_factors(
    mm: np.ndarray,
    weights: np.ndarray,
    population: np.ndarray,
    calfun: str = "linear",
    bounds: tuple[float, float] | None = None,
    max_iter: int = 50,
    epsilon: float = 1e-7,
    force: bool = False,
) -> np.ndarray:
    """The g-weights g_i such that Σ w_i g_i x_i equals the population totals."""
    if calfun not in CALFUNS:
        raise ValueError(f"calfun must be one of {', '.join(CALFUNS)}")
    lower, upper = (-np.inf, np.inf) if bounds is None else map(float, bounds)
    if lower > upper:
        raise ValueError("the lower bound exceeds the upper bound")
    sample = mm.T @ weights
    if calfun == "linear" and np.isinf(lower) and np.isinf(upper):
        whalf = mm * np.sqrt(weights)[:, None]
        try:
            step = np.linalg.solve(whalf.T @ whalf, population - sample)
        except np.linalg.LinAlgError:
            raise CalibrationError("calibration totals are collinear") from None
        return 1 + mm @ step
    fm1, deriv = _functions(calfun, lower, upper)
    w = weights.astype(float)
    scale = None
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = population / sample
    if np.min(ratios) > _RESCALE_THRESHOLD:
        scale = float(np.mean(ratios))
        w = w * scale
        sample = sample * scale
    eta = np.zeros(mm.shape[1])
    xeta = mm @ eta
    g, d = 1 + fm1(xeta), deriv(xeta)
    iteration = 1
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            tmat = (mm * (w * d)[:, None]).T @ mm
            misfit = population - sample - mm.T @ (w * fm1(xeta))
            delta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
            eta = eta + delta
            xeta = mm @ eta
            g, d = 1 + fm1(xeta), deriv(xeta)
            while iteration < max_iter and not (
                np.isfinite(g).all() and np.isfinite(d).all()
            ):
                iteration += 1
                delta = delta / 2
                eta = eta - delta
                xeta = mm @ eta
                g, d = 1 + fm1(xeta), deriv(xeta)
            misfit = population - sample - mm.T @ (w * fm1(xeta))
            gap = np.abs(misfit) / (1 + np.abs(population))
            if np.all(gap < epsilon):
                break
            iteration += 1
            if iteration > max_iter:
                if not force:
                    raise CalibrationConvergenceError(float(np.max(gap)), max_iter)
                break
    return g * scale if scale is not None else g


def greg_step(mm: np.ndarray, weights: np.ndarray, g: np.ndarray) -> GregStep:
    """The variance step of a calibration: residuals of the weighted fit on mm."""
    whalf = np.sqrt(weights)
    q, r, _pivot = linalg.qr(mm * whalf[:, None], mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    # R's qr(): columns whose pivot falls below 1e-7 of the largest are dependent.
    rank = int((diag > 1e-7 * diag.max()).sum()) if len(diag) else 0
    return GregStep(q=np.ascontiguousarray(q[:, :rank]), w=g * whalf)
