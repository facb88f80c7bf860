"""Design-based estimates reproduce the values printed by R's survey package."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis import Estimate, SurveyDesign
from surveyapp.analysis.design import (
    EmptyCellError,
    LonelyPSUError,
    MarginTotalsError,
    MissingTargetError,
    NegativeWeightError,
    RakingConvergenceError,
    estimates_frame,
)
from tests.conftest import SHARED_DATA

API = SHARED_DATA / "survey_reference" / "api"
needs_api = pytest.mark.skipif(
    not API.is_dir(), reason=f"R survey reference data not found at {API}"
)

POP_TYPES = {"E": 4421, "H": 755, "M": 1018}
POP_SCHWIDE = {"No": 1072, "Yes": 5122}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(API / f"{name}.csv")


@pytest.fixture(scope="module")
def dstrat() -> SurveyDesign:
    return SurveyDesign(_read("apistrat"), weights="pw", strata="stype", fpc="fpc")


@pytest.fixture(scope="module")
def dclus1() -> SurveyDesign:
    return SurveyDesign(_read("apiclus1"), weights="pw", psu="dnum", fpc="fpc")


@pytest.fixture(scope="module")
def dclus2() -> SurveyDesign:
    return SurveyDesign(_read("apiclus2"), psu="dnum", ssu="snum", fpc=("fpc1", "fpc2"))


def _close(got: float, printed: float | str, slack: float = 1e-9) -> None:
    """Agreement with R's output at its printed precision (half its last digit)."""
    text = str(printed)
    decimals = len(text.split(".")[1]) if "." in text else 0
    bound = 0.5 * 10.0**-decimals + slack * abs(float(text))
    assert abs(got - float(text)) <= bound, (got, text)


# Source: EXPECTED.md (R survey 4.5) and cran/survey tests/api.Rout.save.
@needs_api
@pytest.mark.parametrize(
    ("design", "kind", "column", "value", "se"),
    [
        ("dstrat", "mean", "api00", 662.2873631593, 9.408940803),
        ("dstrat", "total", "enroll", 3687178, 114642),
        ("dclus1", "mean", "api00", 644.1693989071, 23.54224069),
        ("dclus1", "total", "enroll", 3404940, 932235),
        ("dclus2", "mean", "api00", 670.81, 30.099),
        ("dclus2", "total", "enroll", 2639273, 799638),
    ],
)
def test_r_published_estimates(
    request: pytest.FixtureRequest,
    design: str,
    kind: str,
    column: str,
    value: float,
    se: float,
) -> None:
    est = getattr(request.getfixturevalue(design), kind)(column)
    _close(est.value, value)
    _close(est.se, se)


@needs_api
def test_two_stage_with_replacement() -> None:
    # tests/api.Rout.save: dclus2wr <- svydesign(id=~dnum+snum, weights=~pw)
    d = SurveyDesign(_read("apiclus2"), weights="pw", psu="dnum", ssu="snum")
    _close(d.mean("api00").se, 30.712)
    _close(d.total("enroll").se, 820261)


@needs_api
def test_fpc_implies_weights(dclus2: SurveyDesign) -> None:
    np.testing.assert_allclose(dclus2.weights, _read("apiclus2")["pw"], rtol=1e-12)


@needs_api
def test_fpc_as_fraction_matches_population_size() -> None:
    frame = _read("apistrat")
    n_h = frame.groupby("stype")["stype"].transform("size")
    frame["frac"] = n_h / frame["fpc"]
    a = SurveyDesign(frame, weights="pw", strata="stype", fpc="fpc").mean("api00")
    b = SurveyDesign(frame, weights="pw", strata="stype", fpc="frac").mean("api00")
    assert a.se == pytest.approx(b.se, rel=1e-12)


@needs_api
def test_missing_values_are_dropped_and_counted(dstrat: SurveyDesign) -> None:
    est = dstrat.total("enroll")
    n_na = int(_read("apistrat")["enroll"].isna().sum())
    assert est.n_missing == n_na
    assert est.n == 200 - n_na


