"""The pure index table: weights to volumes, design-based precision, bands, ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.design import SurveyDesign
from surveyapp.analysis.design_domains import DomainEstimator
from surveyapp.analysis.design_estimates import proportion_interval
from surveyapp.analysis.index import (
    TOTAL,
    DesignSettings,
    IndexSettings,
    PointsRule,
    dimension_weights,
    poststrata,
    unit_indices,
)
from surveyapp.analysis.index_design import cluster_codes
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
PLAIN = IndexSettings(design=DesignSettings(cluster="response", trim_ratio=None))


def responses(
    n: int = 600, seed: int = 7, halls: str = "AB", shift: dict | None = None
) -> pd.DataFrame:
    """Random answers; ``shift`` moves a hall's drivers up (+) or down (−)."""
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
    for hall, by in (shift or {}).items():
        rows = frame["hall"] == hall
        frame.loc[rows, DRIVERS] = (frame.loc[rows, DRIVERS] + by).clip(1, 5)
    return frame


def composite100(frame: pd.DataFrame) -> pd.Series:
    return ((frame[DRIVERS] - 1) * 25).mean(axis=1)


def volumes_for(frame: pd.DataFrame, seed: int = 1, big=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for hall in sorted(frame["hall"].unique()):
        for item in ("s1", "s2"):
            for month in ("2026-07", "2026-08"):
                count = int(rng.integers(50, 5000))
                if big and (hall, item, month) == big[0]:
                    count = big[1]
                rows.append((hall, item, month, count))
    return pd.DataFrame(rows, columns=["hall", "item", "month", "count"])


def test_unweighted_index_is_the_mean_with_srs_standard_error():
    frame = responses()
    table = unit_indices(frame, drivers=DRIVERS, weights=EQUAL, settings=PLAIN)
    for row in table.units.itertuples():
        scores = composite100(frame[frame["unit"] == row.unit])
        assert row.index == pytest.approx(scores.mean())
        assert row.se == pytest.approx(scores.std(ddof=1) / np.sqrt(len(scores)))
        assert row.n == len(scores) and row.n_eff == pytest.approx(len(scores))
        assert row.df == len(scores) - 1
    assert any("every weight is 1" in note for note in table.notes)
    assert table.overall["index"] == pytest.approx(composite100(frame).mean())


def test_poststratified_index_weights_cells_by_volume():
    frame = responses()
    volumes = volumes_for(frame)
    table = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, settings=PLAIN
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
    assert set(labels) == set(population)


def test_trimming_stays_within_each_hall():
    frame = responses(halls="ABC")
    volumes = volumes_for(frame, big=(("A", "s1", "2026-07"), 100_000))
    settings = IndexSettings(design=DesignSettings(cluster="response", trim_ratio=3))
    table = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, settings=settings
    )
    w = pd.Series(table.design_weights, index=frame.index)
    by_hall = w.groupby(frame["hall"])
    assert (by_hall.max() <= 3.0 * by_hall.mean() + 1e-6).all()
    # Each hall keeps its transactions: the trimmed weight stays in the hall.
    totals = volumes.groupby("hall")["count"].sum()
    for hall, total in by_hall.sum().items():
        assert total == pytest.approx(totals[hall])
    assert any("within the hall" in note for note in table.notes)


def test_one_halls_extreme_weight_does_not_move_another_halls_index():
    frame = responses(halls="ABC")
    settings = IndexSettings(design=DesignSettings(cluster="response", trim_ratio=3))

    def run(big: int) -> pd.DataFrame:
        volumes = volumes_for(frame, big=(("A", "s1", "2026-07"), big))
        table = unit_indices(
            frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, settings=settings
        )
        return table.units.set_index("unit")

    calm, extreme = run(3000), run(300_000)
    assert extreme.loc["A", "index"] != pytest.approx(calm.loc["A", "index"])
    for hall in "BC":
        for column in ("index", "se", "ci_low", "n_eff", "good_rate_se"):
            assert extreme.loc[hall, column] == pytest.approx(
                calm.loc[hall, column], rel=1e-12
            )


