"""Domain estimates of a survey design (R svyby) and comparisons between domains."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import pandas as pd

from surveyapp.analysis.design_estimates import (
    DomainBase,
    Estimate,
    EstimateArrays,
    build_estimates,
    domain_sums,
    estimate_arrays,
    quantile,
)
from surveyapp.analysis.design_layout import Layout
from surveyapp.analysis.design_variance import VarianceEngine


class Design(Protocol):
    """What domain estimation needs of a SurveyDesign (which imports this module)."""

    ci: str
    level: float
    weights: np.ndarray
    engine: VarianceEngine

    def column(self, name: str) -> np.ndarray: ...

    def domain_df(self, layouts: list, used: np.ndarray) -> np.ndarray: ...

    def estimates(
        self,
        kind: str,
        numerator: np.ndarray,
        denominator: np.ndarray | None,
        codes: np.ndarray,
        size: int,
        layouts: list | None = None,
        design_effect: bool = True,
        base: DomainBase | None = None,
    ) -> EstimateArrays: ...


@dataclass(frozen=True)
class MeanComparison:
    """Domain means, the overall mean and the design covariance of all of them.

    ``covariance`` is (D + 1) x (D + 1), the overall mean last; differences are
    tested with t on the whole design's degrees of freedom ``df``.
    """

    domains: list[Hashable]
    estimates: dict[Hashable, Estimate]
    overall: Estimate
    covariance: np.ndarray
    df: float
    ci: str

    def difference(self, i: int, j: int) -> tuple[float, float]:
        """Mean of domain i minus mean of domain j (j = −1: the overall) and its SE."""
        values = [self.estimates[d].value for d in self.domains] + [self.overall.value]
        c = self.covariance
        var = c[i, i] + c[j, j] - 2 * c[i, j]
        return values[i] - values[j], float(np.sqrt(max(var, 0.0)))

    def versus_overall(self, level: float = 0.95) -> dict[Hashable, Estimate]:
        """Each domain's mean minus the overall mean, with its SE and interval."""
        q = float(quantile(level, self.df, self.ci))
        out = {}
        for i, domain in enumerate(self.domains):
            diff, se = self.difference(i, -1)
            out[domain] = replace(
                self.estimates[domain],
                value=diff,
                se=se,
                ci_low=diff - q * se,
                ci_high=diff + q * se,
                df=self.df,
                deff_design=float("nan"),
            )
        return out

    def better_counts(self, eligible: np.ndarray, level: float = 0.95) -> np.ndarray:
        """For each domain, how many eligible domains have a significantly higher
        mean (two-sided t test at ``level``); NaN for domains not eligible."""
        q = float(quantile(level, self.df, self.ci))
        values = np.array([self.estimates[d].value for d in self.domains])
        c = self.covariance[:-1, :-1]
        var = np.diag(c)[:, None] + np.diag(c)[None, :] - 2 * c
        se = np.sqrt(np.maximum(var, 0.0))
        diff = values[None, :] - values[:, None]  # [i, j]: j's mean minus i's
        better = (diff > q * se) & eligible[None, :] & eligible[:, None]
        counts = better.sum(axis=1).astype(float)
        return np.where(eligible, counts, np.nan)


