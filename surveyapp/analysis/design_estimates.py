"""Estimates of a survey design: the result type and the per-domain arithmetic."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

KINDS = ("mean", "total", "ratio")


@dataclass(frozen=True)
class Estimate:
    """A design-based estimate.

    ``deff`` is Kish's weighting design effect n·Σw²/(Σw)² over the rows used, and
    ``n_eff`` = (Σw)²/Σw² (EXPECTED.md). ``deff_design`` is R's ``deff=TRUE``: the
    design variance over the variance under simple random sampling without
    replacement of the same size (NaN for ratios and replicate designs).
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


def quantile(level: float, df: np.ndarray | float, ci: str) -> np.ndarray:
    """Two-sided quantile of the interval: t with df (NaN when df < 1) or normal."""
    df = np.asarray(df, dtype=float)
    if ci == "normal":
        return np.full(df.shape, stats.norm.ppf(0.5 + level / 2))
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, stats.t.ppf(0.5 + level / 2, np.maximum(df, 1)), np.nan)


@dataclass
class DomainSums:
    """Per-domain point estimates and linearised variables of one statistic."""

    value: np.ndarray  # per domain
    lin: np.ndarray  # per row: the linearised value (0 where not used)
    used: np.ndarray  # per row: counted (domain given, values present)
    dom: np.ndarray  # per row: domain code, ``size`` when not used
    weights: np.ndarray  # per row: weight where used, else 0
    n_missing: np.ndarray  # per domain
    srs: np.ndarray  # per domain: R's deff=TRUE reference variance
    n: np.ndarray  # per domain: rows used
    wsum: np.ndarray  # per domain: Σw
    wsum2: np.ndarray  # per domain: Σw²


@dataclass(frozen=True)
class DomainBase:
    """What every statistic over the same domains and weights shares (the rows in
    a domain, their weights and the sums of the weights per domain)."""

    inside: np.ndarray
    dom: np.ndarray
    weights: np.ndarray
    wsum: np.ndarray  # size + 1: the last bin (rows in no domain) is 0
    wsum2: np.ndarray
    n: np.ndarray
    share: np.ndarray  # per row: w / Σw of its domain (0 outside)

    @classmethod
    def of(cls, weights: np.ndarray, codes: np.ndarray, size: int) -> DomainBase:
        inside = codes >= 0
        return cls._of(inside, np.where(inside, codes, size), weights, size)

    @classmethod
    def _of(cls, used, dom, weights, size) -> DomainBase:
        w = np.where(used, weights, 0.0)
        bins = size + 1
        wsum = np.bincount(dom, weights=w, minlength=bins)
        wsum[size] = 0.0
        wsum2 = np.bincount(dom, weights=w * w, minlength=bins)[:size]
        n = np.bincount(dom, minlength=bins)[:size]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(used, w / np.where(used, wsum[dom], 1.0), 0.0)
        return cls(used, dom, w, wsum, wsum2, n, share)