@needs_api
def test_estimate_fields(dclus1: SurveyDesign) -> None:
    est = dclus1.mean("api00")
    assert isinstance(est, Estimate)
    assert est.df == 14  # 15 PSUs, 1 stratum (R degf)
    assert est.ci_low < est.value < est.ci_high
    # Kish: all apiclus1 weights are equal.
    assert est.deff == pytest.approx(1.0)
    assert est.n_eff == pytest.approx(183)
    with pytest.raises(AttributeError):
        est.value = 0  # type: ignore[misc]


# Source: cran/survey tests/api.Rout.save (dclus1p <- postStratify(dclus1, ...)).
@needs_api
def test_poststratify(dclus1: SurveyDesign) -> None:
    post = dclus1.poststratify("stype", POP_TYPES)
    _close(post.mean("api00").value, 642.31)
    # Ours is 23.920486: 6e-7 (relative) under R's rounding boundary 23.9205.
    _close(post.mean("api00").se, 23.921, slack=1e-6)
    _close(post.total("enroll").value, 3680893)
    _close(post.total("enroll").se, 406293)
    frame = pd.DataFrame({"stype": list(POP_TYPES), "Freq": list(POP_TYPES.values())})
    again = dclus1.poststratify("stype", frame)
    assert again.mean("api00").se == pytest.approx(post.mean("api00").se)


# Source: cran/survey tests/rakecheck.Rout.save (dclus1r <- rake(dclus1, ...)).
@needs_api
def test_rake(dclus1: SurveyDesign) -> None:
    raked = dclus1.rake({"stype": POP_TYPES, "sch.wide": POP_SCHWIDE})
    _close(raked.mean("api00").value, 641.23)
    _close(raked.mean("api00").se, 23.704)
    _close(raked.total("enroll").se, 400603)
    # Fully converged raking equals calibrate(calfun="raking"): printed 3647280.
    _close(raked.total("enroll").value, 3647280)
    for column, targets in (("stype", POP_TYPES), ("sch.wide", POP_SCHWIDE)):
        got = pd.Series(raked.weights).groupby(raked.frame[column]).sum()
        for key, target in targets.items():
            assert got[key] == pytest.approx(target, rel=1e-8)


