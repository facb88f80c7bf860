"""Tests for rescaling, composite scores, good/bad rates, ranks and points."""

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.scoring import (
    GoodBadRates,
    composite,
    good_bad_rates,
    points_by_rank,
    points_linear,
    rank_units,
    rescale,
)

nan = np.nan


# --- rescale -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "k", "expected"),
    [
        ([1, 2, 3, 4, 5], 5, [0, 25, 50, 75, 100]),
        ([1, 4, 7], 7, [0, 50, 100]),
        ([1, 6, 10], 10, [0, 500 / 9, 100]),
        ([1, 2], 2, [0, 100]),
        ([3, nan, 5], 5, [50, nan, 100]),
    ],
)
def test_rescale(x, k, expected):
    np.testing.assert_allclose(rescale(x, k), expected)


def test_rescale_keeps_series_index():
    result = rescale(pd.Series([5, 1], index=["r1", "r2"]), 5)
    assert result.to_dict() == {"r1": 100.0, "r2": 0.0}


def test_rescale_keeps_data_frame_shape():
    frame = pd.DataFrame({"q1": [1, 4], "q2": [nan, 7]}, index=["r1", "r2"])
    result = rescale(frame, 7)
    assert result.columns.tolist() == ["q1", "q2"]
    np.testing.assert_allclose(result.to_numpy(), [[0, nan], [50, 100]])


@pytest.mark.parametrize(("x", "k"), [([0, 3], 5), ([6], 5), ([1], 1), ([1], 2.5)])
def test_rescale_rejects_bad_input(x, k):
    with pytest.raises(ValueError):
        rescale(x, k)


# --- composite -------------------------------------------------------------------


def test_composite_hand_computed():
    drivers = [[100, 50, 0], [80, 80, 80], [60, nan, 100], [nan, nan, nan]]
    weights = [0.5, 0.3, 0.2]
    # Row 3 skipped driver 2: (0.5*60 + 0.2*100) / 0.7 = 71.43.
    np.testing.assert_allclose(composite(drivers, weights), [65.0, 80.0, 50 / 0.7, nan])


def test_composite_normalises_weights():
    np.testing.assert_allclose(composite([[100, 0]], [3, 1]), [75.0])


def test_composite_minimum_weight_share():
    drivers = [[60, nan, 100], [nan, 40, nan]]
    result = composite(drivers, [0.5, 0.3, 0.2], min_weight_share=0.5)
    np.testing.assert_allclose(result, [50 / 0.7, nan])


def test_composite_zero_weight_driver_answered_alone_is_missing():
    np.testing.assert_allclose(composite([[nan, 70]], [1, 0]), [nan])


def test_composite_named_weights_match_columns():
    frame = pd.DataFrame({"speed": [100, 50], "attitude": [0, 50]}, index=["r1", "r2"])
    result = composite(frame, {"attitude": 1, "speed": 3})
    assert result.to_dict() == {"r1": 75.0, "r2": 50.0}


@pytest.mark.parametrize(
    ("drivers", "weights", "kwargs", "error"),
    [
        ([1, 2], [1, 1], {}, ValueError),
        ([[1, 2]], [1, 1, 1], {}, ValueError),
        ([[1, 2]], [1, -1], {}, ValueError),
        ([[1, 2]], [0, 0], {}, ValueError),
        ([[1, 2]], [1, 1], {"min_weight_share": 1.5}, ValueError),
        ([[1, 2]], {"a": 1, "b": 1}, {}, TypeError),
        (pd.DataFrame({"a": [1], "b": [2]}), {"a": 1}, {}, ValueError),
    ],
)
def test_composite_rejects_bad_input(drivers, weights, kwargs, error):
    with pytest.raises(error):
        composite(drivers, weights, **kwargs)


# --- good / bad rates --------------------------------------------------------------


