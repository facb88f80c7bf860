"""Tests for the careless-responding indices against R's published values."""

from __future__ import annotations

import itertools
import statistics
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveyapp.analysis.careless import (
    evenodd,
    irv,
    longstring,
    mahad,
    psychant,
    psychsyn,
    psychsyn_critval,
)

DATA = Path("/work/shared/data/survey_reference/careless")


def _load(name: str) -> pd.DataFrame:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"reference data {path} is absent (shared survey_reference)")
    frame = pd.read_csv(path)
    if "rowname" in frame.columns:
        frame = frame.set_index("rowname")
    return frame


@pytest.fixture(scope="module")
def careless1() -> pd.DataFrame:
    return _load("careless_dataset.csv")


@pytest.fixture(scope="module")
def careless2() -> pd.DataFrame:
    return _load("careless_dataset2.csv")


def _with_missing(frame: pd.DataFrame, count: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.astype(float).copy()
    rows = rng.integers(0, out.shape[0], count)
    cols = rng.integers(0, out.shape[1], count)
    values = out.to_numpy(copy=True)
    values[rows, cols] = np.nan
    return pd.DataFrame(values, index=out.index, columns=out.columns)


# --- longstring ---------------------------------------------------------------


def test_longstring_reproduces_r_testthat_values() -> None:
    data = _load("longstring-test-data.csv")
    assert longstring(data).tolist() == [10, 20, 30, 40, 50, 60, 70, 80, 90, 10]


def test_longstring_avg_and_na_break_runs() -> None:
    x = np.array([[1, 1, 2, 2, 2, 3], [np.nan, np.nan, 1, 1, 1, 1]])
    out = longstring(x, avg=True)
    assert out["longstr"].tolist() == [3, 4]
    # R's rle: runs 2,3,1 -> mean 2; NA, NA, 1111 -> runs 1,1,4 -> mean 2
    assert out["avgstr"].tolist() == [2.0, 2.0]


def test_longstring_matches_loop(careless2: pd.DataFrame) -> None:
    values = careless2.to_numpy()
    expected = []
    for row in values:
        best = run = 1
        for prev, cur in itertools.pairwise(row):
            run = run + 1 if cur == prev else 1
            best = max(best, run)
        expected.append(best)
    assert longstring(careless2).tolist() == expected


# --- irv ----------------------------------------------------------------------


def test_irv_is_row_sd(careless1: pd.DataFrame) -> None:
    expected = [statistics.stdev(row) for row in careless1.to_numpy(dtype=float)]
    np.testing.assert_allclose(irv(careless1), expected, rtol=1e-12)


def test_irv_na_rm_and_split() -> None:
    x = np.array([[1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0]])
    assert irv(x)[0] == pytest.approx(np.std([1, 2, 4, 5, 6, 7], ddof=1))
    assert np.isnan(irv(x, na_rm=False)[0])
    split = irv(np.arange(1.0, 11.0)[None, :], split=True, num_split=3)
    # R: cut(1:10, 3) puts items 1-4, 5-7, 8-10 in the three chunks
    assert list(split.columns) == ["irvTotal", "irv1", "irv2", "irv3"]
    assert split.loc[0, "irv1"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert split.loc[0, "irv2"] == pytest.approx(1.0)
    assert split.loc[0, "irv3"] == pytest.approx(1.0)


# --- mahad --------------------------------------------------------------------


def test_mahad_matches_plain_formula(careless1: pd.DataFrame) -> None:
    values = careless1.to_numpy(dtype=float)
    mean = values.mean(axis=0)
    inv = np.linalg.inv(np.cov(values, rowvar=False))
    expected = [float((row - mean) @ inv @ (row - mean)) for row in values]
    np.testing.assert_allclose(mahad(careless1), expected, rtol=1e-9)


def test_mahad_flag_uses_chisq_quantile(careless1: pd.DataFrame) -> None:
    out = mahad(careless1, flag=True, confidence=0.99)
    cut = stats.chi2.ppf(0.99, careless1.shape[1])
    assert list(out.columns) == ["d_sq", "flagged"]
    assert (out["flagged"].astype(bool) == (out["d_sq"] > cut)).all()


def test_mahad_all_na_rows_like_r_testthat(careless1: pd.DataFrame) -> None:
    data = careless1.astype(float).copy()
    data.iloc[4:8] = np.nan  # R test: careless_dataset_na[c(5:8),] <- NA
    with pytest.warns(UserWarning, match="only NA"):
        out = mahad(data)
    assert np.isnan(out[4:8]).all()
    expected = mahad(careless1.drop(careless1.index[4:8]))
    np.testing.assert_allclose(np.delete(out, range(4, 8)), expected)
    with pytest.raises(ValueError, match="NA"):
        mahad(data, na_rm=False)


def test_mahad_missing_items_drop_terms(careless1: pd.DataFrame) -> None:
    data = _with_missing(careless1, 300, seed=3)
    values = data.to_numpy()
    cov = data.cov().to_numpy()  # pairwise complete, as R's cov(use="pairwise")
    inv = np.linalg.inv(cov)
    mean = np.nanmean(values, axis=0)
    expected = []
    for row in values:
        total = 0.0
        for i in range(len(row)):
            for j in range(len(row)):
                if not (np.isnan(row[i]) or np.isnan(row[j])):
                    total += (row[i] - mean[i]) * inv[i, j] * (row[j] - mean[j])
        expected.append(total)
    np.testing.assert_allclose(mahad(data), expected, rtol=1e-9)


# --- evenodd ------------------------------------------------------------------


def _evenodd_reference(values: np.ndarray, factors: list[int]) -> list[float]:
    out = []
    for row in values:
        evens, odds = [], []
        start = 0
        for size in factors:
            items = row[start : start + size]
            evens.append(
                np.nanmean(items[1::2]) if np.any(~np.isnan(items[1::2])) else np.nan
            )
            odds.append(
                np.nanmean(items[0::2]) if np.any(~np.isnan(items[0::2])) else np.nan
            )
            start += size
        pairs = [
            (e, o) for e, o in zip(evens, odds, strict=True) if not np.isnan(e + o)
        ]
        e = np.array([p[0] for p in pairs])
        o = np.array([p[1] for p in pairs])
        if len(pairs) < 2 or e.std() == 0 or o.std() == 0:
            out.append(np.nan)
            continue
        r = stats.pearsonr(e, o)[0]
        sb = -1.0 if r <= -1 else max(2 * r / (1 + r), -1.0)
        out.append(-sb)
    return out


def test_evenodd_matches_reference(careless1: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = evenodd(careless1, [5] * 10)
    expected = _evenodd_reference(careless1.to_numpy(dtype=float), [5] * 10)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_evenodd_with_missing_and_diag(careless1: pd.DataFrame) -> None:
    data = _with_missing(careless1, 500, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = evenodd(data, [5] * 10, diag=True)
    expected = _evenodd_reference(data.to_numpy(), [5] * 10)
    np.testing.assert_allclose(out["eo_cor"], expected, rtol=1e-9, atol=1e-12)
    assert out["eo_missing"].max() == 10


def test_evenodd_errors_and_zero_variance() -> None:
    x = np.array([[3.0] * 6, [1, 2, 3, 4, 5, 5]])
    with pytest.raises(ValueError, match="single factor"):
        evenodd(x, [6])
    with pytest.raises(ValueError, match="exceeds"):
        evenodd(x, [4, 4])
    with pytest.warns(UserWarning, match="zero variance"):
        out = evenodd(x, [2, 2, 2])
    assert np.isnan(out[0])


# --- psychsyn -----------------------------------------------------------------


def _psychsyn_reference(
    values: np.ndarray, critval: float, anto: bool = False
) -> list[float]:
    p = values.shape[1]
    corr = pd.DataFrame(values).corr().to_numpy()
    pairs = []
    for j in range(p):  # R's as.table order over the lower triangle
        for i in range(j + 1, p):
            r = corr[i, j]
            if (r < -abs(critval)) if anto else (r > abs(critval)):
                pairs.append((i, j))
    out = []
    for row in values:
        a = np.array([row[i] for i, j in pairs])
        b = np.array([row[j] for i, j in pairs])
        ok = ~(np.isnan(a) | np.isnan(b))
        if ok.sum() <= 2 or a[ok].std() == 0 or b[ok].std() == 0:
            out.append(np.nan)
        else:
            out.append(stats.pearsonr(a[ok], b[ok])[0])
    return out


def test_psychsyn_matches_reference(careless1: pd.DataFrame) -> None:
    got = psychsyn(careless1, 0.60, resample_na=False)
    expected = _psychsyn_reference(careless1.to_numpy(dtype=float), 0.60)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_psychant_matches_reference(careless2: pd.DataFrame) -> None:
    got = psychant(careless2, 0.50, diag=True, resample_na=False)
    expected = _psychsyn_reference(careless2.to_numpy(dtype=float), 0.50, True)
    np.testing.assert_allclose(got["cor"], expected, rtol=1e-9, atol=1e-12)
    assert (got["numPairs"] > 2).all()


def test_psychsyn_with_missing_like_r_testthat(careless1: pd.DataFrame) -> None:
    data = _with_missing(careless1, 500, seed=7)
    got = psychsyn(data, 0.60, resample_na=False)
    expected = _psychsyn_reference(data.to_numpy(), 0.60)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    resampled = psychsyn(data, 0.60, seed=1)
    agree = ~np.isnan(expected)
    np.testing.assert_allclose(
        resampled[agree], np.asarray(expected)[agree], rtol=1e-9, atol=1e-12
    )


def test_psychsyn_no_pairs_raises() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="No Psychometric Synonyms"):
        psychsyn(rng.integers(1, 6, (50, 6)), 0.95)


def test_psychsyn_critval_sorted(careless1: pd.DataFrame) -> None:
    table = psychsyn_critval(careless1)
    assert list(table.columns) == ["var1", "var2", "cor"]
    assert len(table) == 50 * 49 // 2
    assert table["cor"].is_monotonic_decreasing


# --- known careless respondents are separated ----------------------------------


def test_straightliners_and_random_responders_separate(careless2: pd.DataFrame) -> None:
    """careless_dataset2 holds ~10% straightliners and ~10% random responders."""
    ls = longstring(careless2)
    straight = ls >= 20
    assert 0.05 <= straight.mean() <= 0.15
    d_sq = mahad(careless2)
    syn = psychsyn(careless2, 0.60, resample_na=False)
    rest = ~straight
    # random responders: synonym pairs no longer agree
    random_like = rest & (syn < 0.15)
    assert 0.05 <= random_like.mean() <= 0.15
    careful = rest & ~random_like
    # D² is inflated by the straightliners' pull on the covariance, so it only
    # leans the right way here; psychsyn and evenodd carry the separation
    assert np.median(d_sq[random_like]) > np.median(d_sq[careful])
    assert np.median(ls[straight]) > 3 * np.median(ls[careful])
    # evenodd is not asserted here: the scales of careless_dataset2 mix
    # reverse-keyed items, so even/odd halves are not parallel without recoding
