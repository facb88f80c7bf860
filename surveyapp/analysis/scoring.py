"""The satisfaction index: rescaling, composite scores, rates, ranks and points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

Values = ArrayLike | pd.Series | pd.DataFrame


def _like(
    result: np.ndarray, original: object
) -> np.ndarray | pd.Series | pd.DataFrame:
    """Give pandas input its index back; otherwise return the array."""
    if isinstance(original, pd.DataFrame):
        return pd.DataFrame(result, index=original.index, columns=original.columns)
    if isinstance(original, pd.Series):
        return pd.Series(result, index=original.index, name=original.name)
    return result


def rescale(x: Values, k: int) -> np.ndarray | pd.Series | pd.DataFrame:
    """Map answers on a 1..k scale to 0..100: (x - 1) / (k - 1) * 100; NaN stays."""
    if isinstance(k, bool) or int(k) != k or k < 2:
        raise ValueError(f"scale length k must be an integer >= 2, got {k}")
    values = np.asarray(x, dtype=float)
    if values.size and not np.isnan(values).all():
        if np.nanmin(values) < 1 or np.nanmax(values) > k:
            raise ValueError(f"answers outside the 1..{k} scale")
    return _like((values - 1) / (k - 1) * 100, x)


def _driver_weights(
    weights: ArrayLike | Mapping[str, float], drivers: object, p: int
) -> np.ndarray:
    if isinstance(weights, Mapping | pd.Series):
        if not isinstance(drivers, pd.DataFrame):
            raise TypeError("named weights need drivers as a data frame")
        missing = [c for c in drivers.columns if c not in weights]
        if missing:
            raise ValueError(f"no weight for drivers {missing}")
        w = np.array([weights[c] for c in drivers.columns], dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
    if w.shape != (p,):
        raise ValueError(f"need {p} weights, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all 0")
    return w / w.sum()


def composite(
    drivers: ArrayLike | pd.DataFrame,
    weights: ArrayLike | Mapping[str, float],
    min_weight_share: float = 0.0,
) -> np.ndarray | pd.Series:
    """Weighted composite of 0-100 driver scores for each respondent (row).

    A respondent who skipped some drivers is scored on the drivers answered,
    their weights renormalised to sum 1 within that respondent; when the
    answered drivers carry less than ``min_weight_share`` of the total weight
    (or none at all) the composite is NaN. Named weights (a mapping) are
    matched to the columns of a data frame.
    """
    values = np.asarray(drivers, dtype=float)
    if values.ndim != 2:
        raise ValueError(
            f"drivers must be 2-D (respondents x drivers), got {values.ndim}-D"
        )
    if not 0 <= min_weight_share <= 1:
        raise ValueError(f"min_weight_share must be in [0, 1], got {min_weight_share}")
    w = _driver_weights(weights, drivers, values.shape[1])
    answered = ~np.isnan(values)
    share = answered @ w
    total = np.where(answered, values, 0.0) @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        score = total / share
    score[(share <= 0) | (share < min_weight_share - 1e-12)] = np.nan
    if isinstance(drivers, pd.DataFrame):
        return pd.Series(score, index=drivers.index, name="composite")
    return score


@dataclass(frozen=True)
class GoodBadRates:
    """好评率 / 差评率 on a 1..5 scale, as fractions of the valid answers."""

    good: float
    bad: float
    n: int
    weight_total: float


def good_bad_rates(ratings: Values, weights: Values | None = None) -> GoodBadRates:
    """好评率 (share of 5 非常满意 and 4 满意) and 差评率 (1 非常不满意, 2 不满意).

    Missing ratings (NaN, e.g. "not applicable") are left out of numerator and
    denominator alike. With ``weights`` the shares are weighted; ``n`` is the
    unweighted number of valid ratings. No valid rating gives NaN rates.
    """
    r = np.asarray(ratings, dtype=float)
    if r.ndim != 1:
        raise ValueError("ratings must be 1-D")
    w = np.ones_like(r) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != r.shape:
        raise ValueError("ratings and weights must have the same length")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    valid = ~np.isnan(r)
    if not np.isin(r[valid], [1, 2, 3, 4, 5]).all():
        raise ValueError("ratings must be whole numbers 1..5 (or NaN)")
    total = float(w[valid].sum())
    if total <= 0:
        return GoodBadRates(np.nan, np.nan, int(valid.sum()), total)
    good = float(w[valid & (r >= 4)].sum()) / total
    bad = float(w[valid & (r <= 2)].sum()) / total
    return GoodBadRates(good, bad, int(valid.sum()), total)


def points_linear(
    index: Values, floor: float, ceiling: float, max_points: float
) -> np.ndarray | pd.Series:
    """Points for an index: 0 at or below ``floor``, ``max_points`` at or above
    ``ceiling``, linear in between; NaN stays NaN."""
    if not ceiling > floor:
        raise ValueError(f"ceiling {ceiling} must be above floor {floor}")
    if not max_points >= 0:
        raise ValueError(f"max_points must be non-negative, got {max_points}")
    x = np.asarray(index, dtype=float)
    points = np.clip((x - floor) / (ceiling - floor), 0.0, 1.0) * max_points
    return _like(points, index)


def rank_units(
    values: Values,
    rankable: ArrayLike | None = None,
    method: Literal["competition", "dense"] = "competition",
    higher_is_better: bool = True,
    decimals: int | None = None,
) -> np.ndarray | pd.Series:
    """Rank units, 1 = best; unrankable units (flag False or value NaN) get NaN.

    "competition" ranks ties alike and skips (1, 2, 2, 4); "dense" does not
    skip (1, 2, 2, 3). ``decimals`` rounds the values first, so that scores
    equal as published also tie in the ranking.
    """
    if method not in ("competition", "dense"):
        raise ValueError(f"unknown ranking method {method!r}")
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError("values must be 1-D")
    if decimals is not None:
        x = np.round(x, decimals)
    eligible = ~np.isnan(x)
    if rankable is not None:
        flags = np.asarray(rankable, dtype=bool)
        if flags.shape != x.shape:
            raise ValueError("rankable must have one flag per unit")
        eligible &= flags
    ranks = (
        pd.Series(np.where(eligible, x, np.nan))
        .rank(
            method="min" if method == "competition" else "dense",
            ascending=not higher_is_better,
        )
        .to_numpy()
    )
    return _like(ranks, values)


def points_by_rank(
    ranks: Values,
    bands: Sequence[tuple[float, float]],
    n_ranked: int | None = None,
    default: float = 0.0,
) -> np.ndarray | pd.Series:
    """Points by rank band, e.g. ``[(3, 10), (0.5, 6)]``: ranks 1-3 get 10 points,
    the rest of the top half 6, everyone else ``default``; unranked units NaN.

    A band's cutoff is a rank when an int (rank <= cutoff) and a share of the
    ranked units when a float in (0, 1] (rank <= share * n_ranked, where
    n_ranked defaults to the number of ranked units). Bands are read in order,
    the first match wins, so cutoffs must not decrease.
    """
    r = np.asarray(ranks, dtype=float)
    ranked = ~np.isnan(r)
    if (r[ranked] < 1).any():
        raise ValueError("ranks start at 1")
    count = int(ranked.sum()) if n_ranked is None else n_ranked
    if count < 0:
        raise ValueError(f"n_ranked must be non-negative, got {n_ranked}")
    if not bands:
        raise ValueError("no bands given")
    cutoffs = []
    for cutoff, _points in bands:
        if isinstance(cutoff, bool):
            raise TypeError("band cutoff must be a rank or a share, not a bool")
        if isinstance(cutoff, int | np.integer):
            if cutoff < 1:
                raise ValueError(f"rank cutoff must be >= 1, got {cutoff}")
            cutoffs.append(float(cutoff))
        elif 0 < cutoff <= 1:
            cutoffs.append(cutoff * count)
        else:
            raise ValueError(f"share cutoff must be in (0, 1], got {cutoff}")
    if any(b < a for a, b in pairwise(cutoffs)):
        raise ValueError("band cutoffs must not decrease")
    points = np.where(ranked, float(default), np.nan)
    assigned = ~ranked
    for limit, (_cutoff, band_points) in zip(cutoffs, bands, strict=True):
        hit = ~assigned & (r <= limit + 1e-9)
        points[hit] = band_points
        assigned |= hit
    return _like(points, ranks)


BANDS = ("above", "same", "below")


def significance_bands(
    diff_low: ArrayLike, diff_high: ArrayLike, eligible: ArrayLike | None = None
) -> np.ndarray:
    """Band of each unit from the interval of its difference from the overall:
    "above" when the whole interval is above 0, "below" when it is below 0,
    "same" (not significantly different) otherwise; None when not eligible."""
    low = np.asarray(diff_low, dtype=float)
    high = np.asarray(diff_high, dtype=float)
    ok = np.ones(len(low), bool) if eligible is None else np.asarray(eligible, bool)
    ok = ok & ~np.isnan(low) & ~np.isnan(high)
    bands = np.where(low > 0, "above", np.where(high < 0, "below", "same"))
    return np.where(ok, bands, None).astype(object)


def points_by_band(
    bands: Sequence[str | None], points: Mapping[str, float]
) -> np.ndarray:
    """Points for each band (NaN for a unit without a band)."""
    missing = [b for b in BANDS if b not in points]
    if missing:
        raise ValueError(f"no points for band(s) {missing}")
    return np.array(
        [np.nan if b is None else float(points[b]) for b in bands], dtype=float
    )


def tied_ranks(better: ArrayLike) -> np.ndarray:
    """Rank = 1 + the number of units significantly better (NaN stays NaN).

    Units that nothing separates share a rank; with every pair separated this is
    the plain competition ranking (1, 2, 3, ...).
    """
    counts = np.asarray(better, dtype=float)
    return counts + 1.0