def test_good_bad_rates_unweighted():
    result = good_bad_rates([5, 4, 4, 3, 2, 1, 5, nan])
    assert result == GoodBadRates(good=4 / 7, bad=2 / 7, n=7, weight_total=7.0)


def test_good_bad_rates_weighted():
    ratings = [5, 4, 3, 1]
    weights = [1.0, 2.0, 3.0, 4.0]
    result = good_bad_rates(ratings, weights)
    assert result.good == pytest.approx(0.3)
    assert result.bad == pytest.approx(0.4)
    assert result.n == 4
    assert result.weight_total == 10.0


def test_good_bad_rates_missing_ratings_drop_their_weight():
    result = good_bad_rates(pd.Series([5, nan, 1]), pd.Series([1.0, 50.0, 1.0]))
    assert (result.good, result.bad) == (0.5, 0.5)


def test_good_bad_rates_without_answers():
    result = good_bad_rates([nan, nan])
    assert np.isnan(result.good) and np.isnan(result.bad)
    assert result.n == 0


@pytest.mark.parametrize(
    ("ratings", "weights"),
    [([0, 5], None), ([6], None), ([4.5], None), ([5, 4], [1.0]), ([5], [-1.0])],
)
def test_good_bad_rates_reject_bad_input(ratings, weights):
    with pytest.raises(ValueError):
        good_bad_rates(ratings, weights)


# --- points_linear -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (50, 0.0),
        (60, 0.0),
        (75, 5.0),
        (89.9, pytest.approx(29.9 / 3)),
        (90, 10.0),
        (99, 10.0),
        (nan, nan),
    ],
)
def test_points_linear(index, expected):
    result = points_linear([index], floor=60, ceiling=90, max_points=10)[0]
    if isinstance(expected, float) and np.isnan(expected):
        assert np.isnan(result)
    else:
        assert result == expected


def test_points_linear_keeps_series_index():
    result = points_linear(pd.Series({"hall A": 75.0}), 60, 90, 20)
    assert result.to_dict() == {"hall A": 10.0}


@pytest.mark.parametrize(
    ("floor", "ceiling", "max_points"), [(90, 60, 10), (60, 60, 10), (60, 90, -1)]
)
def test_points_linear_rejects_bad_input(floor, ceiling, max_points):
    with pytest.raises(ValueError):
        points_linear([70], floor, ceiling, max_points)


# --- rank_units ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"),
    [("competition", [1, 2, 2, 4, 5]), ("dense", [1, 2, 2, 3, 4])],
)
def test_rank_units_ties(method, expected):
    result = rank_units([95, 90, 90, 85, 80], method=method)
    assert result.tolist() == expected


def test_unrankable_units_get_no_rank():
    values = pd.Series({"A": 88.0, "B": 92.0, "C": nan, "D": 95.0, "E": 70.0})
    rankable = [True, True, True, False, True]
    result = rank_units(values, rankable)
    assert result["B"] == 1 and result["A"] == 2 and result["E"] == 3
    assert np.isnan(result["C"]) and np.isnan(result["D"])


def test_rank_lower_is_better_and_rounding():
    assert rank_units([3.0, 1.0, 2.0], higher_is_better=False).tolist() == [3, 1, 2]
    ranks = rank_units([85.004, 84.996, 80.0], decimals=2)
    assert ranks.tolist() == [1, 1, 3]


@pytest.mark.parametrize(
    ("values", "kwargs"),
    [([1, 2], {"method": "average"}), ([[1, 2]], {}), ([1, 2], {"rankable": [True]})],
)
def test_rank_units_rejects_bad_input(values, kwargs):
    with pytest.raises(ValueError):
        rank_units(values, **kwargs)


# --- points_by_rank ------------------------------------------------------------------


def test_points_by_rank_fixed_ranks():
    ranks = [1, 2, 3, 4, 5, nan]
    result = points_by_rank(ranks, [(1, 10), (3, 6)])
    np.testing.assert_allclose(result, [10, 6, 6, 0, 0, nan])


