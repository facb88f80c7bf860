"""Replicate-weight designs (jackknife and bootstrap), as R's svrepdesign.

Replicate r's weights are the full-sample weights times a factor per first-stage
unit (R's compressed repweights); calibrating a replicate design recalibrates
every replicate, after which the weights are kept row by row. The variance of an
estimate is scale · Σ_r rscale_r (θ_r − c)², c the full-sample estimate when
``mse`` (R's mse=TRUE) and the mean of the replicates otherwise.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import linalg, sparse

from surveyapp.analysis.design_calibration import NegativeWeightError, cell_labels
from surveyapp.analysis.design_estimates import Estimate, build_estimates, domain_sums
from surveyapp.analysis.design_greg import calibration_factors, model_matrix


class ReplicateDesign:
    """Estimates whose standard errors come from replicate weights.

    Build one with ``SurveyDesign.replicate(...)`` or, for replicate weights a
    data provider supplies, directly (R ``svrepdesign``): ``repweights`` names the
    columns (or gives an n x R array) of replicate weights, which are analysis
    weights when ``combined_weights`` and factors of ``weights`` otherwise.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        repweights: Sequence[str] | np.ndarray,
        weights: str | None = None,
        type: str = "other",  # noqa: A002 - R's argument name
        scale: float = 1.0,
        rscales: Sequence[float] | None = None,
        mse: bool = False,
        combined_weights: bool = True,
        ci: str = "t",
        level: float = 0.95,
    ) -> None:
        self.frame = frame.reset_index(drop=True)
        n = len(self.frame)
        base = np.ones(n) if weights is None else self.frame[weights].to_numpy(float)
        if isinstance(repweights, np.ndarray):
            rep = np.asarray(repweights, dtype=float)
        else:
            rep = self.frame[list(repweights)].to_numpy(float)
        if rep.ndim != 2 or rep.shape[0] != n:
            raise ValueError("repweights need one row per respondent")
        if not combined_weights:
            rep = rep * base[:, None]
        self._setup(base, None, None, rep, type, scale, rscales, mse, ci, level)

    @classmethod
    def from_factors(
        cls,
        frame: pd.DataFrame,
        weights: np.ndarray,
        factors: np.ndarray,
        unit: np.ndarray,
        *,
        type: str,  # noqa: A002
        scale: float,
        rscales: np.ndarray,
        mse: bool,
        selfrep: np.ndarray | None = None,
        ci: str = "t",
        level: float = 0.95,
    ) -> ReplicateDesign:
        """Replicate r weights row i by weights[i] · factors[unit[i], r]."""
        design = cls.__new__(cls)
        design.frame = frame.reset_index(drop=True)
        design._setup(
            weights, factors, unit, None, type, scale, rscales, mse, ci, level
        )
        design.selfrep = selfrep
        return design

    def _setup(self, base, factors, unit, full, type_, scale, rscales, mse, ci, level):
        if not np.all(np.isfinite(base)) or np.any(base < 0):
            raise NegativeWeightError("weights must be finite and non-negative")
        if ci not in ("t", "normal"):
            raise ValueError("ci must be 't' or 'normal'")
        self.weights = np.asarray(base, dtype=float)
        self.factors, self.unit, self.full = factors, unit, full
        replicates = (factors if full is None else full).shape[1]
        self.type = type_
        self.scale = float(scale)
        self.rscales = (
            np.ones(replicates) if rscales is None else np.asarray(rscales, float)
        )
        if len(self.rscales) != replicates:
            raise ValueError("one rscale per replicate")
        self.mse = bool(mse)
        self.ci, self.level = ci, level
        self.selfrep = None
        self.degf = _rank(factors if full is None else full) - 1

    @property
    def replicates(self) -> int:
        return len(self.rscales)

    def replicate_weights(self) -> np.ndarray:
        """The n x R matrix of replicate analysis weights."""
        if self.full is not None:
            return self.full.copy()
        return self.weights[:, None] * self.factors[self.unit]

    # -- estimation -------------------------------------------------------
    def _sums(self, values: sparse.csc_matrix, drop_selfrep: bool) -> np.ndarray:
        """Replicate totals Σ_i w_ri v_id as an R x D array."""
        if drop_selfrep and self.selfrep is not None:
            values = sparse.diags((~self.selfrep).astype(float)) @ values
        if self.full is not None:
            return np.asarray((values.T @ self.full).T)
        n, units = len(self.weights), self.factors.shape[0]
        sums = sparse.csc_matrix(
            (self.weights, self.unit, np.arange(n + 1)), shape=(units, n)
        )
        return np.asarray((sums @ values).T @ self.factors).T

    def _column(self, name: str) -> np.ndarray:
        if name not in self.frame.columns:
            raise KeyError(f"unknown column {name!r}")
        return pd.to_numeric(self.frame[name], errors="raise").to_numpy(dtype=float)

    def _estimates(self, kind, a, b, codes, size) -> list[Estimate]:
        sums = domain_sums(kind, self.weights, a, b, codes, size)
        rows = np.flatnonzero(sums.used)
        n = len(a)

        def matrix(values: np.ndarray) -> sparse.csc_matrix:
            return sparse.csc_matrix(
                (values[rows], (rows, sums.dom[rows])), shape=(n, size)
            )

        num = self._sums(matrix(a), kind == "total")
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "mean":
                thetas = num / self._sums(matrix(np.ones(n)), False)
            elif kind == "ratio":
                thetas = num / self._sums(matrix(b), False)
            else:
                thetas = num
        variance = np.array(
            [self._variance(thetas[:, d], sums.value[d]) for d in range(size)]
        )
        df = np.full(size, float(self.degf))
        return build_estimates(sums, variance, df, self.ci, self.level)

    def _variance(self, thetas: np.ndarray, estimate: float) -> float:
        """R svrVar: replicates giving NaN are dropped with their rscales."""
        keep = np.isfinite(thetas)
        if not keep.any():
            return float("nan")
        thetas, rscales = thetas[keep], self.rscales[keep]
        if self.mse:
            centre = estimate
        else:
            centre = thetas[rscales > 0].mean()
        return float(self.scale * (rscales * (thetas - centre) ** 2).sum())

    def mean(self, column: str) -> Estimate:
        """Weighted mean with its replicate standard error (R svymean)."""
        y = self._column(column)
        return self._estimates("mean", y, None, np.zeros(len(y), np.int64), 1)[0]

    def total(self, column: str) -> Estimate:
        """Weighted total with its replicate standard error (R svytotal)."""
        y = self._column(column)
        return self._estimates("total", y, None, np.zeros(len(y), np.int64), 1)[0]

    def ratio(self, numerator: str, denominator: str) -> Estimate:
        """Ratio of totals with its replicate standard error (R svyratio)."""
        a, b = self._column(numerator), self._column(denominator)
        return self._estimates("ratio", a, b, np.zeros(len(a), np.int64), 1)[0]

    def by(self, columns: str | Sequence[str]) -> ReplicateDomains:
        """Domain estimates (R svyby on a replicate design)."""
        names = [columns] if isinstance(columns, str) else list(columns)
        return ReplicateDomains(self, cell_labels(self.frame, names))

    # -- calibration ------------------------------------------------------
    def calibrate(
        self,
        margins: Mapping[str, Mapping[object, float]] | None = None,
        totals: Mapping[str, float] | None = None,
        calfun: str = "linear",
        bounds: tuple[float, float] | None = None,
        *,
        population_size: float | None = None,
        max_iter: int = 50,
        epsilon: float = 1e-7,
        force: bool = False,
    ) -> ReplicateDesign:
        """R calibrate on a replicate design: the full sample and each replicate."""
        mm, population, _names = model_matrix(
            self.frame, margins, totals, population_size
        )
        args = dict(calfun=calfun, bounds=bounds, max_iter=max_iter, epsilon=epsilon)
        g = calibration_factors(mm, self.weights, population, force=force, **args)
        rep = self.replicate_weights()
        for r in range(rep.shape[1]):
            # R does not stop when a replicate fails to converge.
            rep[:, r] *= calibration_factors(
                mm, rep[:, r], population, force=True, **args
            )
        new = ReplicateDesign.__new__(ReplicateDesign)
        new.frame = self.frame
        new._setup(
            self.weights * g,
            None,
            None,
            rep,
            self.type,
            self.scale,
            self.rscales,
            self.mse,
            self.ci,
            self.level,
        )
        return new


