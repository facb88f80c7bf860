"""Dimension weights of the satisfaction index: AHP, entropy, regression, fixed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

# Saaty's random consistency index RI by matrix order n (Saaty 1980, The
# Analytic Hierarchy Process, table 1.7; the values used in Saaty 2008).
SAATY_RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}


class InconsistentJudgementsError(ValueError):
    """The pairwise comparison matrix is too inconsistent to be used."""


@dataclass(frozen=True)
class AHPResult:
    """Principal-eigenvector weights of a pairwise comparison matrix."""

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    random_index: float
    labels: tuple[str, ...] | None = None

    @property
    def n(self) -> int:
        return len(self.weights)

    def as_series(self) -> pd.Series:
        labels = self.labels if self.labels is not None else range(self.n)
        return pd.Series(self.weights, index=list(labels), name="weight")


def _validate_pairwise(matrix: np.ndarray, rtol: float) -> None:
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(f"comparison matrix must be square, got {matrix.shape}")
    if not np.isfinite(matrix).all() or (matrix <= 0).any():
        raise ValueError("comparison matrix entries must be positive and finite")
    product = matrix * matrix.T
    if not np.allclose(product, 1.0, rtol=rtol, atol=0.0):
        i, j = np.unravel_index(np.argmax(np.abs(product - 1.0)), product.shape)
        raise ValueError(
            f"comparison matrix is not reciprocal: a[{i},{j}] = {matrix[i, j]:g}"
            f" but a[{j},{i}] = {matrix[j, i]:g}"
        )


def ahp_weights(
    matrix: ArrayLike | pd.DataFrame,
    random_index: Mapping[int, float] = SAATY_RANDOM_INDEX,
    rtol: float = 1e-3,
) -> AHPResult:
    """AHP weights: principal right eigenvector of a reciprocal matrix, sum 1.

    a[i, j] says how much more important item i is than item j (1/9..9).
    CI = (lambda_max - n) / (n - 1) and CR = CI / RI with Saaty's random index;
    for n <= 2 a reciprocal matrix is always consistent and CR = 0. A data
    frame's column names become the labels. ``rtol`` is the tolerance of the
    check a[i, j] * a[j, i] = 1 (judgements like 1/3 typed as 0.333 pass).
    """
    labels = None
    if isinstance(matrix, pd.DataFrame):
        labels = tuple(str(c) for c in matrix.columns)
    a = np.asarray(matrix, dtype=float)
    _validate_pairwise(a, rtol)
    n = a.shape[0]
    eigenvalues, eigenvectors = np.linalg.eig(a)
    # Perron-Frobenius: a positive matrix has a real, largest, positive
    # eigenvalue whose eigenvector can be taken all positive.
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    vector = np.abs(eigenvectors[:, k].real)
    weights = vector / vector.sum()
    if n <= 2:
        return AHPResult(weights, float(n), 0.0, 0.0, 0.0, labels)
    if n not in random_index:
        raise ValueError(f"no random index for a matrix of order {n}; pass one")
    ri = float(random_index[n])
    ci = (lambda_max - n) / (n - 1)
    return AHPResult(weights, lambda_max, ci, ci / ri, ri, labels)


def require_consistent(
    result: AHPResult, max_cr: float = 0.10, override: bool = False
) -> AHPResult:
    """Return ``result`` if CR <= ``max_cr``, else raise unless ``override``."""
    if result.cr > max_cr and not override:
        raise InconsistentJudgementsError(
            f"consistency ratio {result.cr:.3f} exceeds {max_cr:.2f}: revise the"
            " pairwise judgements or explicitly override the check"
        )
    return result


def entropy_weights(
    x: ArrayLike | pd.DataFrame,
    normalise: Literal["minmax", "none"] = "minmax",
) -> np.ndarray:
    """Entropy weight method for m units (rows) by n indicators (columns).

    With ``normalise="minmax"`` each column is first mapped to
    (x - min) / (max - min) (all indicators are "higher is better"); with
    ``"none"`` the raw scores are used and must be non-negative. Then
    p_ij = x_ij / sum_i x_ij, e_j = -k sum_i p_ij ln p_ij with k = 1 / ln m and
    0 ln 0 = 0, d_j = 1 - e_j and w_j = d_j / sum_j d_j. A constant column
    carries no information and gets weight 0. Missing values are not allowed.
    """
    data = np.asarray(x, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 1:
        raise ValueError(f"need at least 2 rows and 1 column, got {data.shape}")
    if not np.isfinite(data).all():
        raise ValueError("entropy weights need complete, finite data")
    constant = np.ptp(data, axis=0) == 0
    if normalise == "minmax":
        low, high = data.min(axis=0), data.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        data = np.where(high > low, (data - low) / span, 1.0)
    elif normalise == "none":
        if (data < 0).any():
            raise ValueError("raw scores must be non-negative; use minmax")
        data = np.where(data.sum(axis=0) > 0, data, 1.0)
    else:
        raise ValueError(f"unknown normalisation {normalise!r}")
    m = data.shape[0]
    p = data / data.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    entropy = -plogp.sum(axis=0) / np.log(m)
    # Exactly 0 for constant columns rather than float noise around 0.
    divergence = np.where(constant, 0.0, np.clip(1.0 - entropy, 0.0, None))
    if divergence.sum() <= 0:
        raise ValueError("no indicator varies across units; weights undefined")
    return divergence / divergence.sum()


def regression_importance(
    overall: ArrayLike,
    drivers: ArrayLike | pd.DataFrame,
    standardise: bool = True,
    weights: ArrayLike | None = None,
) -> np.ndarray:
    """Derived importance: least squares of the overall rating on the drivers.

    Fits overall = b0 + sum_j b_j x_j on the complete rows, weighted by the
    survey ``weights`` when given (the population fit, as R's svyglm estimates
    it). With ``standardise`` the coefficients become beta_j = b_j * sd(x_j) /
    sd(y) (weighted SDs), so drivers on different scales are comparable.
    Negative coefficients (a driver that seemingly lowers satisfaction, usually
    collinearity) are clipped to 0 and the rest normalised to sum 1.
    """
    y = np.asarray(overall, dtype=float)
    x = np.asarray(drivers, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim != 1 or x.ndim != 2 or len(y) != len(x):
        raise ValueError("overall must be 1-D with one row of drivers per value")
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != y.shape or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite, non-negative, one per row")
    complete = np.isfinite(y) & np.isfinite(x).all(axis=1) & (w > 0)
    y, x, w = y[complete], x[complete], w[complete]
    m, k = x.shape
    if m <= k + 1:
        raise ValueError(f"{m} complete rows cannot fit {k} drivers and a constant")
    root = np.sqrt(w)
    design = np.column_stack([np.ones(m), x]) * root[:, None]
    coef, _, rank, _ = np.linalg.lstsq(design, y * root, rcond=None)
    if rank < k + 1:
        raise ValueError("drivers are collinear or constant; importance undefined")
    b = coef[1:]
    if standardise:

        def sd(v: np.ndarray) -> np.ndarray:
            centre = np.average(v, axis=0, weights=w)
            return np.sqrt(np.average((v - centre) ** 2, axis=0, weights=w))

        sd_y = sd(y)
        if sd_y == 0:
            raise ValueError("overall rating does not vary; importance undefined")
        b = b * sd(x) / sd_y
    b = np.clip(b, 0.0, None)
    if b.sum() <= 0:
        raise ValueError("no driver has a positive effect on the overall rating")
    return b / b.sum()


def fixed_weights(weights: Mapping[str, float] | pd.Series) -> pd.Series:
    """Validate stated weights (non-negative, finite, not all 0); normalise to 1."""
    series = pd.Series(weights, dtype=float)
    if series.empty:
        raise ValueError("no weights given")
    if not np.isfinite(series.to_numpy()).all():
        raise ValueError("weights must be finite numbers")
    if (series < 0).any():
        raise ValueError(f"negative weights for {list(series.index[series < 0])}")
    if series.sum() <= 0:
        raise ValueError("weights sum to 0")
    return (series / series.sum()).rename("weight")