def test_bands_follow_the_interval_of_the_difference_from_the_overall():
    frame = responses(900, halls="ABC", shift={"A": 1, "C": -1})
    table = unit_indices(frame, drivers=DRIVERS, weights=EQUAL, settings=PLAIN)
    units = table.units.set_index("unit")
    assert units.loc["A", "band"] == "above" and units.loc["C", "band"] == "below"
    assert units.loc["B", "band"] == "same"
    for row in table.units.itertuples():
        assert row.diff == pytest.approx(row.index - table.overall["index"])
        assert row.diff_ci_low < row.diff < row.diff_ci_high
        expected = (
            "above"
            if row.diff_ci_low > 0
            else "below"
            if row.diff_ci_high < 0
            else "same"
        )
        assert row.band == expected
    # Points by band: 10 above, 6 not different, 0 below.
    assert list(units.loc[["A", "B", "C"], "points"]) == [10.0, 6.0, 0.0]


def test_difference_from_the_overall_by_hand():
    """With equal weights, halls as strata and responses as PSUs, the SE of
    (hall mean − overall mean) is the stratified variance of its linearised
    variable: z_i = 1[i in d](y_i − ȳ_d)/n_d − (y_i − ȳ)/n."""
    frame = responses(400, halls="ABC", seed=3)
    table = unit_indices(frame, drivers=DRIVERS, weights=EQUAL, settings=PLAIN)
    y = composite100(frame).to_numpy()
    halls = frame["hall"].to_numpy()
    for row in table.units.itertuples():
        inside = halls == row.unit
        z = np.where(inside, (y - y[inside].mean()) / inside.sum(), 0.0)
        z -= (y - y.mean()) / len(y)
        var = sum(
            (halls == h).sum()
            / ((halls == h).sum() - 1)
            * ((z[halls == h] - z[halls == h].mean()) ** 2).sum()
            for h in "ABC"
        )
        assert row.diff_se == pytest.approx(np.sqrt(var), rel=1e-10)


def test_ranks_tie_units_that_are_not_separated():
    frame = responses(1200, halls="ABCD", shift={"A": 0.0, "B": 0.0, "D": -1.5})
    frame.loc[frame["hall"] == "C", DRIVERS] = 5.0  # C is clearly the best
    table = unit_indices(frame, drivers=DRIVERS, weights=EQUAL, settings=PLAIN)
    units = table.units.set_index("unit")
    # Rank = 1 + the number of units significantly better.
    assert units.loc["C", "rank"] == 1
    assert units.loc["A", "rank"] == units.loc["B", "rank"] == 2
    assert units.loc["D", "rank"] == 4
    rank_rule = IndexSettings(
        design=PLAIN.design, points=PointsRule(kind="rank", bands=((1, 10.0), (2, 6.0)))
    )
    ranked = unit_indices(frame, drivers=DRIVERS, weights=EQUAL, settings=rank_rule)
    points = ranked.units.set_index("unit")["points"]
    assert list(points[["C", "A", "B", "D"]]) == [10.0, 6.0, 6.0, 0.0]


def test_small_units_are_not_ranked_and_get_no_points():
    frame = pd.concat(
        [responses(), responses(20, seed=3).assign(unit="C", hall="C")],
        ignore_index=True,
    )
    table = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, settings=IndexSettings(min_n_eff=30)
    )
    small = table.units.set_index("unit").loc["C"]
    assert not small["rankable"] and np.isnan(small["rank"])
    assert np.isnan(small["points"]) and pd.isna(small["band"])
    assert table.units[table.units["rankable"]]["rank"].min() == 1


def test_points_rules():
    index = np.array([50.0, 60.0, 77.5, 95.0, 99.0])
    ranks = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    linear = PointsRule(kind="linear").apply(index, ranks)
    assert list(linear) == pytest.approx([0, 0, 5, 10, 10])
    bands = PointsRule(kind="rank", bands=((1, 10.0), (0.6, 6.0)), default=1.0)
    assert list(bands.apply(index, ranks)) == [1.0, 1.0, 6.0, 6.0, 10.0]
    by_band = PointsRule(band_points=(("above", 5), ("same", 3), ("below", 1)))
    got = by_band.apply(
        index, ranks, np.array(["above", "same", None, "below", "same"])
    )
    assert list(got[[0, 1, 3, 4]]) == [5, 3, 1, 3] and np.isnan(got[2])
    with pytest.raises(ValueError, match="points rule"):
        PointsRule(kind="lottery")


def test_settings_round_trip_through_what_a_run_records():
    settings = IndexSettings(
        min_n_eff=12,
        min_driver_share=0.4,
        band_level=0.99,
        design=DesignSettings(cluster="response", fpc=True, trim_ratio=4, level=0.9),
        points=PointsRule(kind="rank", bands=((2, 8.0), (0.5, 4.0))),
    )
    assert IndexSettings.from_dict(settings.to_dict()) == settings
    assert IndexSettings.from_dict(IndexSettings().to_dict()) == IndexSettings()


