"""Careless-responding indices matching R's ``careless`` package 1.2.2."""

# Each function mirrors the R function of the same name (Yentes & Wilhelm,
# careless 1.2.2, MIT licence) so that figures are comparable with published
# research; R-specific quirks that matter for the numbers are kept and noted.
# Input is respondents x items (2-D array or DataFrame); missing values are NaN.

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "evenodd",
    "irv",
    "longstring",
    "mahad",
    "psychant",
    "psychsyn",
    "psychsyn_critval",
]

ArrayLike2D = np.ndarray | pd.DataFrame


def _as_float(x: ArrayLike2D) -> np.ndarray:
    values = np.asarray(x, dtype=float)
    if values.ndim != 2:
        raise ValueError("expected a 2-D respondents x items array")
    return values


def _item_names(x: ArrayLike2D) -> list[str]:
    if isinstance(x, pd.DataFrame):
        return [str(c) for c in x.columns]
    return [f"V{j + 1}" for j in range(np.asarray(x).shape[1])]


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r per row over pairwise-complete columns (R ``use="pairwise"``)."""
    valid = ~(np.isnan(a) | np.isnan(b))
    n = valid.sum(axis=1)
    a0 = np.where(valid, a, 0.0)
    b0 = np.where(valid, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = a0.sum(axis=1) / n
        mb = b0.sum(axis=1) / n
        da = np.where(valid, a0 - ma[:, None], 0.0)
        db = np.where(valid, b0 - mb[:, None], 0.0)
        r = (da * db).sum(axis=1) / np.sqrt((da**2).sum(axis=1) * (db**2).sum(axis=1))
    r[n < 2] = np.nan
    return r


def longstring(x: ArrayLike2D, avg: bool = False) -> np.ndarray | pd.DataFrame:
    """Longest run of identical consecutive answers per respondent (Johnson 2005).

    As R's ``rle``, a missing value never continues a run: each NA is a run of
    length 1. With ``avg=True`` returns a DataFrame with ``longstr`` and
    ``avgstr`` (mean run length = items / number of runs), as R does.
    """
    frame = pd.DataFrame(np.asarray(x, dtype=object))
    values = frame.to_numpy()
    missing = frame.isna().to_numpy()
    n, p = values.shape
    if p == 0:
        raise ValueError("no items")
    same = (values[:, 1:] == values[:, :-1]) & ~missing[:, 1:] & ~missing[:, :-1]
    same = same.astype(bool)
    run = np.ones(n, dtype=int)
    longest = np.ones(n, dtype=int)
    for j in range(p - 1):
        run = np.where(same[:, j], run + 1, 1)
        np.maximum(longest, run, out=longest)
    if not avg:
        return longest
    runs = p - same.sum(axis=1)
    return pd.DataFrame({"longstr": longest, "avgstr": p / runs})


def irv(
    x: ArrayLike2D, na_rm: bool = True, split: bool = False, num_split: int = 3
) -> np.ndarray | pd.DataFrame:
    """Intra-individual response variability: row SD with n-1 divisor.

    Dunn et al. (2018) read low IRV as straightlining, Marjanovic et al. (2015)
    high IRV as random answering. ``split=True`` adds the IRV of ``num_split``
    consecutive chunks built like R's ``cut(seq_along(x), num_split)`` and
    returns a DataFrame with ``irvTotal``, ``irv1`` ... as R does.
    """
    values = _as_float(x)

    def row_sd(block: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if na_rm:
                return np.nanstd(block, axis=1, ddof=1)
            return np.std(block, axis=1, ddof=1)

    total = row_sd(values)
    if not split:
        return total
    p = values.shape[1]
    if num_split < 2 or num_split > p:
        raise ValueError("num_split must be between 2 and the number of items")
    # R's cut(): equal-width right-closed intervals, outer breaks widened by 0.1%
    breaks = np.linspace(1.0, float(p), num_split + 1)
    dx = p - 1.0
    breaks[0] -= dx / 1000
    breaks[-1] += dx / 1000
    chunk = np.searchsorted(breaks, np.arange(1, p + 1), side="left")
    out = {"irvTotal": total}
    for k in range(1, num_split + 1):
        out[f"irv{k}"] = row_sd(values[:, chunk == k])
    return pd.DataFrame(out)


def mahad(
    x: ArrayLike2D, flag: bool = False, confidence: float = 0.99, na_rm: bool = True
) -> np.ndarray | pd.DataFrame:
    """Mahalanobis D² per respondent (Meade & Craig 2012), as ``psych::outlier``.

    The covariance is the pairwise-complete sample covariance; with missing
    items D² sums only the observed terms of the full inverse (psych's rule).
    Rows that are entirely missing get NaN and are left out of the covariance.
    ``flag=True`` returns a DataFrame with ``d_sq`` and ``flagged`` (D² above
    the ``confidence`` quantile of chi-square with df = number of items; NA
    where D² is NA).
    """
    values = _as_float(x)
    if not na_rm and np.isnan(values).any():
        raise ValueError(
            "Some values are NA. Mahalanobis distance was not computed. "
            "Use na_rm=True to use available cases."
        )
    all_na = np.isnan(values).all(axis=1)
    if all_na.any():
        warnings.warn(
            "Some cases contain only NA values. The Mahalanobis distance will be "
            "calculated using available cases.",
            stacklevel=2,
        )
    kept = values[~all_na]
    cov = pd.DataFrame(kept).cov().to_numpy()
    inv = np.linalg.inv(cov)
    centred = np.nan_to_num(kept - np.nanmean(kept, axis=0), nan=0.0)
    d_sq = np.full(values.shape[0], np.nan)
    d_sq[~all_na] = np.einsum("ij,jk,ik->i", centred, inv, centred)
    if not flag:
        return d_sq
    cut = stats.chi2.ppf(confidence, values.shape[1])
    flagged = pd.array(d_sq > cut, dtype="boolean")
    flagged[np.isnan(d_sq)] = pd.NA
    return pd.DataFrame({"d_sq": d_sq, "flagged": flagged})


def evenodd(
    x: ArrayLike2D, factors: Sequence[int], diag: bool = False
) -> np.ndarray | pd.DataFrame:
    """Even-odd consistency (Johnson 2005), signed so higher means more careless.

    Per respondent, each scale of length ``factors[j]`` (consecutive columns)
    is split into its even- and odd-positioned items; the two vectors of half
    means are correlated over scales (pairwise complete), Spearman-Brown
    corrected, floored at -1 and negated, as in careless >= 1.2.0. Rows whose
    halves have zero variance give NaN (R warns). ``diag=True`` returns a
    DataFrame with ``eo_cor`` and ``eo_missing`` (R's name for the number of
    scales with both halves available). Where R would stop (no complete pair)
    NaN is returned instead. Follows R's data-frame path; R's matrix path
    mis-splits scales because ``colnames`` of a row vector is NULL.
    """
    values = _as_float(x)
    factors = [int(f) for f in factors]
    if len(factors) == 1:
        raise ValueError(
            "You have called even-odd with only a single factor. The even-odd "
            "method requires multiple factors to work correctly."
        )
    if sum(factors) > values.shape[1]:
        raise ValueError(
            "The number of items specified by 'factors' exceeds the number of "
            "columns in 'x'."
        )
    if sum(factors) != values.shape[1]:
        warnings.warn(
            "The number of items specified by 'factors' does not match the number "
            "of columns in 'x'.",
            stacklevel=2,
        )
    n = values.shape[0]
    even = np.full((n, len(factors)), np.nan)
    odd = np.full((n, len(factors)), np.nan)
    start = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for j, size in enumerate(factors):
            block = values[:, start : start + size]
            even[:, j] = np.nanmean(block[:, 1::2], axis=1)
            odd[:, j] = np.nanmean(block[:, 0::2], axis=1)
            start += size
    available = (~(np.isnan(even) | np.isnan(odd))).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd_zero = (np.nanstd(even, axis=1, ddof=1) == 0) | (
            np.nanstd(odd, axis=1, ddof=1) == 0
        )
    if sd_zero.any():
        warnings.warn(
            "One or more observations have zero variance in even and/or odd values. "
            "This results in NA values for these observations.",
            stacklevel=2,
        )
    r = _row_pearson(even, odd)
    with np.errstate(divide="ignore", invalid="ignore"):
        sb = 2 * r / (1 + r)
    sb[sb < -1] = -1.0
    eo_cor = 0 - sb
    if not diag:
        return eo_cor
    return pd.DataFrame({"eo_cor": eo_cor, "eo_missing": available})


def _item_pairs(values: np.ndarray, critval: float, anto: bool) -> np.ndarray:
    corr = pd.DataFrame(values).corr().to_numpy()
    critval = abs(critval)
    # R walks the lower triangle column by column (as.table order): Var1 > Var2
    rows, cols = np.tril_indices(values.shape[1], k=-1)
    order = np.lexsort((rows, cols))
    rows, cols = rows[order], cols[order]
    r = corr[rows, cols]
    with np.errstate(invalid="ignore"):
        keep = r < -critval if anto else r > critval
    if not keep.any():
        kind = "Antonyms" if anto else "Synonyms"
        raise ValueError(f"No Psychometric {kind} found.")
    return np.column_stack([rows[keep], cols[keep]])


def psychsyn(
    x: ArrayLike2D,
    critval: float = 0.60,
    anto: bool = False,
    diag: bool = False,
    resample_na: bool = True,
    seed: int | None = None,
) -> np.ndarray | pd.DataFrame:
    """Psychometric synonym score (Meade & Craig 2012), lower = more careless.

    Item pairs whose sample correlation exceeds ``critval`` (below
    ``-|critval|`` with ``anto=True``) are found over the whole data set; each
    respondent's score is the Pearson correlation across those pairs of the
    first (later) item with the second (earlier), requiring more than two
    complete pairs. With ``resample_na`` a NaN result is retried up to 10 times
    after randomly swapping the two values within each pair, as R does (the
    swaps use ``seed``). ``diag=True`` returns ``numPairs`` and ``cor``.
    """
    values = _as_float(x)
    pairs = _item_pairs(values, critval, anto)
    a = values[:, pairs[:, 0]]
    b = values[:, pairs[:, 1]]
    num_pairs = (~(np.isnan(a) | np.isnan(b))).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cor = _row_pearson(a, b)
        enough = num_pairs > 2
        cor[~enough] = np.nan
        if resample_na:
            rng = np.random.default_rng(seed)
            todo = np.flatnonzero(enough & np.isnan(cor))
            a_t, b_t = a[todo].copy(), b[todo].copy()
            for _ in range(10):
                if todo.size == 0:
                    break
                swap = rng.random(a_t.shape) < 0.5
                a_t, b_t = np.where(swap, b_t, a_t), np.where(swap, a_t, b_t)
                retry = _row_pearson(a_t, b_t)
                cor[todo] = retry
                still = np.isnan(retry)
                todo, a_t, b_t = todo[still], a_t[still], b_t[still]
    if not diag:
        return cor
    return pd.DataFrame({"numPairs": num_pairs, "cor": cor})


def psychant(
    x: ArrayLike2D,
    critval: float = -0.60,
    diag: bool = False,
    resample_na: bool = True,
    seed: int | None = None,
) -> np.ndarray | pd.DataFrame:
    """Psychometric antonym score: ``psychsyn`` with ``anto=True``."""
    return psychsyn(
        x, critval, anto=True, diag=diag, resample_na=resample_na, seed=seed
    )


def psychsyn_critval(x: ArrayLike2D, anto: bool = False) -> pd.DataFrame:
    """All lower-triangle item correlations, sorted to help choose ``critval``.

    Columns ``var1``, ``var2``, ``cor`` (careless 1.2.2 names); sorted
    decreasing (increasing with ``anto=True``), ties in R's order; R also
    lists the NA upper-triangle cells, which are left out here.
    """
    values = _as_float(x)
    names = _item_names(x)
    corr = pd.DataFrame(values).corr().to_numpy()
    rows, cols = np.tril_indices(values.shape[1], k=-1)
    order = np.lexsort((rows, cols))
    rows, cols = rows[order], cols[order]
    table = pd.DataFrame(
        {
            "var1": [names[i] for i in rows],
            "var2": [names[j] for j in cols],
            "cor": corr[rows, cols],
        }
    )
    return table.sort_values(
        "cor", ascending=anto, kind="stable", na_position="last"
    ).reset_index(drop=True)
