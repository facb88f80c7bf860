"""The satisfaction index of a table of units: survey weights, design, scores, bands,
ranks and points."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveyapp.analysis.design import SurveyDesign
from surveyapp.analysis.design_domains import DomainEstimator, MeanComparison
from surveyapp.analysis.design_estimates import proportion_interval
from surveyapp.analysis.design_stages import sorted_codes
from surveyapp.analysis.index_design import (
    TOTAL,
    DesignSettings,
    poststrata,
    rake_margins,
    survey_design,
)
from surveyapp.analysis.index_settings import POINT_KINDS, IndexSettings, PointsRule
from surveyapp.analysis.scoring import (
    composite,
    rescale,
    significance_bands,
    tied_ranks,
)
from surveyapp.analysis.weights import (
    ahp_weights,
    entropy_weights,
    fixed_weights,
    regression_importance,
    require_consistent,
)

__all__ = [
    "METHODS",
    "POINT_KINDS",
    "TOTAL",
    "DesignSettings",
    "IndexSettings",
    "IndexTable",
    "PointsRule",
    "dimension_weights",
    "poststrata",
    "rake_margins",
    "unit_indices",
]

METHODS = ("fixed", "ahp", "entropy", "regression")


@dataclass
class IndexTable:
    """Per-unit results (one row per unit), monthly trend and notes on the method."""

    units: pd.DataFrame
    trend: dict[str, dict[str, dict[str, float]]]
    notes: list[str] = field(default_factory=list)
    design_weights: np.ndarray | None = None
    overall: dict[str, float] = field(default_factory=dict)
    dimension_weights: dict[str, float] = field(default_factory=dict)
    weight_details: dict = field(default_factory=dict)


def _unit_means(drivers: pd.DataFrame, units: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Survey-weighted mean of each driver in each unit (units x drivers)."""
    codes, _uniques = pd.factorize(units)
    size = int(codes.max()) + 1
    out = []
    for name in drivers.columns:
        x = drivers[name].to_numpy(float)
        ok = ~np.isnan(x) & (codes >= 0)
        total = np.bincount(codes[ok], weights=w[ok], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(
                np.bincount(codes[ok], weights=(w * x)[ok], minlength=size) / total
            )
    return np.column_stack(out)


def dimension_weights(
    method: str,
    drivers: pd.DataFrame,
    overall: pd.Series | None = None,
    units: pd.Series | None = None,
    *,
    survey_weights: np.ndarray | None = None,
    fixed: Mapping[str, float] | None = None,
    pairwise: Sequence[Sequence[float]] | None = None,
    max_cr: float = 0.10,
    override: bool = False,
) -> tuple[dict[str, float], dict]:
    """Weights of the drivers (columns of ``drivers``, 0-100) by one of METHODS.

    Entropy and regression weights use the ``survey_weights`` (each unit's
    driver scores and the regression are estimates of the population's).
    Returns the weights and details (the AHP consistency ratio, etc.).
    """
    names = list(drivers.columns)
    w = np.ones(len(drivers)) if survey_weights is None else survey_weights
    if method == "fixed":
        series = fixed_weights(fixed or dict.fromkeys(names, 1.0))
        return {k: float(series[k]) for k in names}, {}
    if method == "ahp":
        if pairwise is None:
            raise ValueError("AHP needs a pairwise comparison matrix")
        result = ahp_weights(np.asarray(pairwise, dtype=float))
        require_consistent(result, max_cr, override)
        details = {"cr": result.cr, "ci": result.ci, "lambda_max": result.lambda_max}
        return dict(zip(names, map(float, result.weights), strict=True)), details
    if method == "entropy":
        if units is None:
            raise ValueError("entropy weights need the unit of each response")
        table = _unit_means(drivers, units.to_numpy(), w)
        table = table[~np.isnan(table).any(axis=1)]
        result = entropy_weights(table)
        return dict(zip(names, map(float, result), strict=True)), {"units": len(table)}
    if method == "regression":
        if overall is None:
            raise ValueError("regression weights need the overall rating")
        result = regression_importance(
            overall.to_numpy(float), drivers.to_numpy(float), weights=w
        )
        return dict(zip(names, map(float, result), strict=True)), {}
    raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")


def unit_indices(
    frame: pd.DataFrame,
    *,
    drivers: Sequence[str],
    weights: Mapping[str, float] | None = None,
    method: str = "fixed",
    pairwise: Sequence[Sequence[float]] | None = None,
    max_cr: float = 0.10,
    override: bool = False,
    volumes: pd.DataFrame | None = None,
    scale: int = 5,
    settings: IndexSettings | None = None,
) -> IndexTable:
    """The index of each unit from the included responses of ``frame``.

    ``frame`` has one row per response: unit, hall, item, month, overall (1..5 or
    NaN), the driver columns (1..scale or NaN) and, to cluster by a window's day,
    window and day. Strata are halls; weights are calibrated to ``volumes`` (see
    ``index_design``); the dimension weights are ``weights`` (fixed) or come from
    ``method`` with the survey weights.
    """
    settings = settings or IndexSettings()
    # Copy-on-write (pandas >= 3): the columns added below never reach ``frame``.
    data = frame.reset_index(drop=True)
    if data.empty:
        raise ValueError("no responses to compute an index from")
    scores = rescale(data[list(drivers)].astype(float), scale)
    data["hall"] = data["hall"].astype(str)
    design, notes = survey_design(data, volumes, settings.design)
    w = design.weights
    if weights is not None and method == "fixed":
        dim_weights, details = dimension_weights("fixed", scores, fixed=weights)
    else:
        dim_weights, details = dimension_weights(
            method,
            scores,
            data["overall"].astype(float),
            data["unit"],
            survey_weights=w,
            fixed=weights,
            pairwise=pairwise,
            max_cr=max_cr,
            override=override,
        )
    score = np.asarray(
        composite(scores, dim_weights, min_weight_share=settings.min_driver_share)
    )
    if np.isnan(score).any():
        notes.append(
            f"{int(np.isnan(score).sum())} response(s) answered drivers carrying less"
            f" than {settings.min_driver_share:g} of the weight: left out of the index"
        )
    table = _estimates(data, design, score, scores, scale, settings)
    table.notes = notes
    table.dimension_weights = dim_weights
    table.weight_details = details
    return table


def _weighted_means(
    values: np.ndarray, codes: np.ndarray, size: int, w: np.ndarray
) -> np.ndarray:
    ok = ~np.isnan(values) & (codes >= 0)
    total = np.bincount(codes[ok], weights=w[ok], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(codes[ok], weights=(w * values)[ok], minlength=size) / total


def _domains(values: pd.Series) -> tuple[np.ndarray, list[Hashable]]:
    dense = (
        sorted_codes(values.to_numpy())
        if pd.api.types.is_integer_dtype(values)
        else None
    )
    if dense is None:
        codes, uniques = pd.factorize(values)
    else:
        codes, uniques = dense[0], [values.dtype.type(u) for u in dense[1]]
    order = sorted(range(len(uniques)), key=lambda i: (str(uniques[i]), i))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), [
        uniques[i] for i in order
    ]


def _estimates(
    data: pd.DataFrame,
    design: SurveyDesign,
    score: np.ndarray,
    scores: pd.DataFrame,
    scale: int,
    settings: IndexSettings,
) -> IndexTable:
    level, ci = settings.design.level, design.ci
    unit_codes, units = _domains(data["unit"])
    by_unit = DomainEstimator.from_codes(design, unit_codes, units)
    comparison = by_unit.compare_means(score, design_effect=False)
    months, month_labels = _domains(data["month"].astype(str))
    trend_codes = np.where(unit_codes >= 0, unit_codes * len(month_labels) + months, -1)
    trend_labels = [(u, m) for u in units for m in month_labels]
    by_month = DomainEstimator.from_codes(design, trend_codes, trend_labels)
    overall = data["overall"].to_numpy(float)
    valid = ~np.isnan(overall)
    good = np.where(valid, (overall >= 4).astype(float), np.nan)
    bad = np.where(valid, (overall <= 2).astype(float), np.nan)
    table = pd.DataFrame({"unit": units})
    index = [comparison.estimates[u] for u in units]
    for name in ("n", "n_eff", "deff", "df"):
        table[name] = [getattr(e, name) for e in index]
    for name in ("value", "se", "ci_low", "ci_high"):
        table["index" if name == "value" else name] = [getattr(e, name) for e in index]
    means = by_unit.means([good, bad, *(scores[name].to_numpy() for name in scores)])
    for label, est in zip(("good_rate", "bad_rate"), means[:2], strict=True):
        low, high = proportion_interval(est.value, est.se, est.df, level, ci)
        table[label] = est.value
        table[f"{label}_se"] = est.se
        table[f"{label}_ci_low"] = low
        table[f"{label}_ci_high"] = high
    table["overall_mean"] = _weighted_means(
        (overall - 1) / 4 * 100, unit_codes, len(units), design.weights
    )
    drivers = dict(zip(scores.columns, means[2:], strict=True))
    table["driver_scores"] = [
        {k: float(v.value[d]) for k, v in drivers.items()} for d in range(len(units))
    ]
    table["driver_intervals"] = [
        {
            k: {
                "se": float(v.se[d]),
                "ci_low": float(v.ci_low[d]),
                "ci_high": float(v.ci_high[d]),
            }
            for k, v in drivers.items()
        }
        for d in range(len(units))
    ]
    _rank(table, comparison, settings)
    monthly = by_month.arrays("mean", score)
    trend: dict[str, dict[str, dict[str, float]]] = {}
    for d in np.flatnonzero(monthly.n > 0):
        unit, month = trend_labels[d]
        trend.setdefault(str(unit), {})[str(month)] = {
            "index": float(monthly.value[d]),
            "ci_low": float(monthly.ci_low[d]),
            "ci_high": float(monthly.ci_high[d]),
            "n": int(monthly.n[d]),
        }
    whole = comparison.overall
    summary = {
        "index": whole.value,
        "se": whole.se,
        "ci_low": whole.ci_low,
        "ci_high": whole.ci_high,
        "df": whole.df,
        "n": whole.n,
    }
    return IndexTable(table, trend, [], design.weights, summary)


def _rank(
    table: pd.DataFrame, comparison: MeanComparison, settings: IndexSettings
) -> None:
    """Bands, tied ranks and points of the rankable units (in place)."""
    rankable = (
        (table["n_eff"] >= settings.min_n_eff)
        & np.isfinite(table["index"])
        & np.isfinite(table["se"])
    ).to_numpy()
    table["rankable"] = rankable
    versus = comparison.versus_overall(settings.band_level)
    diffs = [versus[u] for u in table["unit"]]
    table["diff"] = [d.value for d in diffs]
    table["diff_se"] = [d.se for d in diffs]
    table["diff_ci_low"] = [d.ci_low for d in diffs]
    table["diff_ci_high"] = [d.ci_high for d in diffs]
    bands = significance_bands(table["diff_ci_low"], table["diff_ci_high"], rankable)
    table["band"] = bands
    better = comparison.better_counts(rankable, settings.band_level)
    ranks = tied_ranks(better)
    table["rank"] = ranks
    table["points"] = settings.points.apply(
        table["index"].to_numpy(float), ranks, bands
    )