@needs_api
def test_rake_with_r_stopping_rule(dclus1: SurveyDesign) -> None:
    # rakecheck.Rout.save: R's rake() stops at control epsilon=1, maxit=10.
    raked = dclus1.rake(
        {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, max_iter=10, epsilon=1
    )
    _close(raked.total("enroll").value, 3647300)
    _close(raked.total("enroll").se, 400603)
    _close(raked.mean("api00").se, 23.704)


# Source: r-survey.r-forge.r-project.org/survey/example-domain.html (svyby output).
@needs_api
@pytest.mark.parametrize(
    ("key", "api00", "se"),
    [
        (("E", "No"), 596.3333, 43.49010),
        (("E", "Yes"), 653.6439, 20.31720),
        (("H", "No"), 659.3333, 27.00275),
        (("H", "Yes"), 607.4545, 43.70468),
        (("M", "No"), 606.3750, 41.11686),
    ],
)
def test_svyby_two_factors(
    dclus1: SurveyDesign, key: tuple[str, str], api00: float, se: float
) -> None:
    est = dclus1.by(["stype", "sch.wide"]).mean("api00")[key]
    _close(est.value, api00)
    _close(est.se, se)


@needs_api
def test_svyby_one_factor(dclus1: SurveyDesign) -> None:
    # example-domain.html: svyby(~api99, ~stype, dclus1, svymean)
    means = dclus1.by("stype").mean("api99")
    assert list(means) == ["E", "H", "M"]
    for key, value in {"E": 607.7917, "H": 595.7143, "M": 608.6000}.items():
        _close(means[key].value, value)
    frame = estimates_frame(means)
    assert list(frame.index) == ["E", "H", "M"] and "se" in frame.columns


@needs_api
def test_domain_total() -> None:
    # example-domain.html: svytotal(~enroll, subset(dclus1, sch.wide=="Yes" & ...))
    frame = _read("apiclus1")
    frame["both"] = (frame["sch.wide"] == "Yes") & (frame["comp.imp"] == "Yes")
    d = SurveyDesign(frame, weights="pw", psu="dnum", fpc="fpc")
    est = d.by("both").total("enroll")[True]
    _close(est.value, 2406420)
    _close(est.se, 645444)


@needs_api
def test_domain_mean_equals_ratio(dstrat: SurveyDesign) -> None:
    # tests/domain.Rout.save: a domain mean is svyratio(~I(y*d), ~as.numeric(d)).
    frame = dstrat.frame.copy()
    frame["d"] = (frame["comp.imp"] == "Yes").astype(float)
    frame["yd"] = frame["enroll"] * frame["d"]
    d = SurveyDesign(frame, weights="pw", strata="stype", fpc="fpc")
    dom = d.by("comp.imp").mean("enroll")["Yes"]
    rat = d.ratio("yd", "d")
    assert dom.value == pytest.approx(rat.value, rel=1e-12)
    assert dom.se == pytest.approx(rat.se, rel=1e-9)


@needs_api
def test_ratio_equals_linearised_totals(dstrat: SurveyDesign) -> None:
    est = dstrat.ratio("api.stu", "enroll")
    frame = dstrat.frame
    assert est.value == pytest.approx(
        (frame.pw * frame["api.stu"]).sum() / (frame.pw * frame.enroll).sum()
    )
    assert 0 < est.se < 0.01


# Source: cran/survey tests/lonely.psu.Rout.save (strata=~dnum, id=~1).
@needs_api
@pytest.mark.parametrize(
    ("option", "se"),
    [
        ("remove", 5.8058),
        ("certainty", 5.8058),
        ("adjust", 5.8281),
        ("average", 6.0096),
    ],
)
def test_lonely_psu(option: str, se: float) -> None:
    d = SurveyDesign(_read("apiclus1"), weights="pw", strata="dnum", lonely_psu=option)
    _close(d.mean("api00").value, 644.17)
    _close(d.mean("api00").se, se)


@needs_api
def test_lonely_psu_fails_naming_the_stratum() -> None:
    d = SurveyDesign(_read("apiclus1"), weights="pw", strata="dnum")
    with pytest.raises(LonelyPSUError, match="413"):
        d.mean("api00")


@needs_api
@pytest.mark.parametrize("option", ["fail", "remove", "certainty", "adjust", "average"])
def test_lonely_certainty_stratum_by_fpc(option: str) -> None:
    # lonely.psu.Rout.save: fpc <- ifelse(dnum==413, 1, 1000) gives 5.7344 throughout.
    frame = _read("apiclus1")
    frame["f"] = np.where(frame["dnum"] == 413, 1, 1000)
    d = SurveyDesign(frame, weights="pw", strata="dnum", fpc="f", lonely_psu=option)
    _close(d.mean("api00").se, 5.7344)


# Source: cran/survey tests/deff.Rout.save (Takahiro Tsuchiya's example data).
KIGYO = pd.DataFrame(
    {
        "uriage": [15, 143, 21, 51, 337, 50, 274, 145, 15, 86],
        "srs_w": [100] * 10,
        "pps_w": [20, 200, 11, 25, 550, 30, 250, 100, 10, 55],
    }
)


def test_design_effect_srs() -> None:
    d = SurveyDesign(KIGYO, weights="srs_w")
    mean, total = d.mean("uriage"), d.total("uriage")
    _close(mean.value, 113.700)
    _close(mean.se, 35.626)
    _close(mean.deff_design, 1.0101)
    _close(total.value, 113700)
    _close(total.se, 35626)
    _close(total.deff_design, 1.0101)


def test_unequal_weights() -> None:
    d = SurveyDesign(KIGYO, weights="pps_w")
    _close(d.mean("uriage").value, 243.914)
    _close(d.mean("uriage").se, 48.752)
    _close(d.total("uriage").value, 305136)
    _close(d.total("uriage").se, 184965)
    w = KIGYO["pps_w"].to_numpy(float)
    assert d.mean("uriage").n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert d.mean("uriage").deff == pytest.approx(10 * (w**2).sum() / w.sum() ** 2)


def test_normal_interval() -> None:
    est = SurveyDesign(KIGYO, weights="pps_w", ci="normal").mean("uriage")
    assert est.ci_high - est.value == pytest.approx(1.959963985 * est.se)


@pytest.mark.parametrize(("upper", "lower"), [(300, 15), (200, -np.inf), (np.inf, 40)])
def test_trim_keeps_total_and_bounds(upper: float, lower: float) -> None:
    d = SurveyDesign(KIGYO, weights="pps_w")
    trimmed = d.trim(upper=upper, lower=lower).weights
    assert trimmed.sum() == pytest.approx(KIGYO["pps_w"].sum())
    assert trimmed.max() <= upper + 1e-9
    assert trimmed.min() >= lower - 1e-9


def test_trim_impossible_bounds() -> None:
    with pytest.raises(ValueError, match="bounds"):
        SurveyDesign(KIGYO, weights="pps_w").trim(upper=50)


def _toy() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "a": rng.choice(["x", "y"], 60),
            "b": rng.choice(["p", "q", "r"], 60),
            "w": rng.uniform(1, 3, 60),
            "score": rng.normal(50, 10, 60),
        }
    )


