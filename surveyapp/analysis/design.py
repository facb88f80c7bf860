"""Design-based estimation (Taylor linearisation) following R's survey package."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from surveyapp.analysis.design_calibration import (
    CalibrationError,
    EmptyCellError,
    MarginTotalsError,
    MissingTargetError,
    NegativeWeightError,
    RakingConvergenceError,
    cell_labels,
    match_cells,
    population_mapping,
    poststratify_weights,
    rake_weights,
    trim_weights,
)
from surveyapp.analysis.design_variance import (
    LONELY_OPTIONS,
    CalibrationStep,
    LonelyPSUError,
    Stage,
    build_stage,
    residualise,
    stage_variance,
)

__all__ = [
    "CalibrationError",
    "DomainEstimator",
    "EmptyCellError",
    "Estimate",
    "LonelyPSUError",
    "MarginTotalsError",
    "MissingTargetError",
    "NegativeWeightError",
    "RakingConvergenceError",
    "SurveyDesign",
    "estimates_frame",
]


@dataclass(frozen=True)
class Estimate:
    """A design-based estimate.

    ``deff`` is Kish's weighting design effect n·Σw²/(Σw)² over the rows used, and
    ``n_eff`` = (Σw)²/Σw² (EXPECTED.md). ``deff_design`` is R's ``deff=TRUE``: the
    design variance over the variance under simple random sampling without
    replacement of the same size (NaN for ratios).
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_eff: float
    deff: float
    df: float
    n_missing: int
    deff_design: float = float("nan")

    @property
    def variance(self) -> float:
        return self.se**2


