"""Tests for sample size, quota allocation, systematic selection and pace."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.sampling import (
    allocate,
    allocate_exact,
    allocation_deff,
    largest_remainder,
    projected_fill,
    sample_size,
    systematic_sample,
)


def _samplics_sampling():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # samplics warns that it is archived
        return pytest.importorskip("samplics.sampling")


# --- sample_size -----------------------------------------------------------


def test_cochran_textbook_n0():
    # Cochran, Sampling Techniques (3rd ed., 1977), eq. 4.1 with t = 1.96,
    # P = Q = 0.5, d = 0.05: n0 = 1.96^2 * 0.25 / 0.05^2 = 384.16 -> 385
    # (also Israel 1992, "Determining Sample Size", IFAS PEOD6, eq. 2).
    result = sample_size(0.05, p=0.5, z=1.96)
    assert result.n0_exact == pytest.approx(384.16)
    assert result.n0 == result.n == 385


def test_exact_normal_quantile_gives_same_rounded_size():
    result = sample_size(0.05, confidence=0.95)
    assert result.z == pytest.approx(1.959964, abs=1e-6)
    assert result.n0_exact == pytest.approx(384.1459, abs=1e-4)
    assert result.n0 == 385


def test_israel_finite_population_example():
    # Israel (1992), PEOD6, eq. 3 (Cochran's correction) for N = 2000 farms.
    # Applied to the rounded n0 = 385 it gives 385 / (1 + 384 / 2000) = 322.99;
    # we correct the unrounded n0 = 384.16, giving 322.40, rounded up to 323.
    assert 385 / (1 + (385 - 1) / 2000) == pytest.approx(322.99, abs=0.01)
    result = sample_size(0.05, z=1.96, population=2000)
    assert result.n_exact == pytest.approx(322.40, abs=0.01)
    assert result.n == 323
    assert result.n0 == 385


@pytest.mark.parametrize(
    ("population", "table_value"),
    [
        (10, 10),
        (50, 44),
        (100, 80),
        (200, 132),
        (500, 217),
        (1000, 278),
        (5000, 357),
        (10000, 370),
        (1000000, 384),
    ],
)
def test_krejcie_morgan_table(population, table_value):
    # Krejcie & Morgan (1970), Educational and Psychological Measurement 30,
    # Table 1: s = X^2 N P(1-P) / (d^2 (N-1) + X^2 P(1-P)) with X^2 = 3.841,
    # P = 0.5, d = 0.05 -- Cochran's fpc formula with z^2 = 3.841. The table
    # rounds to the nearest integer; we round up.
    result = sample_size(0.05, p=0.5, z=math.sqrt(3.841), population=population)
    assert round(result.n_exact) == table_value
    assert result.n == math.ceil(result.n_exact)


@pytest.mark.parametrize(
    ("margin", "confidence", "p", "population"),
    [
        (0.05, 0.95, 0.5, None),
        (0.03, 0.95, 0.5, None),
        (0.05, 0.99, 0.3, None),
        (0.05, 0.95, 0.5, 2000),
        (0.04, 0.90, 0.8, 650),
        (0.02, 0.95, 0.5, 100000),
    ],
)
def test_agrees_with_samplics(margin, confidence, p, population):
    sampling = _samplics_sampling()
    size = sampling.SampleSize()
    size.calculate(half_ci=margin, target=p, pop_size=population, alpha=1 - confidence)
    result = sample_size(margin, confidence, p, population=population)
    assert result.n == size.samp_size


def test_design_effect_inflates_n0_before_fpc():
    result = sample_size(0.05, z=1.96, deff=1.5, population=2000)
    n0 = 1.96**2 * 0.25 * 1.5 / 0.05**2
    assert result.n0_exact == pytest.approx(576.24)
    assert result.n_exact == pytest.approx(n0 / (1 + (n0 - 1) / 2000))
    assert result.n == 448


def test_formula_shows_the_numbers():
    formula = sample_size(0.05, z=1.96, population=2000).formula
    assert "1.96² × 0.5 × 0.5 × 1 / 0.05² = 384.16 → 385" in formula
    assert "/ 2000) = 322.3955 → 323" in formula


def test_population_smaller_than_n0_caps_at_population():
    assert sample_size(0.05, population=50).n <= 50


@pytest.mark.parametrize(
    "kwargs",
    [
        {"margin": 0},
        {"margin": 1.2},
        {"margin": 0.05, "confidence": 1.0},
        {"margin": 0.05, "p": 0},
        {"margin": 0.05, "p": 1.0},
        {"margin": 0.05, "deff": 0},
        {"margin": 0.05, "population": 0},
        {"margin": 0.05, "z": -1.0},
    ],
)
def test_sample_size_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        sample_size(**kwargs)


# --- allocate ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "n", "method", "kwargs", "expected"),
    [
        # Exact proportional quotas 1, 2, 7.
        ({"a": 100, "b": 200, "c": 700}, 10, "proportional", {}, [1, 2, 7]),
        # Quotas 3.15, 2.45, 1.40: floors 3, 2, 1; the seat left goes to b (.45).
        ({"a": 45, "b": 35, "c": 20}, 7, "proportional", {}, [3, 3, 1]),
        # Floor rule: shares 1, 2, 7; a is raised to 2 and 8 shared 1.78, 6.22;
        # b is raised to 2 and c gets the remaining 6.
        ({"a": 100, "b": 200, "c": 700}, 10, "proportional", {"minimum": 2}, [2, 2, 6]),
        # Minimum first: 2 each, remainder 4 shared 0.4, 0.8, 2.8: 2.4, 2.8, 4.8.
        (
            {"a": 100, "b": 200, "c": 700},
            10,
            "proportional",
            {"minimum": 2, "minimum_rule": "first"},
            [2, 3, 5],
        ),
        # Equal 3.33 each: the tie on .33 goes to the first cell.
        ({"a": 1, "b": 1, "c": 1}, 10, "equal", {}, [4, 3, 3]),
        # Equal ignores volume.
        ({"a": 10, "b": 500, "c": 0}, 9, "equal", {}, [3, 3, 3]),
        # Neyman N_h S_h = 100, 300: 10 and 30.
        (
            {"a": 100, "b": 100},
            40,
            "neyman",
            {"sd": {"a": 1.0, "b": 3.0}},
            [10, 30],
        ),
        # Zero volume gets only the minimum.
        ({"a": 0, "b": 50, "c": 50}, 12, "proportional", {"minimum": 2}, [2, 5, 5]),
    ],
)
def test_allocate_hand_computed(cells, n, method, kwargs, expected):
    result = allocate(cells, n, method, **kwargs)
    assert list(result.index) == list(cells)
    assert result.tolist() == expected
    assert result.sum() == n


def test_minimum_is_capped_by_population_and_excess_redistributed():
    volume = {"a": 5, "b": 200, "c": 700}
    # a gets min(10, 5) = 5 and is full; b and c share 95 as 200:700.
    exact = allocate_exact(volume, 100, minimum=10, population=volume)
    assert exact.tolist() == pytest.approx([5, 95 * 2 / 9, 95 * 7 / 9])
    # Minimum first: b and c get 10 and share 75 as 200:700.
    first = allocate_exact(
        volume, 100, minimum=10, population=volume, minimum_rule="first"
    )
    assert first.tolist() == pytest.approx([5, 10 + 75 * 2 / 9, 10 + 75 * 7 / 9])
    assert allocate(
        volume, 100, minimum=10, population=volume, minimum_rule="first"
    ).tolist() == [5, 27, 68]


def test_floor_allocation_iterates_until_no_share_is_below_the_minimum():
    volume = {"a": 10, "b": 40, "c": 50, "d": 900}
    # Shares 1, 4, 5, 90 of 100 with a minimum of 8: a, b and c are raised in
    # turn (each raise lowers the others' shares), d gets the rest.
    exact = allocate_exact(volume, 100, minimum=8)
    assert exact.tolist() == pytest.approx([8, 8, 8, 76])
    # Neyman with a floor: the measure is N_h S_h.
    sd = {"a": 1.0, "b": 1.0, "c": 4.0, "d": 0.1}
    ney = allocate_exact(volume, 60, "neyman", minimum=5, sd=sd)
    # N_h S_h = 10, 40, 200, 90: a is raised to 5, then 55 as 40:200:90.
    assert ney.tolist() == pytest.approx(
        [5, 55 * 40 / 330, 55 * 200 / 330, 55 * 90 / 330]
    )


def test_allocation_design_effect():
    volume = {"a": 100, "b": 200, "c": 700}
    assert allocation_deff(volume, {"a": 1, "b": 2, "c": 7}) == pytest.approx(1.0)
    # n Σ N_h² / n_h / N² = 10 (100²/2 + 200²/2 + 700²/6) / 1000²
    assert allocation_deff(volume, {"a": 2, "b": 2, "c": 6}) == pytest.approx(
        10 * (100**2 / 2 + 200**2 / 2 + 700**2 / 6) / 1000**2
    )
    assert allocation_deff(volume, {"a": 0, "b": 3, "c": 7}) == float("inf")
    floor = allocate_exact(volume, 10, minimum=2)
    first = allocate_exact(volume, 10, minimum=2, minimum_rule="first")
    assert allocation_deff(volume, floor) == pytest.approx(1.0667, abs=1e-4)
    assert allocation_deff(volume, first) == pytest.approx(1.2054, abs=1e-4)


@pytest.mark.parametrize("seed", range(20))
def test_floor_rule_has_the_smallest_design_effect(seed):
    """Of the allocations that respect the minimum, the floor rule's weights are
    the most even: no feasible allocation (minimum first, or the floor moved a
    little) has a smaller Kish design effect."""
    rng = np.random.default_rng(seed)
    h = int(rng.integers(3, 15))
    volume = pd.Series(rng.lognormal(5, 1.2, h), index=[f"c{i}" for i in range(h)])
    n = int(rng.integers(3 * h, 20 * h))
    minimum = int(rng.integers(1, n // h + 1))
    floor = allocate_exact(volume, n, minimum=minimum)
    first = allocate_exact(volume, n, minimum=minimum, minimum_rule="first")
    best = allocation_deff(volume, floor)
    assert best <= allocation_deff(volume, first) + 1e-12
    assert floor.sum() == pytest.approx(n) and (floor >= minimum - 1e-9).all()
    for _ in range(20):
        i, j = rng.choice(h, 2, replace=False)
        step = min(0.5, floor.iloc[j] - minimum)
        if step <= 0:
            continue
        moved = floor.copy()
        moved.iloc[i] += step
        moved.iloc[j] -= step
        assert allocation_deff(volume, moved) >= best - 1e-12


def test_cap_and_redistribute_over_several_rounds():
    cells = pd.DataFrame(
        {"volume": [50, 30, 20], "population": [10, 12, 1000]},
        index=["x", "y", "z"],
    )
    # Shares 50, 30, 20 exceed x's 10; then y's 40*30/50 = 24 exceeds 12.
    assert allocate_exact(cells, 100).tolist() == pytest.approx([10, 12, 78])
    assert allocate(cells, 100).tolist() == [10, 12, 78]


def test_neyman_from_data_frame_columns():
    cells = pd.DataFrame(
        {"volume": [10, 20, 30], "sd": [1.0, 2.0, 3.0]}, index=list("xyz")
    )
    # N_h S_h = 10, 40, 90 of 140: 0.71, 2.86, 6.43 of n = 10 -> 1, 3, 6.
    assert allocate(cells, 10, "neyman").tolist() == [1, 3, 6]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("method", ["proportional", "neyman", "equal"])
def test_allocation_invariants(seed, method):
    rng = np.random.default_rng(seed)
    h = int(rng.integers(2, 12))
    names = [f"cell{i}" for i in range(h)]
    population = pd.Series(rng.integers(1, 400, size=h), index=names)
    sd = pd.Series(rng.uniform(0.2, 1.5, size=h), index=names)
    n = int(rng.integers(h, population.sum() + 1))
    minimum = int(rng.integers(0, n // h + 1))
    first = allocate(population, n, method, minimum, sd=sd, population=population)
    again = allocate(population, n, method, minimum, sd=sd, population=population)
    assert first.equals(again)
    assert first.sum() == n
    assert (first <= population).all()
    assert (first >= np.minimum(minimum, population)).all()
    assert first.dtype.kind == "i"


@pytest.mark.parametrize(
    ("pop", "n", "rate_method"),
    [
        ({"urban": 1200, "suburb": 700, "rural": 100}, 385, "proportional"),
        ({"a": 3, "b": 97, "c": 450, "d": 450}, 96, "proportional"),
    ],
)
def test_proportional_agrees_with_samplics(pop, n, rate_method):
    sampling = _samplics_sampling()
    # samplics' "propal" rounds each quota up (Kish 1965, p. 97), so the
    # integers differ from ours; compare the unrounded quotas rounded up.
    theirs, _ = sampling.allocate("propal", list(pop), pop, samp_size=n)
    ours = allocate_exact(pop, n, rate_method)
    assert {k: math.ceil(v - 1e-9) for k, v in ours.items()} == theirs


def test_neyman_agrees_with_samplics_optimum_mean():
    sampling = _samplics_sampling()
    pop = {"hall1": 5000, "hall2": 1200, "hall3": 800}
    sd = {"hall1": 0.8, "hall2": 1.1, "hall3": 0.5}
    n = 400
    # samplics "optimum_mean" gives ceil(rate * N_h * S_h); Neyman's rate is
    # n / sum(N_h S_h).
    rate = n / sum(pop[k] * sd[k] for k in pop)
    theirs, _ = sampling.allocate("optimum_mean", list(pop), pop, rate=rate, stddev=sd)
    ours = allocate_exact(pop, n, "neyman", sd=sd)
    assert {k: math.ceil(v - 1e-9) for k, v in ours.items()} == theirs
    assert ours.sum() == pytest.approx(n)


def test_equal_agrees_with_samplics():
    sampling = _samplics_sampling()
    pop = {"a": 100, "b": 200, "c": 300, "d": 400}
    theirs, _ = sampling.allocate("equal", list(pop), pop, constant=60 / 4)
    ours = allocate_exact(pop, 60, "equal")
    assert ours.to_dict() == pytest.approx(theirs)


@pytest.mark.parametrize(
    ("cells", "n", "kwargs", "message"),
    [
        ({}, 10, {}, "no cells"),
        ({"a": 10, "b": -1}, 5, {}, "negative"),
        ({"a": 10, "b": float("nan")}, 5, {}, "finite"),
        ({"a": 10, "b": 20}, 31, {"population": {"a": 10, "b": 20}}, "exceeds"),
        ({"a": 10, "b": 20, "c": 5}, 5, {"minimum": 2}, "more than n"),
        ({"a": 10, "b": 20}, 5, {"method": "neyman"}, "needs sd"),
        ({"a": 10, "b": 20}, 5, {"method": "neyman", "sd": {"a": 1}}, "no value"),
        ({"a": 10, "b": 20}, 5, {"method": "stratified"}, "unknown"),
        ({"a": 10, "b": 20}, -1, {}, "non-negative integer"),
        ({"a": 10, "b": 20}, 2.5, {}, "non-negative integer"),
        ({"a": 0, "b": 0}, 5, {}, "cannot place"),
        (
            {"a": 0, "b": 10},
            15,
            {"population": {"a": 10, "b": 10}},
            "cannot place",
        ),
    ],
)
def test_allocate_rejects_impossible_requests(cells, n, kwargs, message):
    with pytest.raises(ValueError, match=message):
        allocate(cells, n, **kwargs)


def test_allocate_data_frame_needs_volume():
    with pytest.raises(ValueError, match="volume"):
        allocate(pd.DataFrame({"size": [1, 2]}), 2)


def test_largest_remainder_rejects_inconsistent_total():
    with pytest.raises(ValueError, match="sum"):
        largest_remainder(pd.Series([1.5, 1.5]), 7)


# --- systematic_sample ---------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "n"), [(10, 3), (100, 7), (7, 7), (1000, 385), (5, 1)]
)
def test_systematic_sample_shape(size, n):
    positions = systematic_sample(size, n, seed=42)
    assert len(positions) == n
    assert len(set(positions.tolist())) == n
    assert (np.diff(positions) > 0).all()
    assert positions.min() >= 0
    assert positions.max() < size


def test_systematic_sample_fractional_interval():
    # N = 10, n = 3: k = 10/3; the gaps are 3 or 4 and each unit has
    # inclusion probability 3/10.
    counts = np.zeros(10)
    for seed in range(6000):
        positions = systematic_sample(10, 3, seed=seed)
        assert set(np.diff(positions).tolist()) <= {3, 4}
        counts[positions] += 1
    assert counts / 6000 == pytest.approx(np.full(10, 0.3), abs=0.03)


def test_systematic_sample_is_reproducible_and_takes_ids():
    ids = [f"r{i}" for i in range(50)]
    first = systematic_sample(ids, 5, seed=7)
    assert np.array_equal(first, systematic_sample(50, 5, seed=7))
    assert np.array_equal(
        systematic_sample(50, 5, seed=np.random.default_rng(7)), first
    )
    assert systematic_sample(ids, 50, seed=1).tolist() == list(range(50))
    assert systematic_sample(ids, 0, seed=1).size == 0
    assert len(systematic_sample(np.int64(50), 5, seed=1)) == 5


@pytest.mark.parametrize(("size", "n"), [(5, 6), (5, -1), (5, 1.5), (-1, 0)])
def test_systematic_sample_rejects_bad_input(size, n):
    with pytest.raises(ValueError):
        systematic_sample(size, n, seed=0)


# --- projected_fill --------------------------------------------------------------


def test_projected_fill_hand_computed():
    result = projected_fill(
        pd.Series({"a": 10, "b": 3, "c": 0}),
        pd.Series({"a": 20, "b": 20, "c": 0}),
        elapsed_days=5,
        total_days=10,
    )
    assert result["pace"].tolist() == [2.0, 0.6, 0.0]
    assert result["projected"].tolist() == [20.0, 6.0, 0.0]
    assert result["at_risk"].tolist() == [False, True, False]
    assert result["shortfall"].tolist() == [0.0, 14.0, 0.0]
    assert result["needed_pace"].tolist() == pytest.approx([2.0, 3.4, 0.0])


def test_projected_fill_aligns_target_by_cell_name():
    result = projected_fill({"a": 1, "b": 9}, {"b": 10, "a": 1}, 9, 10)
    assert result.loc["b", "projected"] == 10.0
    assert result["at_risk"].tolist() == [False, False]


def test_projected_fill_at_start_and_end_of_period():
    start = projected_fill([0, 5], [10, 5], elapsed_days=0, total_days=30)
    assert start["at_risk"].tolist() == [True, False]
    end = projected_fill([3, 5], [10, 5], elapsed_days=30, total_days=30)
    assert end["at_risk"].tolist() == [True, False]
    assert end["needed_pace"].tolist() == [np.inf, 0.0]


@pytest.mark.parametrize(
    ("count", "target", "elapsed", "total"),
    [
        ([1, 2], [3, 4], 5, 0),
        ([1, 2], [3, 4], 11, 10),
        ([1, 2], [3, 4], -1, 10),
        ([1, 2], [3, 4, 5], 1, 10),
        ([-1, 2], [3, 4], 1, 10),
    ],
)
def test_projected_fill_rejects_bad_input(count, target, elapsed, total):
    with pytest.raises(ValueError):
        projected_fill(count, target, elapsed, total)