def test_rake_margins_hit_targets() -> None:
    d = SurveyDesign(_toy(), weights="w")
    targets = {"a": {"x": 600, "y": 400}, "b": {"p": 300, "q": 300, "r": 400}}
    raked = d.rake(targets, tol=1e-10)
    for column, cells in targets.items():
        got = pd.Series(raked.weights).groupby(raked.frame[column]).sum()
        for key, value in cells.items():
            assert got[key] == pytest.approx(value, rel=1e-9)


@pytest.mark.parametrize(
    ("population", "error"),
    [
        ({"x": 10, "y": 20, "z": 5}, EmptyCellError),
        ({"x": 10}, MissingTargetError),
    ],
)
def test_poststratify_errors(population: dict[str, float], error: type) -> None:
    with pytest.raises(error):
        SurveyDesign(_toy(), weights="w").poststratify("a", population)


def test_rake_errors() -> None:
    d = SurveyDesign(_toy(), weights="w")
    with pytest.raises(MarginTotalsError):
        d.rake({"a": {"x": 600, "y": 400}, "b": {"p": 1, "q": 1, "r": 1}})
    with pytest.raises(RakingConvergenceError, match="a|b"):
        d.rake(
            {"a": {"x": 600, "y": 400}, "b": {"p": 300, "q": 300, "r": 400}},
            max_iter=1,
            tol=1e-14,
        )


def test_rake_cannot_converge_with_structural_conflict() -> None:
    frame = pd.DataFrame({"a": ["x", "x", "y"], "b": ["p", "p", "q"], "w": 1.0})
    d = SurveyDesign(frame, weights="w")
    with pytest.raises(RakingConvergenceError) as info:
        d.rake({"a": {"x": 10, "y": 10}, "b": {"p": 5, "q": 15}}, max_iter=30)
    assert set(info.value.failed) <= {"a", "b"} and info.value.failed


def test_negative_and_missing_weights() -> None:
    frame = _toy()
    frame.loc[0, "w"] = -1
    with pytest.raises(NegativeWeightError):
        SurveyDesign(frame, weights="w")
    frame.loc[0, "w"] = np.nan
    with pytest.raises(NegativeWeightError):
        SurveyDesign(frame, weights="w")


def test_psu_not_nested() -> None:
    frame = pd.DataFrame({"h": [1, 1, 2, 2], "c": [1, 2, 1, 2], "y": [1.0, 2, 3, 4]})
    with pytest.raises(ValueError, match="nest"):
        SurveyDesign(frame, strata="h", psu="c")
    assert SurveyDesign(frame, strata="h", psu="c", nest=True).degf == 2


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="lonely_psu"):
        SurveyDesign(_toy(), lonely_psu="nope")