def domain_sums(
    kind: str,
    weights: np.ndarray,
    a: np.ndarray,
    b: np.ndarray | None,
    codes: np.ndarray,
    size: int,
    design_effect: bool = True,
    base: DomainBase | None = None,
) -> DomainSums:
    """Estimates and linearised variables of a mean, total or ratio in each domain.

    ``codes`` gives each row's domain (−1: in none). Rows with a missing value are
    left out of their domain and counted in ``n_missing`` (R's na.rm=TRUE).
    Without ``design_effect`` the reference variance of R's deff=TRUE is skipped.
    ``base`` (``DomainBase.of(weights, codes, size)``) saves the work that does not
    depend on the values when they have no missing value.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown statistic {kind!r}")
    ok = ~np.isnan(a) if b is None else ~np.isnan(a) & ~np.isnan(b)
    complete = bool(ok.all())
    if base is None or not complete:
        inside = codes >= 0
        used = ok & inside
        base = DomainBase._of(used, np.where(used, codes, size), weights, size)
    used, dom, w, wsum = base.inside, base.dom, base.weights, base.wsum
    a0 = a if complete else np.where(used, a, 0.0)
    wa0 = w * a0
    bins = size + 1
    wa = np.bincount(dom, weights=wa0, minlength=bins)
    # The extra bin (rows outside every domain) stays 0 so that lookups read 0.
    wa[size] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "mean":
            value = wa / wsum
            value[size] = 0.0
            lin = base.share * (a0 - value[dom])
        elif kind == "total":
            value = wa
            lin = wa0
        else:
            b0 = b if complete else np.where(used, b, 0.0)
            wb = np.bincount(dom, weights=w * b0, minlength=bins)
            wb[size] = 0.0
            value = wa / wb
            value[size] = 0.0
            lin = w * (a0 - value[dom] * b0) / np.where(used, wb[dom], 1.0)
    value, wsum = value[:size], wsum[:size]
    if complete:
        missing = np.zeros(size, np.int64)
    else:
        missing = np.bincount(codes[(codes >= 0) & ~ok], minlength=size)[:size]
    srs = np.full(size, np.nan)
    if kind != "ratio" and design_effect:
        srs = _srs_variance(w, np.where(used, a0, 0.0), dom, size, wsum)
        if kind == "total":
            srs = srs * wsum**2
    n, wsum2 = base.n, base.wsum2
    return DomainSums(value, lin, used, dom, w, missing, srs, n, wsum, wsum2)


def _at(values: np.ndarray, dom: np.ndarray) -> np.ndarray:
    """values[dom] with rows outside every domain (dom == size) reading 0."""
    return np.append(values, 0.0)[dom]


def _srs_variance(
    w: np.ndarray, y: np.ndarray, dom: np.ndarray, size: int, wsum: np.ndarray
) -> np.ndarray:
    """R deff=TRUE reference of a mean: svyvar · (N̂ − n) / (N̂ n)."""
    n = np.bincount(dom, weights=(w != 0).astype(float), minlength=size + 1)[:size]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(dom, weights=w * y, minlength=size + 1)[:size] / wsum
        ss = np.bincount(dom, weights=w * (y - _at(mean, dom)) ** 2, minlength=size + 1)
        svyvar = ss[:size] / wsum * n / (n - 1)
        srs = svyvar * (wsum - n) / (wsum * n)
    return np.where((n >= 2) & (wsum > 0), srs, np.nan)


@dataclass(frozen=True)
class EstimateArrays:
    """The fields of Estimate for many domains at once, one array each."""

    value: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    deff: np.ndarray
    df: np.ndarray
    n_missing: np.ndarray
    deff_design: np.ndarray

    def __len__(self) -> int:
        return len(self.value)

    def estimate(self, d: int) -> Estimate:
        return Estimate(
            value=float(self.value[d]),
            se=float(self.se[d]),
            ci_low=float(self.ci_low[d]),
            ci_high=float(self.ci_high[d]),
            n=int(self.n[d]),
            n_eff=float(self.n_eff[d]),
            deff=float(self.deff[d]),
            df=float(self.df[d]),
            n_missing=int(self.n_missing[d]),
            deff_design=float(self.deff_design[d]),
        )

    def to_list(self) -> list[Estimate]:
        return [self.estimate(d) for d in range(len(self))]


def estimate_arrays(
    sums: DomainSums,
    variance: np.ndarray,
    df: np.ndarray,
    ci: str,
    level: float,
) -> EstimateArrays:
    """Every domain's estimate from its sums, variance and degrees of freedom."""
    size = len(sums.value)
    n, sw, sw2 = sums.n, sums.wsum, sums.wsum2
    se = np.sqrt(variance)
    q = quantile(level, df, ci)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(sw2 > 0, sw**2 / sw2, 0.0)
        deff = np.where(sw > 0, n * sw2 / sw**2, np.nan)
        design = np.where(sums.srs > 0, variance / sums.srs, np.nan)
    return EstimateArrays(
        value=sums.value,
        se=se,
        ci_low=sums.value - q * se,
        ci_high=sums.value + q * se,
        n=n,
        n_eff=n_eff,
        deff=deff,
        df=np.full(size, np.inf) if ci == "normal" else np.asarray(df, float),
        n_missing=sums.n_missing,
        deff_design=design,
    )


def build_estimates(
    sums: DomainSums,
    variance: np.ndarray,
    df: np.ndarray,
    ci: str,
    level: float,
) -> list[Estimate]:
    """One Estimate per domain from its sums, variance and degrees of freedom."""
    return estimate_arrays(sums, variance, df, ci, level).to_list()


def proportion_interval(
    p: float | np.ndarray,
    se: float | np.ndarray,
    df: float | np.ndarray,
    level: float = 0.95,
    ci: str = "t",
) -> tuple:
    """Interval of a proportion on the logit scale (R svyciprop, method "logit").

    expit(logit p ± q · se / (p (1 − p))) stays inside [0, 1]. At p = 0 or 1 the
    linearised SE is 0; the interval is then Clopper and Pearson's with the
    degrees of freedom + 1 as the sample size, so that it is not a single point.
    Works on scalars or arrays.
    """
    p, se, df = (np.asarray(v, dtype=float) for v in (p, se, df))
    q = quantile(level, df, ci)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        centre = np.log(p / (1 - p))
        half = q * se / (p * (1 - p))
        low = 1 / (1 + np.exp(-(centre - half)))
        high = 1 / (1 + np.exp(-(centre + half)))
        n = np.where(np.isfinite(df), df, 0) + 1
        tail = (1 - level) / 2
        edge = tail ** (1 / np.maximum(n, 1))
    low = np.where(p <= 0, 0.0, np.where(p >= 1, edge, low))
    high = np.where(p <= 0, 1 - edge, np.where(p >= 1, 1.0, high))
    bad = ~np.isfinite(p) | (((p <= 0) | (p >= 1)) & (n < 1))
    low, high = np.where(bad, np.nan, low), np.where(bad, np.nan, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high