class ReplicateDomains:
    """Estimates in each domain of a replicate design (R svyby)."""

    def __init__(self, design: ReplicateDesign, labels: pd.Series) -> None:
        self.design = design
        codes, uniques = pd.factorize(labels)
        order = sorted(range(len(uniques)), key=lambda i: (str(uniques[i]), i))
        self.domains = [uniques[i] for i in order]
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        self._codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)

    def _each(self, kind, a, b=None) -> dict[Hashable, Estimate]:
        estimates = self.design._estimates(kind, a, b, self._codes, len(self.domains))
        return dict(zip(self.domains, estimates, strict=True))

    def mean(self, column: str) -> dict[Hashable, Estimate]:
        return self._each("mean", self.design._column(column))

    def total(self, column: str) -> dict[Hashable, Estimate]:
        return self._each("total", self.design._column(column))

    def ratio(self, numerator: str, denominator: str) -> dict[Hashable, Estimate]:
        d = self.design
        return self._each("ratio", d._column(numerator), d._column(denominator))


def _rank(matrix: np.ndarray) -> int:
    """Column rank as R's qr(tol = 1e-5) counts it (degf of a replicate design)."""
    if matrix.size == 0:
        return 0
    r = linalg.qr(matrix, mode="r", pivoting=True)[0]
    diag = np.abs(np.diag(r))
    return int((diag > 1e-5 * diag.max()).sum()) if diag.max() > 0 else 0