def test_min_driver_share_is_applied():
    frame = responses(300)
    # Ten respondents answered only the lightest driver.
    frame.loc[:9, DRIVERS[1:]] = np.nan
    weights = {"timeliness": 1, **dict.fromkeys(DRIVERS[1:], 3)}

    def index(share: float) -> tuple[float, int]:
        table = unit_indices(
            frame,
            drivers=DRIVERS,
            weights=weights,
            settings=IndexSettings(min_driver_share=share, design=PLAIN.design),
        )
        return float(table.units["index"].sum()), table.units["n"].sum()

    (strict, n_strict), (loose, n_loose) = index(0.5), index(0.0)
    assert n_loose - n_strict == 10 and strict != pytest.approx(loose)


def test_trend_by_month_has_intervals():
    table = unit_indices(responses(), drivers=DRIVERS, weights=EQUAL, settings=PLAIN)
    months = table.trend["A"]
    assert set(months) == {"2026-07", "2026-08"}
    for value in months.values():
        assert value["ci_low"] < value["index"] < value["ci_high"]


def test_rates_and_drivers_have_design_based_intervals():
    frame = responses(500, halls="AB")
    volumes = volumes_for(frame)
    table = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, settings=PLAIN
    )
    data = frame.reset_index(drop=True).copy()
    data["stratum"] = pd.factorize(data["hall"])[0]
    data["psu"] = np.arange(len(data))
    labels, population, _notes = poststrata(data, volumes)
    data["cell"] = labels
    design = SurveyDesign(data, strata="stratum", psu="psu", lonely_psu="adjust")
    design = design.poststratify("cell", population)
    by_hall = DomainEstimator(design, data["hall"])
    overall = data["overall"].to_numpy()
    good = by_hall.mean(np.where(overall >= 4, 1.0, 0.0))
    driver = by_hall.mean(((data["attitude"] - 1) * 25).to_numpy())
    for row in table.units.itertuples():
        est = good[row.unit]
        assert row.good_rate == pytest.approx(est.value, rel=1e-12)
        assert row.good_rate_se == pytest.approx(est.se, rel=1e-9)
        low, high = proportion_interval(est.value, est.se, est.df)
        assert (row.good_rate_ci_low, row.good_rate_ci_high) == pytest.approx(
            (low, high), rel=1e-9
        )
        assert 0 <= row.bad_rate_ci_low < row.bad_rate < row.bad_rate_ci_high <= 1
        interval = row.driver_intervals["attitude"]
        assert row.driver_scores["attitude"] == pytest.approx(driver[row.unit].value)
        assert interval["se"] == pytest.approx(driver[row.unit].se, rel=1e-9)
        assert interval["ci_low"] < row.driver_scores["attitude"] < interval["ci_high"]


def test_window_day_clusters_widen_the_interval():
    rng = np.random.default_rng(5)
    frame = responses(1500, halls="AB")
    frame["window"] = frame["hall"] + rng.integers(0, 3, len(frame)).astype(str)
    frame["day"] = rng.integers(0, 20, len(frame))
    # A shared effect per window and day: its responses move together.
    effect = frame.groupby(["window", "day"])["overall"].transform(
        lambda s: rng.normal(0, 1.2)
    )
    frame[DRIVERS] = (frame[DRIVERS].add(effect.round(), axis=0)).clip(1, 5)
    plain = unit_indices(frame, drivers=DRIVERS, weights=EQUAL, settings=PLAIN)
    clustered = unit_indices(
        frame,
        drivers=DRIVERS,
        weights=EQUAL,
        settings=IndexSettings(design=DesignSettings(trim_ratio=None)),
    )
    p, c = plain.units.set_index("unit"), clustered.units.set_index("unit")
    for hall in "AB":
        assert c.loc[hall, "index"] == pytest.approx(p.loc[hall, "index"])
        assert c.loc[hall, "se"] > 1.5 * p.loc[hall, "se"]
        clusters = frame[frame["hall"] == hall][["window", "day"]].drop_duplicates()
        assert c.loc[hall, "df"] == len(clusters) - 1
    assert any("clustered by window and day" in note for note in clustered.notes)