def estimates_frame(estimates: Mapping[Hashable, Estimate]) -> pd.DataFrame:
    """A data frame with one row per domain from a mapping of estimates."""
    rows = {key: vars(est) for key, est in estimates.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if values.isna().any():
        raise ValueError(f"design column {values.name!r} has missing values")
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _fpc_columns(fpc: str | Sequence[str] | None, stages: int) -> list[str | None]:
    if fpc is None:
        return [None] * stages
    names = [fpc] if isinstance(fpc, str) else list(fpc)
    if len(names) != stages:
        raise ValueError(f"fpc needs {stages} column(s), one per sampling stage")
    return names


class SurveyDesign:
    """A stratified (one- or two-stage) cluster design over a pandas data frame.

    Conventions follow R ``svydesign``: ``fpc`` holds population sizes (or sampling
    fractions <= 1); without ``weights`` they are implied by ``fpc``; the variance
    is R's default multistage estimator, stage 2 counting only when fpc is given.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        weights: str | None = None,
        strata: str | None = None,
        psu: str | None = None,
        ssu: str | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
        lonely_psu: str = "fail",
        ci: str = "t",
        level: float = 0.95,
    ) -> None:
        if lonely_psu not in LONELY_OPTIONS:
            raise ValueError(f"lonely_psu must be one of {LONELY_OPTIONS}")
        if ci not in ("t", "normal"):
            raise ValueError("ci must be 't' or 'normal'")
        if ssu is not None and psu is None:
            raise ValueError("an ssu needs a psu")
        self.frame = frame.reset_index(drop=True)
        self.lonely_psu = lonely_psu
        self.ci = ci
        self.level = level
        n = len(self.frame)
        if strata is None:
            strat, strat_labels = np.zeros(n, np.int64), np.array(["1"], dtype=object)
        else:
            strat, strat_labels = _codes(self.frame[strata])
        if psu is None:
            unit = np.arange(n, dtype=np.int64)
        else:
            psu_values = self.frame[psu]
            if nest:
                psu_values = pd.Series(
                    list(zip(strat, psu_values, strict=True)), dtype=object
                )
            unit = _codes(psu_values)[0]
            per_psu = pd.Series(strat).groupby(unit).nunique()
            if (per_psu > 1).any():
                raise ValueError("PSUs are not nested in strata; pass nest=True")
        fpc_names = _fpc_columns(fpc, 2 if ssu is not None else 1)
        fpc1 = (
            None if fpc_names[0] is None else self.frame[fpc_names[0]].to_numpy(float)
        )
        stage1, pop1 = build_stage(
            strat, unit, strat_labels, fpc1, str(fpc_names[0]), 1
        )
        self.stages: tuple[Stage, ...] = (stage1,)
        implied = None if pop1 is None else (pop1 / stage1.n_units)[strat]
        if ssu is not None:
            sub = _codes(
                pd.Series(list(zip(unit, self.frame[ssu], strict=True)), dtype=object)
            )[0]
            if fpc_names[1] is not None:
                fpc2 = self.frame[fpc_names[1]].to_numpy(float)
                psu_labels = np.asarray(
                    pd.Series(self.frame[psu]).groupby(unit).first(), dtype=object
                )
                stage2, pop2 = build_stage(unit, sub, psu_labels, fpc2, fpc_names[1], 2)
                mult = (stage1.n_units / pop1)[stage1.unit_stratum]
                stage2 = Stage(**{**vars(stage2), "multiplier": mult})
                self.stages = (stage1, stage2)
                implied = implied * (pop2 / stage2.n_units)[unit]
        if weights is not None:
            w = self.frame[weights].to_numpy(float)
        elif implied is not None:
            w = implied
        else:
            w = np.ones(n)
        if not np.all(np.isfinite(w)):
            raise NegativeWeightError("weights have missing or infinite values")
        if np.any(w < 0):
            raise NegativeWeightError(f"{int((w < 0).sum())} negative weight(s)")
        self._weights = w
        self._strata_codes = strat
        self._psu_codes = unit
        self.calibration: tuple[CalibrationStep, ...] = ()

    # -- basic properties -------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        return self._weights.copy()

    @property
    def degf(self) -> int:
        """R's degf: number of PSUs minus number of strata."""
        return self._degf(np.ones(len(self._weights), dtype=bool))

    def _degf(self, used: np.ndarray) -> int:
        used = used & (self._weights != 0)
        n_psu = len(np.unique(self._psu_codes[used]))
        n_strata = len(np.unique(self._strata_codes[used]))
        return n_psu - n_strata

    def _derive(
        self, weights: np.ndarray, step: CalibrationStep | None
    ) -> SurveyDesign:
        new = copy.copy(self)
        new._weights = weights
        if step is not None:
            new.calibration = (*self.calibration, step)
        return new

    # -- estimation core --------------------------------------------------
    def _column(self, name: str) -> np.ndarray:
        if name not in self.frame.columns:
            raise KeyError(f"unknown column {name!r}")
        values = pd.to_numeric(self.frame[name], errors="raise")
        return values.to_numpy(dtype=float)

    def variance(self, x: np.ndarray) -> float:
        """Design variance of the total of a linearised (weighted) variable x."""
        r = residualise(x, self.calibration)
        return sum(stage_variance(r, st, self.lonely_psu) for st in self.stages)

    def _finish(
        self,
        value: float,
        lin: np.ndarray,
        used: np.ndarray,
        n_missing: int,
        srs_var: float,
    ) -> Estimate:
        var = self.variance(lin)
        se = float(np.sqrt(var))
        w = self._weights[used]
        df = self._degf(used)
        if self.ci == "normal":
            q = stats.norm.ppf(0.5 + self.level / 2)
        else:
            q = stats.t.ppf(0.5 + self.level / 2, df) if df > 0 else np.nan
        sw, sw2 = w.sum(), (w**2).sum()
        n = int(used.sum())
        return Estimate(
            value=float(value),
            se=se,
            ci_low=float(value - q * se),
            ci_high=float(value + q * se),
            n=n,
            n_eff=float(sw**2 / sw2) if sw2 > 0 else 0.0,
            deff=float(n * sw2 / sw**2) if sw > 0 else float("nan"),
            df=float(np.inf if self.ci == "normal" else df),
            n_missing=n_missing,
            deff_design=float(var / srs_var) if srs_var > 0 else float("nan"),
        )

    def _srs_mean_var(self, y: np.ndarray, used: np.ndarray) -> float:
        """R deff=TRUE reference: svyvar * (N̂ - n) / (N̂ n) for a mean."""
        w, yy = self._weights[used], y[used]
        psum, n = w.sum(), int((w != 0).sum())
        if n < 2 or psum <= 0:
            return float("nan")
        mean = (w * yy).sum() / psum
        svyvar = (w * (yy - mean) ** 2).sum() / psum * n / (n - 1)
        return svyvar * (psum - n) / (psum * n)

    def _mean(self, y: np.ndarray, dom: np.ndarray) -> Estimate:
        ok = ~np.isnan(y)
        used = ok & dom
        w = np.where(used, self._weights, 0.0)
        y0 = np.where(ok, y, 0.0)
        size = w.sum()
        if size <= 0:
            raise ValueError("no respondents with positive weight")
        mean = (w * y0).sum() / size
        lin = w * (y0 - mean) / size
        return self._finish(
            mean, lin, used, int((dom & ~ok).sum()), self._srs_mean_var(y0, used)
        )

    def _total(self, y: np.ndarray, dom: np.ndarray) -> Estimate:
        ok = ~np.isnan(y)
        used = ok & dom
        w = np.where(used, self._weights, 0.0)
        lin = w * np.where(ok, y, 0.0)
        srs = self._srs_mean_var(np.where(ok, y, 0.0), used) * w.sum() ** 2
        return self._finish(lin.sum(), lin, used, int((dom & ~ok).sum()), srs)

    def _ratio(self, num: np.ndarray, den: np.ndarray, dom: np.ndarray) -> Estimate:
        ok = ~np.isnan(num) & ~np.isnan(den)
        used = ok & dom
        w = np.where(used, self._weights, 0.0)
        a, b = np.where(ok, num, 0.0), np.where(ok, den, 0.0)
        tb = (w * b).sum()
        if tb == 0:
            raise ZeroDivisionError("denominator total is zero")
        ratio = (w * a).sum() / tb
        lin = w * (a - ratio * b) / tb
        return self._finish(ratio, lin, used, int((dom & ~ok).sum()), float("nan"))

    # -- public estimators ------------------------------------------------
    def mean(self, column: str) -> Estimate:
        """Weighted mean (R svymean, na.rm=TRUE: missing rows are a domain)."""
        return self._mean(self._column(column), np.ones(len(self.frame), bool))

    def total(self, column: str) -> Estimate:
        """Weighted total (R svytotal with na.rm=TRUE); missing are never zeros."""
        return self._total(self._column(column), np.ones(len(self.frame), bool))

    def ratio(self, numerator: str, denominator: str) -> Estimate:
        """Ratio of totals (R svyratio)."""
        return self._ratio(
            self._column(numerator),
            self._column(denominator),
            np.ones(len(self.frame), bool),
        )

    def by(self, columns: str | Sequence[str]) -> DomainEstimator:
        """Domain estimates; every PSU stays in the variance (R svyby)."""
        names = [columns] if isinstance(columns, str) else list(columns)
        return DomainEstimator(self, cell_labels(self.frame, names))

    # -- weight adjustments -----------------------------------------------
    def poststratify(
        self, columns: str | Sequence[str], population: object
    ) -> SurveyDesign:
        """R postStratify: weights match the population cell counts."""
        names = [columns] if isinstance(columns, str) else list(columns)
        labels = cell_labels(self.frame, names)
        codes, targets = match_cells(labels, population_mapping(population), str(names))
        new_w = poststratify_weights(self._weights, codes, targets)
        step = CalibrationStep(
            "post", (codes,), (len(targets),), (new_w,), self._weights
        )
        return self._derive(new_w, step)

    def rake(
        self,
        margins: Mapping[str | tuple[str, ...], object],
        max_iter: int = 50,
        tol: float = 1e-8,
        epsilon: float | None = None,
    ) -> SurveyDesign:
        """R rake: iterative post-stratification on each margin until all match.

        ``tol`` is the largest relative gap allowed between a margin and its target.
        ``epsilon`` switches to R's own stopping rule (``control$epsilon``, R's
        default 1 with ``max_iter=10``), which reproduces R's printed values exactly.
        """
        if not margins:
            raise ValueError("rake needs at least one margin")
        prepared = []
        for key, population in margins.items():
            names = [key] if isinstance(key, str) else list(key)
            labels = cell_labels(self.frame, names)
            codes, targets = match_cells(
                labels, population_mapping(population), str(key)
            )
            prepared.append((str(key), codes, targets))
        new_w, sweep = rake_weights(self._weights, prepared, max_iter, tol, epsilon)
        step = CalibrationStep(
            "rake",
            tuple(c for _, c, _ in prepared),
            tuple(len(t) for _, _, t in prepared),
            tuple(sweep),
        )
        return self._derive(new_w, step)

    def trim(self, upper: float = np.inf, lower: float = -np.inf) -> SurveyDesign:
        """R trimWeights(strict=TRUE): clip and share the excess, keeping the total.

        Earlier calibration steps are kept for the variance, as R does.
        """
        return self._derive(trim_weights(self._weights, upper, lower), None)


class DomainEstimator:
    """Estimates in each domain of a design (R svyby semantics)."""

    def __init__(self, design: SurveyDesign, labels: pd.Series) -> None:
        self.design = design
        codes, uniques = pd.factorize(labels)
        order = sorted(range(len(uniques)), key=lambda i: (str(uniques[i]), i))
        self.domains = [uniques[i] for i in order]
        self._codes = codes
        self._order = order

    def _each(
        self, fn: Callable[..., Estimate], *arrays: np.ndarray
    ) -> dict[Hashable, Estimate]:
        return {
            self.domains[k]: fn(*arrays, self._codes == i)
            for k, i in enumerate(self._order)
        }

    def mean(self, column: str) -> dict[Hashable, Estimate]:
        return self._each(self.design._mean, self.design._column(column))

    def total(self, column: str) -> dict[Hashable, Estimate]:
        return self._each(self.design._total, self.design._column(column))

    def ratio(self, numerator: str, denominator: str) -> dict[Hashable, Estimate]:
        num, den = self.design._column(numerator), self.design._column(denominator)
        return self._each(self.design._ratio, num, den)
