"""The pure index table: weights to volumes, design-based precision, ranks, points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.index import (
    TOTAL,
    PointsRule,
    dimension_weights,
    poststrata,
    unit_indices,
)
from surveyapp.analysis.weights import InconsistentJudgementsError

DRIVERS = [
    "timeliness",
    "attitude",
    "competence",
    "process",
    "information",
    "environment",
]
EQUAL = dict.fromkeys(DRIVERS, 1 / 6)


def responses(n: int = 600, seed: int = 7, halls: str = "AB") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "hall": rng.choice(list(halls), n),
            "item": rng.choice(["s1", "s2"], n),
            "month": rng.choice(["2026-07", "2026-08"], n),
            "overall": rng.integers(1, 6, n).astype(float),
        }
    )
    frame["unit"] = frame["hall"]
    for name in DRIVERS:
        frame[name] = rng.integers(1, 6, n).astype(float)
    return frame


def composite100(frame: pd.DataFrame) -> pd.Series:
    return ((frame[DRIVERS] - 1) * 25).mean(axis=1)


def test_unweighted_index_is_the_mean_with_srs_standard_error():
    frame = responses()
    table = unit_indices(frame, drivers=DRIVERS, weights=EQUAL)
    for row in table.units.itertuples():
        scores = composite100(frame[frame["unit"] == row.unit])
        assert row.index == pytest.approx(scores.mean())
        assert row.se == pytest.approx(scores.std(ddof=1) / np.sqrt(len(scores)))
        assert row.n == len(scores) and row.n_eff == pytest.approx(len(scores))
        assert row.df == len(scores) - 1
    assert "every weight is 1" in table.notes[0]


def test_poststratified_index_weights_cells_by_volume():
    frame = responses()
    rows = []
    rng = np.random.default_rng(1)
    for hall in "AB":
        for item in ("s1", "s2"):
            for month in ("2026-07", "2026-08"):
                rows.append((hall, item, month, int(rng.integers(50, 5000))))
    volumes = pd.DataFrame(rows, columns=["hall", "item", "month", "count"])
    table = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, trim_ratio=None
    )
    frame["score"] = composite100(frame)
    for row in table.units.itertuples():
        cells = frame[frame["hall"] == row.unit].groupby(["item", "month"])["score"]
        vol = volumes[volumes["hall"] == row.unit].set_index(["item", "month"])["count"]
        expected = (cells.mean() * vol).sum() / vol.sum()
        assert row.index == pytest.approx(expected)
        assert row.n_eff < row.n and row.deff > 1
    weights = pd.Series(table.design_weights)
    assert weights.sum() == pytest.approx(volumes["count"].sum())


def test_empty_cells_collapse_to_hall_month_and_missing_volumes_noted():
    frame = responses(halls="ABC")
    frame = frame[~((frame["hall"] == "A") & (frame["item"] == "s2"))]
    volumes = pd.DataFrame(
        [("A", "s1", m, 100) for m in ("2026-07", "2026-08")]
        + [("A", "s2", m, 300) for m in ("2026-07", "2026-08")]
        + [("B", TOTAL, m, 200) for m in ("2026-07", "2026-08")],
        columns=["hall", "item", "month", "count"],
    )
    labels, population, notes = poststrata(frame.reset_index(drop=True), volumes)
    assert population["A|2026-07"] == 400  # s1 + s2 although nobody answered on s2
    assert population["B|2026-08"] == 200
    assert any("collapsed" in n for n in notes)
    assert any("without transaction volumes" in n for n in notes)
    c_count = int((frame["hall"] == "C").sum())
    c_total = population["C|2026-07"] + population["C|2026-08"]
    known = sum(v for k, v in population.items() if not k.startswith("C"))
    mean_weight = known / int((frame["hall"] != "C").sum())
    assert c_total / c_count == pytest.approx(mean_weight)


def test_trimming_caps_extreme_weights():
    frame = responses()
    volumes = pd.DataFrame(
        [("A", "s1", "2026-07", 100000)]
        + [
            (h, i, m, 100)
            for h in "AB"
            for i in ("s1", "s2")
            for m in ("2026-07", "2026-08")
            if (h, i, m) != ("A", "s1", "2026-07")
        ],
        columns=["hall", "item", "month", "count"],
    )
    table = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, trim_ratio=3.0
    )
    w = table.design_weights
    assert w.max() <= 3.0 * w.mean() + 1e-6
    assert any("trimmed" in note for note in table.notes)


def test_small_units_are_not_ranked_and_get_no_points():
    frame = pd.concat([responses(), responses(20, seed=3).assign(unit="C", hall="C")])
    table = unit_indices(frame, drivers=DRIVERS, weights=EQUAL, min_n_eff=30)
    small = table.units.set_index("unit").loc["C"]
    assert (
        not small["rankable"] and np.isnan(small["rank"]) and np.isnan(small["points"])
    )
    ranked = table.units[table.units["rankable"]]
    assert sorted(ranked["rank"]) == [1.0, 2.0]


def test_points_rules():
    index = np.array([50.0, 60.0, 77.5, 95.0, 99.0])
    ranks = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    linear = PointsRule().apply(index, ranks)
    assert list(linear) == pytest.approx([0, 0, 5, 10, 10])
    bands = PointsRule(kind="rank", bands=((1, 10.0), (0.6, 6.0)), default=1.0)
    assert list(bands.apply(index, ranks)) == [1.0, 1.0, 6.0, 6.0, 10.0]


def test_trend_by_month_has_intervals():
    table = unit_indices(responses(), drivers=DRIVERS, weights=EQUAL)
    months = table.trend["A"]
    assert set(months) == {"2026-07", "2026-08"}
    for value in months.values():
        assert value["ci_low"] < value["index"] < value["ci_high"]


def test_dimension_weights_methods():
    frame = responses()
    drivers = (frame[DRIVERS] - 1) * 25
    fixed, _ = dimension_weights(
        "fixed", drivers, fixed={"timeliness": 2, **{k: 1 for k in DRIVERS[1:]}}
    )
    assert fixed["timeliness"] == pytest.approx(2 / 7)
    entropy, info = dimension_weights("entropy", drivers, units=frame["unit"])
    assert sum(entropy.values()) == pytest.approx(1) and info["units"] == 2
    regression, _ = dimension_weights("regression", drivers, frame["overall"])
    assert sum(regression.values()) == pytest.approx(1)
    bad = np.ones((6, 6))
    bad[0, 1], bad[1, 0], bad[1, 2], bad[2, 1], bad[0, 2], bad[2, 0] = (
        9,
        1 / 9,
        9,
        1 / 9,
        1 / 9,
        9,
    )
    with pytest.raises(InconsistentJudgementsError):
        dimension_weights("ahp", drivers, pairwise=bad)
    weights, details = dimension_weights("ahp", drivers, pairwise=bad, override=True)
    assert details["cr"] > 0.10 and sum(weights.values()) == pytest.approx(1)
    with pytest.raises(ValueError, match="unknown method"):
        dimension_weights("magic", drivers)


def test_raking_when_only_margins_are_known():
    frame = responses()
    hall_totals = {
        ("A", "2026-07"): 900,
        ("A", "2026-08"): 700,
        ("B", "2026-07"): 300,
        ("B", "2026-08"): 500,
    }
    item_totals = {
        ("s1", "2026-07"): 1000,
        ("s2", "2026-07"): 200,
        ("s1", "2026-08"): 400,
        ("s2", "2026-08"): 800,
    }
    volumes = pd.DataFrame(
        [(h, TOTAL, m, c) for (h, m), c in hall_totals.items()]
        + [(TOTAL, i, m, c) for (i, m), c in item_totals.items()],
        columns=["hall", "item", "month", "count"],
    )
    table = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, trim_ratio=None
    )
    assert any("raked" in note for note in table.notes)
    w = pd.Series(table.design_weights, index=frame.index)
    by_hall = w.groupby([frame["hall"], frame["month"]]).sum()
    by_item = w.groupby([frame["item"], frame["month"]]).sum()
    for key, target in hall_totals.items():
        assert by_hall[key] == pytest.approx(target, rel=1e-6)
    for key, target in item_totals.items():
        assert by_item[key] == pytest.approx(target, rel=1e-6)


def test_raking_without_a_margin_names_the_cell():
    frame = responses()
    volumes = pd.DataFrame(
        [("A", TOTAL, "2026-07", 10), (TOTAL, "s1", "2026-07", 10)],
        columns=["hall", "item", "month", "count"],
    )
    with pytest.raises(
        ValueError, match="hall margin for every respondent: none for A"
    ):
        unit_indices(frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes)


def test_group_by_group_estimates_equal_the_whole_design():
    from surveyapp.analysis.design import SurveyDesign
    from surveyapp.analysis.index import _domain_means

    frame = responses(900, halls="ABCD")
    frame["unit"] = frame["hall"] + frame["item"]  # windows inside halls
    frame["composite"] = composite100(frame)
    volumes = pd.DataFrame(
        [
            (h, i, m, 100 + 37 * k)
            for k, (h, i, m) in enumerate(
                (h, i, m)
                for h in "ABCD"
                for i in ("s1", "s2")
                for m in ("2026-07", "2026-08")
            )
        ],
        columns=["hall", "item", "month", "count"],
    )
    labels, population, _notes = poststrata(frame, volumes)
    frame["ps_cell"] = labels
    design = SurveyDesign(frame, strata="hall", lonely_psu="adjust")
    design = design.poststratify("ps_cell", population)
    design = design.trim(upper=1.2 * design.weights.mean())
    domains = ["unit", ["unit", "month"]]
    estimates = _domain_means(design, frame, domains, population)
    for by, fast in zip(domains, estimates, strict=True):
        slow = design.by(by).mean("composite")
        assert list(fast) == list(slow)
        for key, est in slow.items():
            assert fast[key].value == pytest.approx(est.value, rel=1e-12)
            assert fast[key].se == pytest.approx(est.se, rel=1e-9)
            assert (fast[key].df, fast[key].n) == (est.df, est.n)
            assert fast[key].n_eff == pytest.approx(est.n_eff, rel=1e-12)