def test_responses_without_a_window_are_their_own_clusters():
    frame = pd.DataFrame(
        {"window": ["w1", "w1", None, "w2", None], "day": [1, 1, 1, 1, 1]}
    )
    codes = cluster_codes(frame, "window_day")
    assert codes[0] == codes[1] and len(set(codes)) == 4
    assert len(set(cluster_codes(frame, "response"))) == 5


def test_fpc_scales_each_halls_variance_by_one_minus_its_sampling_fraction():
    frame = responses(400)
    volumes = volumes_for(frame)
    base = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, settings=PLAIN
    )
    settings = IndexSettings(
        design=DesignSettings(cluster="response", fpc=True, trim_ratio=None)
    )
    corrected = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, settings=settings
    )
    b, c = base.units.set_index("unit"), corrected.units.set_index("unit")
    for hall in "AB":
        n = int((frame["hall"] == hall).sum())
        fraction = n / volumes[volumes["hall"] == hall]["count"].sum()
        assert c.loc[hall, "se"] ** 2 == pytest.approx(
            (1 - fraction) * b.loc[hall, "se"] ** 2, rel=1e-9
        )
    assert any("finite-population correction" in n for n in corrected.notes)


def test_fpc_without_volumes_is_not_applied():
    settings = IndexSettings(design=DesignSettings(cluster="response", fpc=True))
    table = unit_indices(responses(), drivers=DRIVERS, weights=EQUAL, settings=settings)
    plain = unit_indices(responses(), drivers=DRIVERS, weights=EQUAL, settings=PLAIN)
    assert list(table.units["se"]) == pytest.approx(list(plain.units["se"]))
    assert any("no finite-population correction" in n for n in table.notes)


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


def test_entropy_and_regression_weights_use_the_survey_weights():
    frame = responses(800, halls="ABCD", shift={"A": 1})
    drivers = (frame[DRIVERS] - 1) * 25
    w = np.where(frame["item"] == "s1", 5.0, 1.0)
    entropy, _ = dimension_weights(
        "entropy", drivers, units=frame["unit"], survey_weights=w
    )
    from surveyapp.analysis.weights import entropy_weights, regression_importance

    means = (
        drivers.mul(w, axis=0)
        .groupby(frame["unit"])
        .sum()
        .div(pd.Series(w).groupby(frame["unit"].to_numpy()).sum(), axis=0)
    )
    assert list(entropy.values()) == pytest.approx(list(entropy_weights(means)))
    unweighted, _ = dimension_weights("entropy", drivers, units=frame["unit"])
    assert list(entropy.values()) != pytest.approx(list(unweighted.values()))
    regression, _ = dimension_weights(
        "regression", drivers, frame["overall"], survey_weights=w
    )
    # Weighted least squares: the fit on rows repeated as often as their weight.
    repeated = np.repeat(np.arange(len(frame)), w.astype(int))
    expected = regression_importance(
        frame["overall"].to_numpy()[repeated], drivers.to_numpy()[repeated]
    )
    assert list(regression.values()) == pytest.approx(list(expected), rel=1e-9)


def test_method_weights_come_from_the_run():
    frame = responses(500, halls="ABC")
    table = unit_indices(frame, drivers=DRIVERS, method="entropy", settings=PLAIN)
    assert sum(table.dimension_weights.values()) == pytest.approx(1)
    assert table.weight_details == {"units": 3}


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
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, settings=PLAIN
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


def test_units_inside_halls_match_a_design_built_by_hand():
    frame = responses(900, halls="ABCD")
    frame["unit"] = frame["hall"] + frame["item"]  # windows inside halls
    volumes = volumes_for(frame)
    table = unit_indices(
        frame, drivers=DRIVERS, weights=EQUAL, volumes=volumes, settings=PLAIN
    )
    data = frame.reset_index(drop=True)
    labels, population, _notes = poststrata(data, volumes)
    data = data.assign(cell=labels, score=composite100(data))
    design = SurveyDesign(data, strata="hall", lonely_psu="adjust")
    expected = design.poststratify("cell", population).by("unit").mean("score")
    for row in table.units.itertuples():
        est = expected[row.unit]
        assert row.index == pytest.approx(est.value, rel=1e-12)
        assert row.se == pytest.approx(est.se, rel=1e-9)
        assert (row.n, row.df) == (est.n, est.df)


def test_rank_and_share_cutoffs_survive_the_record():
    import json

    rule = PointsRule(kind="rank", bands=((2, 10.0), (1.0, 4.0)))
    again = PointsRule.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert again == rule and isinstance(again.bands[1][0], float)