def test_points_by_rank_shares():
    # Ten ranked units: top 20% = ranks 1-2, top 50% = ranks 3-5.
    ranks = list(range(1, 11)) + [nan]
    result = points_by_rank(ranks, [(0.2, 5), (0.5, 3)], default=1)
    np.testing.assert_allclose(result, [5, 5, 3, 3, 3, 1, 1, 1, 1, 1, nan])


def test_points_by_rank_shares_with_ties_and_stated_count():
    # Competition ranks 1, 2, 2, 4 of 4 units; top 50% means rank <= 2.
    np.testing.assert_allclose(points_by_rank([1, 2, 2, 4], [(0.5, 8)]), [8, 8, 8, 0])
    # With 20 units in the league the top 10% is ranks 1-2.
    np.testing.assert_allclose(
        points_by_rank([1, 2, 3], [(0.1, 8)], n_ranked=20), [8, 8, 0]
    )


def test_points_by_rank_mixed_bands_and_series():
    ranks = pd.Series({"A": 1.0, "B": 4.0, "C": 7.0, "D": nan, "E": 2.0, "F": 8.0})
    # 5 ranked units: rank 1 gets 10; ranks <= 0.6 * 5 = 3 get 7.
    result = points_by_rank(ranks, [(1, 10), (0.6, 7)])
    assert result["A"] == 10 and result["E"] == 7 and result["B"] == 0
    assert np.isnan(result["D"])


@pytest.mark.parametrize(
    ("bands", "error"),
    [
        ([], ValueError),
        ([(0, 5)], ValueError),
        ([(1.5, 5)], ValueError),
        ([(0.0, 5)], ValueError),
        ([(3, 5), (1, 10)], ValueError),
        ([(True, 5)], TypeError),
    ],
)
def test_points_by_rank_rejects_bad_bands(bands, error):
    with pytest.raises(error):
        points_by_rank([1, 2, 3], bands)


def test_points_by_rank_rejects_rank_zero():
    with pytest.raises(ValueError, match="ranks start at 1"):
        points_by_rank([0, 1], [(1, 5)])


def test_significance_bands():
    from surveyapp.analysis.scoring import significance_bands

    bands = significance_bands(
        [0.5, -3.0, -1.0, np.nan, 1.0], [2.0, -0.1, 1.0, 1.0, 3.0], [1, 1, 1, 1, 0]
    )
    assert list(bands) == ["above", "below", "same", None, None]
    # An interval touching 0 is not significant.
    assert list(significance_bands([0.0], [1.0])) == ["same"]


def test_points_by_band_and_tied_ranks():
    from surveyapp.analysis.scoring import points_by_band, tied_ranks

    got = points_by_band(
        ["above", None, "same", "below"], {"above": 9, "same": 5, "below": 1}
    )
    assert list(got[[0, 2, 3]]) == [9, 5, 1] and np.isnan(got[1])
    with pytest.raises(ValueError, match="no points for band"):
        points_by_band(["above"], {"above": 9})
    ranks = tied_ranks([0, 0, 2, np.nan])
    assert list(ranks[:3]) == [1, 1, 3] and np.isnan(ranks[3])


def test_proportion_interval_at_the_edges():
    from surveyapp.analysis.design_estimates import proportion_interval

    low, high = proportion_interval(0.0, 0.0, 29)
    assert low == 0 and high == pytest.approx(1 - 0.025 ** (1 / 30))
    low, high = proportion_interval(1.0, 0.0, 29)
    assert high == 1 and low == pytest.approx(0.025 ** (1 / 30))
    low, high = proportion_interval(0.2, 0.05, 50, level=0.9)
    assert 0 < low < 0.2 < high < 1
    lows, highs = proportion_interval(np.array([0.1, 0.0]), np.array([0.02, 0.0]), 40)
    assert lows[1] == 0 and 0 < lows[0] < 0.1 < highs[0]
