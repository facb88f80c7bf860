"""All domains at once equal R's svyrecvar done the plain way, one domain at a time.

The plain way (below) follows R's code: the domain's linearised variable goes
through each calibration step (post-stratification, ten raking backfits, the
residual of the calibration fit), then the between-unit variance within strata,
stage by stage, with R's lonely-PSU rules. Random designs exercise every path
of the vectorised code: units nested in domains or not, few or many domains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis import SurveyDesign
from surveyapp.analysis.design_calibration import trim_within
from surveyapp.analysis.design_domains import DomainEstimator
from surveyapp.analysis.design_residuals import GregStep, PostStep, RakeStep
from surveyapp.analysis.design_stages import sorted_codes


def plain_variance(design: SurveyDesign, z: np.ndarray) -> float:
    x = z.astype(float)
    for step in design.calibration:
        if isinstance(step, PostStep):
            new = step.new_weights.copy()
            new[(new == 0) & (step.old_weights == 0)] = 1.0
            num = np.bincount(step.codes, x * step.old_weights / new, step.size)
            den = np.bincount(step.codes, step.old_weights, step.size)
            x = x - new * (num / den)[step.codes]
        elif isinstance(step, RakeStep):
            counts = [
                np.bincount(c, minlength=k)
                for c, k in zip(step.codes, step.sizes, strict=True)
            ]
            for _ in range(10):
                for codes, k, psw, n in zip(
                    step.codes, step.sizes, step.new_weights, counts, strict=True
                ):
                    x = x - psw * (np.bincount(codes, x / psw, k) / n)[codes]
        else:
            assert isinstance(step, GregStep)
            x = x - step.w * (step.q @ (step.q.T @ (x / step.w)))
    variance = 0.0
    for stage in design.stages:
        totals = np.bincount(stage.unit, x, len(stage.unit_stratum))
        lonely_count = 0
        part = 0.0
        for h in range(len(stage.n_units)):
            members = totals[stage.unit_stratum == h]
            nh, f = len(members), stage.fraction[h]
            if f < 1e-7:
                continue
            if nh == 1:
                lonely_count += 1
                if design.lonely_psu == "adjust" and stage.number == 1:
                    centre = totals.sum() / len(totals)
                    part += f * (members[0] - centre) ** 2 * stage.multiplier[h]
                continue
            ss = ((members - members.mean()) ** 2).sum()
            part += f * nh / (nh - 1) * ss * stage.multiplier[h]
        strata = len(stage.n_units)
        if design.lonely_psu == "average" and stage.number == 1 and lonely_count:
            part *= strata / (strata - lonely_count)
        variance += part
    return variance


def plain_domain_mean_se(design: SurveyDesign, y: np.ndarray, inside: np.ndarray):
    w = np.where(inside & ~np.isnan(y), design.weights, 0.0)
    y0 = np.where(inside & ~np.isnan(y), y, 0.0)
    mean = (w * y0).sum() / w.sum()
    return mean, np.sqrt(plain_variance(design, w * (y0 - mean) / w.sum()))


def random_design(seed: int, domains: int = 5) -> tuple[SurveyDesign, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(300, 700))
    strata = int(rng.integers(2, 6))
    frame = pd.DataFrame({"h": rng.integers(0, strata, n)})
    frame["psu"] = frame["h"] * 100 + rng.integers(0, int(rng.integers(2, 9)), n)
    frame["w"] = rng.uniform(0.5, 4, n)
    frame["y"] = rng.normal(50, 10, n) + frame["h"] * 2
    frame.loc[rng.random(n) < 0.04, "y"] = np.nan
    frame["x"] = rng.gamma(2, 3, n) + 0.1
    frame["a"] = rng.choice(["p", "q", "r"], n)
    frame["b"] = rng.choice(["u", "v"], n)
    frame["g"] = rng.integers(0, domains, n)
    options = {"weights": "w", "strata": "h", "psu": "psu"}
    if seed % 3 == 1:
        options["lonely_psu"] = ("adjust", "average", "remove")[seed % 9 // 3]
        frame.loc[frame["h"] == 0, "psu"] = 0  # stratum 0: one PSU
    design = SurveyDesign(frame, **options)
    total = frame["w"].sum() * 1.2
    kind = seed % 4
    if kind == 1:
        design = design.poststratify(
            "a", {"p": total * 0.3, "q": total * 0.3, "r": total * 0.4}
        )
    elif kind == 2:
        design = design.rake(
            {
                "a": {"p": total * 0.3, "q": total * 0.3, "r": total * 0.4},
                "b": {"u": total * 0.5, "v": total * 0.5},
            }
        )
    elif kind == 3:
        design = design.poststratify("b", {"u": total * 0.45, "v": total * 0.55})
        design = design.calibrate(
            {"a": {"p": total * 0.3, "q": total * 0.3, "r": total * 0.4}},
            {"x": float((frame["x"] * frame["w"]).sum() * 1.2)},
            calfun="raking",
        )
        design = design.trim(upper=float(design.weights.mean() * 2.5))
    return design, frame


@pytest.mark.parametrize("seed", range(24))
def test_domains_at_once_equal_the_plain_way(seed):
    design, frame = random_design(seed)
    y = frame["y"].to_numpy()
    for column in ("g", "h", "psu"):  # across PSUs, strata as domains, PSUs as domains
        got = design.by(column).mean("y")
        for key, est in list(got.items())[:6]:
            mean, se = plain_domain_mean_se(design, y, frame[column].to_numpy() == key)
            assert est.value == pytest.approx(mean, rel=1e-12)
            assert est.se == pytest.approx(se, rel=1e-9, abs=1e-13)


def test_many_domains_and_units_take_the_hashing_path():
    """5,000 clusters crossing 1,000 domains: more (unit, domain) pairs than are
    marked in an array, so the pairs are found by hashing; same numbers."""
    rng = np.random.default_rng(11)
    n = 20_000
    frame = pd.DataFrame(
        {
            "h": rng.integers(0, 10, n),
            "g": rng.integers(0, 1000, n),
            "w": rng.uniform(1, 3, n),
            "y": rng.normal(0, 1, n),
        }
    )
    frame["psu"] = frame["h"] * 1000 + rng.integers(0, 500, n)
    design = SurveyDesign(frame, weights="w", strata="h", psu="psu")
    got = design.by("g").mean("y")
    for key in (0, 17, 999):
        mean, se = plain_domain_mean_se(
            design, frame["y"].to_numpy(), frame["g"] == key
        )
        assert got[key].value == pytest.approx(mean, rel=1e-12)
        assert got[key].se == pytest.approx(se, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 2, 3, 5])
def test_covariances_give_the_variance_of_every_difference(seed):
    design, frame = random_design(seed)
    y = frame["y"].to_numpy()
    comparison = design.by("g").compare_means("y")
    g = frame["g"].to_numpy()
    ok = ~np.isnan(y)
    w = design.weights

    def lin(inside):
        ww = np.where(inside & ok, w, 0.0)
        y0 = np.where(inside & ok, y, 0.0)
        mean = (ww * y0).sum() / ww.sum()
        return ww * (y0 - mean) / ww.sum()

    overall = lin(np.ones(len(y), bool))
    for i, key in enumerate(comparison.domains[:3]):
        diff, se = comparison.difference(i, -1)
        assert se == pytest.approx(
            np.sqrt(plain_variance(design, lin(g == key) - overall)), rel=1e-9
        )
        j = (i + 1) % len(comparison.domains)
        diff, se = comparison.difference(i, j)
        other = comparison.domains[j]
        assert se == pytest.approx(
            np.sqrt(plain_variance(design, lin(g == key) - lin(g == other))), rel=1e-9
        )


def test_several_variables_at_once_equal_one_at_a_time():
    design, frame = random_design(2)
    by = DomainEstimator(design, frame["g"])
    columns = [frame["y"].to_numpy(), frame["x"].to_numpy(), (frame["y"] > 50) * 1.0]
    together = by.means(columns)
    for values, arrays in zip(columns, together, strict=True):
        alone = by.mean(np.asarray(values, dtype=float))
        for d, key in enumerate(by.domains):
            assert arrays.value[d] == pytest.approx(alone[key].value, rel=1e-12)
            assert arrays.se[d] == pytest.approx(alone[key].se, rel=1e-12)
            assert arrays.df[d] == alone[key].df


def test_two_stage_domains_equal_the_plain_way():
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame(
        {
            "psu": rng.integers(0, 12, n),
            "ssu": rng.integers(0, 4, n),
            "g": rng.integers(0, 3, n),
            "y": rng.normal(10, 2, n),
            "fpc1": 40,
            "fpc2": 9,
        }
    )
    design = SurveyDesign(frame, psu="psu", ssu="ssu", fpc=("fpc1", "fpc2"))
    got = design.by("g").mean("y")
    for key, est in got.items():
        mean, se = plain_domain_mean_se(
            design, frame["y"].to_numpy(), frame["g"] == key
        )
        assert est.se == pytest.approx(se, rel=1e-9)


def test_poststratify_cells_equals_poststratify():
    design, frame = random_design(0)
    targets = {"p": 300.0, "q": 500.0, "r": 200.0}
    by_column = design.poststratify("a", targets)
    codes = frame["a"].map({"p": 0, "q": 1, "r": 2}).to_numpy()
    by_codes = design.poststratify_cells(codes, np.array([300.0, 500.0, 200.0]))
    np.testing.assert_allclose(by_codes.weights, by_column.weights, rtol=1e-12)
    assert by_codes.mean("y").se == pytest.approx(by_column.mean("y").se, rel=1e-12)
    with pytest.raises(ValueError, match="population count"):
        design.poststratify_cells(codes, np.array([1.0, 2.0]))


def test_trim_within_groups_keeps_each_groups_total():
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 4, 200)
    w = rng.lognormal(0, 1.2, 200)
    trimmed, count = trim_within(w, groups, 3.0)
    assert count > 0
    for g in range(4):
        rows = groups == g
        assert trimmed[rows].sum() == pytest.approx(w[rows].sum())
        assert trimmed[rows].max() <= 3.0 * w[rows].mean() + 1e-9
    untouched = trim_within(np.ones(10), np.zeros(10, np.int64), 2.0)
    assert untouched[1] == 0 and (untouched[0] == 1).all()
    with pytest.raises(ValueError, match="exceed 1"):
        trim_within(w, groups, 1.0)


def test_sorted_codes_are_factorize_in_sorted_order():
    values = np.array([7, 3, 3, 10, 0, 7])
    codes, uniques = sorted_codes(values)
    expected_codes, expected = pd.factorize(values, sort=True)
    assert list(codes) == list(expected_codes) and list(uniques) == list(expected)
    assert sorted_codes(np.array([-1, 2])) is None
    assert sorted_codes(np.array(["a", "b"])) is None
    assert sorted_codes(np.array([0, 10**9])) is None


def test_a_calibrated_design_is_replicated_only_after_calibration():
    design, _frame = random_design(1)
    with pytest.raises(ValueError, match="replicates first"):
        design.replicate("JKn")
