"""Design-based estimation (Taylor linearisation) following R's survey package."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from surveyapp.analysis import design_repweights as repweights
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
from surveyapp.analysis.design_domains import DomainEstimator
from surveyapp.analysis.design_estimates import (
    DomainBase,
    Estimate,
    EstimateArrays,
    domain_sums,
    estimate_arrays,
    estimates_frame,
)
from surveyapp.analysis.design_greg import (
    CalibrationConvergenceError,
    calibration_factors,
    greg_step,
    model_matrix,
)
from surveyapp.analysis.design_layout import Layout
from surveyapp.analysis.design_replicate import ReplicateDesign
from surveyapp.analysis.design_residuals import CalibrationStep, PostStep, RakeStep
from surveyapp.analysis.design_stages import design_stages
from surveyapp.analysis.design_variance import (
    LONELY_OPTIONS,
    LonelyPSUError,
    VarianceEngine,
)

__all__ = [
    "CalibrationConvergenceError",
    "CalibrationError",
    "DomainEstimator",
    "EmptyCellError",
    "Estimate",
    "LonelyPSUError",
    "MarginTotalsError",
    "MissingTargetError",
    "NegativeWeightError",
    "RakingConvergenceError",
    "ReplicateDesign",
    "SurveyDesign",
    "estimates_frame",
]


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
        self.has_strata = strata is not None
        self.stages, self._population, implied = design_stages(
            self.frame, strata, psu, ssu, fpc, nest
        )
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
        self.calibration: tuple[CalibrationStep, ...] = ()
        self._engine: VarianceEngine | None = None

    # -- basic properties -------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        return self._weights.copy()

    @property
    def degf(self) -> int:
        """R's degf: number of PSUs minus number of strata."""
        codes = np.zeros(len(self._weights), np.int64)
        return int(self.domain_df(self.engine.layouts(codes, 1), codes >= 0)[0])

    def with_weights(self, weights: np.ndarray) -> SurveyDesign:
        """The same design and calibration steps with other final weights, as R's
        trimWeights keeps the calibration for the variance."""
        w = np.asarray(weights, dtype=float)
        if w.shape != self._weights.shape:
            raise ValueError("one weight per row")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise NegativeWeightError("weights must be finite and non-negative")
        return self._derive(w, None)

    def _derive(
        self, weights: np.ndarray, step: CalibrationStep | None
    ) -> SurveyDesign:
        new = copy.copy(self)
        new._weights = weights
        new._engine = None
        if step is not None:
            new.calibration = (*self.calibration, step)
        return new

    def domain_df(
        self, layouts: list[tuple[int, Layout]], used: np.ndarray
    ) -> np.ndarray:
        """PSUs minus strata among each domain's used rows with a non-zero weight."""
        flags = used & (self._weights != 0)
        out = []
        for _start, layout in layouts:
            entries = flags[layout.rows]
            # Variables without missing values share their flags: count once.
            key = ("df", hash(np.packbits(entries).tobytes()))
            found = layout.cache.get(key)
            if found is None:
                psus, strata = self.engine.units_with(layout, entries)
                found = layout.cache[key] = psus - strata
            out.append(found)
        return np.concatenate(out).astype(float)

    # -- estimation core --------------------------------------------------
    def column(self, name: str) -> np.ndarray:
        """A column's values as floats (for the estimators)."""
        if name not in self.frame.columns:
            raise KeyError(f"unknown column {name!r}")
        values = pd.to_numeric(self.frame[name], errors="raise")
        return values.to_numpy(dtype=float)

    @property
    def engine(self) -> VarianceEngine:
        """The variance computations of this design (built once, then reused)."""
        if self._engine is None:
            self._engine = VarianceEngine(
                self.stages, self.calibration, self.lonely_psu
            )
        return self._engine

    def variance(self, x: np.ndarray) -> float:
        """Design variance of the total of a linearised (weighted) variable x."""
        codes = np.zeros(len(self._weights), np.int64)
        layouts = self.engine.layouts(codes, 1)
        return float(self.engine.variances(layouts, np.asarray(x, dtype=float))[0])

    def estimates(
        self,
        kind: str,
        numerator: np.ndarray,
        denominator: np.ndarray | None,
        codes: np.ndarray,
        size: int,
        layouts: list[tuple[int, Layout]] | None = None,
        design_effect: bool = True,
        base: DomainBase | None = None,
    ) -> EstimateArrays:
        """A mean, total or ratio in each of ``size`` domains (row codes, −1: none);
        ``layouts`` (``engine.layouts(codes, size)``) and ``base``
        (``DomainBase.of(weights, codes, size)``) may be passed to reuse them.
        Without ``design_effect`` R's deff=TRUE ratio is not computed (NaN)."""
        sums = domain_sums(
            kind,
            self._weights,
            numerator,
            denominator,
            codes,
            size,
            design_effect,
            base,
        )
        if layouts is None:
            layouts = self.engine.layouts(codes, size)
        variance = self.engine.variances(layouts, sums.lin)
        df = self.domain_df(layouts, sums.used)
        return estimate_arrays(sums, variance, df, self.ci, self.level)

    def _single(self, kind: str, a: np.ndarray, b: np.ndarray | None) -> Estimate:
        est = self.estimates(kind, a, b, np.zeros(len(a), np.int64), 1).estimate(0)
        if kind == "mean" and not est.n_eff > 0:
            raise ValueError("no respondents with positive weight")
        if kind == "ratio" and not np.isfinite(est.value):
            raise ZeroDivisionError("denominator total is zero")
        return est

    # -- public estimators ------------------------------------------------
    def mean(self, column: str) -> Estimate:
        """Weighted mean (R svymean, na.rm=TRUE: missing rows are a domain)."""
        return self._single("mean", self.column(column), None)

    def total(self, column: str) -> Estimate:
        """Weighted total (R svytotal with na.rm=TRUE); missing are never zeros."""
        return self._single("total", self.column(column), None)

    def ratio(self, numerator: str, denominator: str) -> Estimate:
        """Ratio of totals (R svyratio)."""
        return self._single("ratio", self.column(numerator), self.column(denominator))

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
        step = PostStep(codes, len(targets), new_w, self._weights)
        return self._derive(new_w, step)

    def poststratify_cells(self, cells: np.ndarray, totals: np.ndarray) -> SurveyDesign:
        """``poststratify`` with the post-stratum of each row given as a code
        0..C−1 and the population count of each stratum as an array."""
        codes = np.asarray(cells, dtype=np.int64)
        targets = np.asarray(totals, dtype=float)
        if codes.shape != self._weights.shape:
            raise ValueError("one post-stratum code per row")
        if len(codes) and (codes.min() < 0 or codes.max() >= len(targets)):
            raise MissingTargetError("a row's post-stratum has no population count")
        if np.any(targets < 0) or not np.all(np.isfinite(targets)):
            raise CalibrationError("targets must be finite and non-negative")
        new_w = poststratify_weights(self._weights, codes, targets)
        step = PostStep(codes, len(targets), new_w, self._weights)
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
        step = RakeStep(
            tuple(c for _, c, _ in prepared),
            tuple(len(t) for _, _, t in prepared),
            tuple(sweep),
        )
        return self._derive(new_w, step)

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
    ) -> SurveyDesign:
        """R calibrate: weights w·g meeting categorical margins and numeric totals.

        ``margins`` maps a column to its population count per level, ``totals`` a
        numeric column to its population total; ``population_size`` alone adds
        the intercept. ``calfun`` is "linear" (GREG), "raking" or "logit"; ``bounds``
        (lower, upper) bound the ratios g (logit needs them). The calibration is
        carried into the variance as R does (residuals of the weighted fit).
        """
        mm, population, _names = model_matrix(
            self.frame, margins, totals, population_size
        )
        g = calibration_factors(
            mm, self._weights, population, calfun, bounds, max_iter, epsilon, force
        )
        step = greg_step(mm, self._weights, g)
        return self._derive(self._weights * g, step)

    def trim(
        self, upper: float = np.inf, lower: float = -np.inf, strict: bool = True
    ) -> SurveyDesign:
        """R trimWeights: clip at the bounds and share the excess over the other
        weights, keeping the total; ``strict`` repeats until all are inside.

        Earlier calibration steps are kept for the variance, as R does.
        """
        return self._derive(trim_weights(self._weights, upper, lower, strict), None)

    def replicate(
        self,
        type: str = "JK1",  # noqa: A002 - R's argument name
        *,
        mse: bool = False,
        replicates: int = 50,
        seed: int | np.random.Generator | None = None,
    ) -> ReplicateDesign:
        """R as.svrepdesign: "JK1" (unstratified), "JKn", "bootstrap" or
        "subbootstrap" replicate weights on the first-stage units.

        A calibrated design is refused, as R (>= 4.2) does: replicate first, then
        calibrate the replicate design, which recalibrates every replicate.
        """
        stage = self.stages[0]
        if self.calibration:
            # R >= 4.2 refuses too: replicates of calibrated weights would leave
            # the calibration out of the variance.
            raise ValueError(
                "create the replicates first, then calibrate the replicate design"
            )
        if type not in repweights.REPLICATE_TYPES:
            raise ValueError(f"type must be one of {repweights.REPLICATE_TYPES}")
        if type == "JK1":
            if self.has_strata:
                raise ValueError("JK1 is for unstratified designs: use JKn")
            fraction = float(stage.fraction[0])
            reps = repweights.jk1(len(stage.unit_stratum), fraction)
        elif type == "JKn":
            reps = repweights.jkn(
                stage.unit_stratum, stage.fraction, self.lonely_psu, stage.labels
            )
        else:
            rng = np.random.default_rng(seed)
            reps = repweights.bootstrap(
                stage.unit_stratum,
                self._population if type == "bootstrap" else None,
                replicates,
                rng,
                subsample=type == "subbootstrap",
            )
        selfrep = None
        if self._population is not None:
            selfrep = (self._population == stage.n_units)[
                stage.unit_stratum[stage.unit]
            ]
        return ReplicateDesign.from_factors(
            self.frame,
            self._weights,
            reps.factors,
            stage.unit,
            type=type,
            scale=reps.scale,
            rscales=reps.rscales,
            mse=mse,
            selfrep=selfrep,
            ci=self.ci,
            level=self.level,
        )