class DomainEstimator:
    """Estimates in each domain of a design (R svyby semantics).

    The estimators take a column name or an array of values, one per row.
    """

    def __init__(self, design: Design, labels: pd.Series) -> None:
        codes, uniques = pd.factorize(labels)
        order = sorted(range(len(uniques)), key=lambda i: (str(uniques[i]), i))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        self.design = design
        self.domains = [uniques[i] for i in order]
        self.codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
        self._layouts: list | None = None
        self._base: DomainBase | None = None
        self._overall: tuple | None = None

    @classmethod
    def from_codes(
        cls, design: Design, codes: np.ndarray, domains: list[Hashable]
    ) -> DomainEstimator:
        """Domains given as a code per row (−1: in none) and their labels."""
        new = cls.__new__(cls)
        new.design = design
        new.codes = np.asarray(codes, dtype=np.int64)
        new.domains = list(domains)
        new._layouts = None
        new._base = None
        new._overall = None
        return new

    @property
    def layouts(self) -> list[tuple[int, Layout]]:
        """Where each row's values go, per stage (computed once, reused)."""
        if self._layouts is None:
            self._layouts = self.design.engine.layouts(self.codes, len(self.domains))
        return self._layouts

    @property
    def base(self) -> DomainBase:
        """The domains' rows and weight sums (computed once, reused)."""
        if self._base is None:
            self._base = DomainBase.of(
                self.design.weights, self.codes, len(self.domains)
            )
        return self._base

    def _single_layout(self) -> list[tuple[int, Layout]]:
        layouts = self.layouts
        if len(layouts) != 1:
            raise ValueError("too many domains to compare at once")
        return layouts

    def _values(self, column: str | np.ndarray) -> np.ndarray:
        if isinstance(column, str):
            return self.design.column(column)
        values = np.asarray(column, dtype=float)
        if values.shape != self.codes.shape:
            raise ValueError("one value per row")
        return values

    def _each(
        self, kind: str, a: np.ndarray, b: np.ndarray | None = None
    ) -> dict[Hashable, Estimate]:
        estimates = self.design.estimates(
            kind, a, b, self.codes, len(self.domains), self.layouts, True, self.base
        )
        return dict(zip(self.domains, estimates.to_list(), strict=True))

    def arrays(
        self,
        kind: str,
        numerator: str | np.ndarray,
        denominator: str | np.ndarray | None = None,
        design_effect: bool = False,
    ) -> EstimateArrays:
        """Every domain's estimate as arrays, in the order of ``domains``."""
        b = None if denominator is None else self._values(denominator)
        return self.design.estimates(
            kind,
            self._values(numerator),
            b,
            self.codes,
            len(self.domains),
            self.layouts,
            design_effect,
            self.base,
        )

    def mean(self, column: str | np.ndarray) -> dict[Hashable, Estimate]:
        return self._each("mean", self._values(column))

    def total(self, column: str | np.ndarray) -> dict[Hashable, Estimate]:
        return self._each("total", self._values(column))

    def ratio(
        self, numerator: str | np.ndarray, denominator: str | np.ndarray
    ) -> dict[Hashable, Estimate]:
        return self._each("ratio", self._values(numerator), self._values(denominator))

    def means(self, columns: list[str | np.ndarray]) -> list[EstimateArrays]:
        """The domain means of several variables at once (one pass of the variance
        computations for all of them), as arrays; no deff_design."""
        design = self.design
        size = len(self.domains)
        w = design.weights
        sums = [
            domain_sums(
                "mean", w, self._values(c), None, self.codes, size, False, self.base
            )
            for c in columns
        ]
        variances = design.engine.variances(self.layouts, [s.lin for s in sums])
        return [
            estimate_arrays(
                s, v, design.domain_df(self.layouts, s.used), design.ci, design.level
            )
            for s, v in zip(sums, variances, strict=True)
        ]

    def compare_means(
        self, column: str | np.ndarray, design_effect: bool = True
    ) -> MeanComparison:
        """Domain means with their covariances and that of the overall mean.
        Without ``design_effect`` R's deff=TRUE ratios are not computed (NaN)."""
        design = self.design
        y = self._values(column)
        size = len(self.domains)
        w = design.weights
        if self._overall is None:
            everyone = np.zeros(len(y), np.int64)
            self._overall = (
                everyone,
                design.engine.layouts(everyone, 1),
                DomainBase.of(w, everyone, 1),
            )
        everyone, overall_layouts, overall_base = self._overall
        parts = domain_sums(
            "mean", w, y, None, self.codes, size, design_effect, self.base
        )
        whole = domain_sums(
            "mean", w, y, None, everyone, 1, design_effect, overall_base
        )
        rows = np.flatnonzero(self.codes >= 0)
        ((_s, domain_layout),) = self._single_layout()
        layout = Layout.stack(domain_layout, overall_layouts[0][1])
        values = np.concatenate([parts.lin[rows], whole.lin])
        covariance = design.engine.covariances(layout, values)
        variance = np.maximum(np.diag(covariance), 0.0)
        df = design.domain_df(self.layouts, parts.used)
        estimates = build_estimates(parts, variance[:size], df, design.ci, design.level)
        overall_df = design.domain_df(overall_layouts, whole.used)
        overall = build_estimates(
            whole, variance[size:], overall_df, design.ci, design.level
        )[0]
        return MeanComparison(
            domains=list(self.domains),
            estimates=dict(zip(self.domains, estimates, strict=True)),
            overall=overall,
            covariance=covariance,
            df=float(np.inf if design.ci == "normal" else overall_df[0]),
            ci=design.ci,
        )
