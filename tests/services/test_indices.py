"""Index runs end to end on demo data: compute, freeze, publish, supersede, export."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.extensions import db as _db
from surveyapp.models import IndexResult, IndexRun, PublishedRunChanged, Response
from surveyapp.models.base import utcnow
from surveyapp.services.indices.exports import COLUMNS, export_run
from surveyapp.services.indices.runs import (
    IndexRunError,
    ahp_check,
    compare_runs,
    compute_run,
    pairwise_matrix,
    parse_period,
    publish_run,
    supersede_run,
    verify_run,
)
from surveyapp.services.indices.volumes import import_volumes
from surveyapp.services.questionnaires.default import DRIVER_KEYS


def demo_period() -> str:
    """The 90 days of demo responses, as explicit local dates."""
    today = (utcnow() + timedelta(hours=8)).date()
    return f"{today - timedelta(days=95)}..{today}"


@pytest.fixture()
def responses(db):
    from surveyapp.services.admin.demo import seed_demo

    seed_demo(responses=1500)
    return db


def test_parse_period_forms():
    q3 = parse_period("2026-Q3")
    assert (q3.start.isoformat(), q3.end.isoformat()) == ("2026-07-01", "2026-09-30")
    assert parse_period("2026-02").end.isoformat() == "2026-02-28"
    assert parse_period("2026").end.isoformat() == "2026-12-31"
    start, end = parse_period("2026-07").utc_bounds("Asia/Shanghai")
    assert start.isoformat() == "2026-06-30T16:00:00"
    assert end.isoformat() == "2026-07-31T16:00:00"
    for bad in ("2026-Q5", "July", "2026-09-30..2026-07-01", "2026-13"):
        with pytest.raises(IndexRunError):
            parse_period(bad)


def test_hall_run_end_to_end(app, responses):
    run = compute_run(demo_period(), "hall")
    assert run.status == "draft" and run.response_count == 1500
    assert len(run.results) == 8
    assert any("every weight is 1" in note for note in run.method_notes)
    assert any("clustered by window and day" in note for note in run.method_notes)
    first = run.results[0]
    assert first.rank == 1 and first.rankable
    assert first.ci_low < first.index < first.ci_high
    assert first.n_eff == pytest.approx(first.n)  # equal weights
    assert 0 <= first.good_rate_ci_low < first.good_rate < first.good_rate_ci_high <= 1
    assert 0 <= first.bad_rate_ci_low <= first.bad_rate < first.bad_rate_ci_high <= 1
    assert first.good_rate_se > 0
    assert set(first.driver_scores) == set(DRIVER_KEYS) == set(first.driver_intervals)
    for key, interval in first.driver_intervals.items():
        assert interval["ci_low"] < first.driver_scores[key] < interval["ci_high"]
    assert first.trend and all("ci_low" in v for v in first.trend.values())
    assert run.overall["ci_low"] < run.overall["index"] < run.overall["ci_high"]
    for result in run.results:
        diff = result.vs_overall
        assert diff["diff"] == pytest.approx(result.index - run.overall["index"])
        expected = (
            "above"
            if diff["ci_low"] > 0
            else "below"
            if diff["ci_high"] < 0
            else "same"
        )
        assert result.band == expected
        assert result.points == {"above": 10.0, "same": 6.0, "below": 0.0}[expected]
    # Rank = 1 + the number of halls significantly better: ties where not separated.
    ranks = [r.rank for r in run.results]
    assert ranks == sorted(ranks) and len(set(ranks)) < len(ranks)
    assert len(run.code_version) > 0 and len(run.inputs_sha256) == 64


def test_same_inputs_give_same_numbers(app, responses):
    first = compute_run(demo_period(), "window")
    again = compute_run(demo_period(), "window", cutoff=first.cutoff)
    assert first.inputs_sha256 == again.inputs_sha256
    numbers = [(r.unit_code, r.index, r.se, r.rank) for r in first.results]
    assert numbers == [(r.unit_code, r.index, r.se, r.rank) for r in again.results]


def test_cutoff_keeps_later_responses_out(app, responses):
    first = compute_run(demo_period(), "hall")
    late = _db.session.scalar(select(Response).limit(1))
    late.created_at = first.cutoff + timedelta(hours=1)
    _db.session.commit()
    again = compute_run(demo_period(), "hall", cutoff=first.cutoff)
    assert again.response_count == first.response_count - 1


def test_exclusions_counted_per_unit(app, responses):
    rows = _db.session.scalars(select(Response).order_by(Response.id).limit(3)).all()
    rows[0].verdict = "rejected"
    rows[1].verdict = "flagged"
    rows[2].answers = {"overall": 4, "drivers": {"timeliness": 4}}
    _db.session.commit()
    run = compute_run(demo_period(), "hall")
    assert run.excluded == {
        "rejected": 1,
        "flagged": 1,
        "missing_drivers": 1,
        "no_unit": 0,
    }
    assert sum(r.excluded_total for r in run.results) == 3
    assert run.response_count == 1500
    app.config["INDEX_INCLUDE_FLAGGED"] = True
    try:
        assert compute_run(demo_period(), "hall").excluded["flagged"] == 0
    finally:
        app.config["INDEX_INCLUDE_FLAGGED"] = False


def test_small_units_not_rankable(app, responses):
    run = compute_run(demo_period(), "service_item")
    small = [r for r in run.results if r.n_eff < 30]
    assert small and all(not r.rankable and r.rank is None for r in small)
    assert all(r.points is None for r in small)
    assert all(r.rank is not None for r in run.results if r.rankable)


@pytest.mark.parametrize("level", ["department", "region"])
def test_other_levels(app, responses, level):
    run = compute_run(demo_period(), level)
    assert sum(r.n for r in run.results) == 1500


@pytest.mark.parametrize("method", ["entropy", "regression"])
def test_derived_dimension_weights(app, responses, method):
    run = compute_run(demo_period(), "hall", method)
    assert sum(run.dimension_weights.values()) == pytest.approx(1.0)
    assert run.method == method


def test_ahp_refuses_inconsistent_judgements(app, responses):
    matrix = pairwise_matrix({(0, 1): 9, (1, 2): 9, (0, 2): 1 / 9}, 6)
    assert ahp_check(matrix)["cr"] > 0.10
    with pytest.raises(IndexRunError, match="consistency ratio"):
        compute_run(demo_period(), "hall", "ahp", pairwise=matrix)
    run = compute_run(demo_period(), "hall", "ahp", pairwise=matrix, override_cr=True)
    assert run.parameters["method_details"]["cr"] > 0.10
    consistent = pairwise_matrix({(0, j): 2 for j in range(1, 6)}, 6)
    check = ahp_check(consistent)
    assert check["consistent"] and check["weights"]["timeliness"] == pytest.approx(
        2 / 7
    )


def _import_city_volumes(months: list[str]) -> None:
    lines = ["hall_code,service_item_code,month,count"]
    # The city hall's transactions are mostly provident fund withdrawals.
    for month in months:
        lines.append(f"H450900,S450900-hf-withdraw,{month},5000")
        lines += [
            f"H450900,S450900-{k},{month},10"
            for k in (
                "re-transfer",
                "re-mortgage",
                "hf-loan",
                "mr-license",
                "mr-food",
                "hr-card",
                "hr-pension",
                "hi-remote",
                "hi-claim",
                "ps-id",
                "ps-hukou",
                "ps-exit",
                "tx-invoice",
                "tx-iit",
            )
        ]
        lines.append(f"H450981,,{month},3000")
    import_volumes("\n".join(lines).encode(), "volumes.csv")


def test_volumes_weight_the_index(app, responses):
    period = demo_period()
    unweighted = compute_run(period, "hall")
    _import_city_volumes(sorted({m for r in unweighted.results for m in r.trend}))
    weighted = compute_run(period, "hall", cutoff=unweighted.cutoff)
    assert weighted.inputs_sha256 != unweighted.inputs_sha256
    assert any("post-stratified" in note for note in weighted.method_notes)
    city = {r.unit_code: r for r in weighted.results}["H450900"]
    assert city.n_eff < city.n and city.deff > 1
    assert verify_run(weighted) == []
    assert verify_run(weighted, {"fpc": True})
    assert verify_run(weighted, {"trim_ratio": 1.5})


def test_publish_freezes_and_supersede_keeps_both(app, responses, make_user):
    admin = make_user()
    run = compute_run(demo_period(), "hall")
    publish_run(run, admin)
    with pytest.raises(IndexRunError):
        publish_run(run)
    run.results[0].index = 1.0
    with pytest.raises(PublishedRunChanged):
        _db.session.commit()
    _db.session.rollback()
    run.method = "ahp"
    with pytest.raises(PublishedRunChanged):
        _db.session.commit()
    _db.session.rollback()
    fix = compute_run(demo_period(), "hall", "entropy")
    with pytest.raises(IndexRunError, match="reason"):
        supersede_run(run, fix, "  ")
    supersede_run(run, fix, "entropy weights agreed", admin)
    assert run.status == "superseded" and fix.status == "published"
    assert fix.supersedes_id == run.id
    assert _db.session.get(IndexRun, run.id).results
    assert _db.session.scalar(select(IndexResult).where(IndexResult.run_id == run.id))


def test_exports(app, responses):
    run = compute_run(demo_period(), "hall")
    book = load_workbook(io.BytesIO(export_run(run, "xlsx")))
    assert book.sheetnames == ["indices", "method"]
    rows = list(book["indices"].values)
    assert list(rows[0])[: len(COLUMNS)] == [header for _key, header in COLUMNS]
    drivers = list(rows[0])[len(COLUMNS) :]
    assert drivers[:4] == [
        "timeliness",
        "timeliness_se",
        "timeliness_ci_low",
        "timeliness_ci_high",
    ]
    assert len(drivers) == 4 * len(DRIVER_KEYS)
    assert len(rows) == 9 and rows[1][0] == run.results[0].unit_code
    method = dict(book["method"].values)
    assert method["code version"] == run.code_version
    assert "weight: timeliness" in method
    data = json.loads(export_run(run, "json"))
    assert data["run"]["id"] == run.id and len(data["results"]) == 8
    text = export_run(run, "csv").decode("utf-8-sig")
    assert text.splitlines()[0].startswith("unit_code,unit_name,period,n,n_eff")
    header = text.splitlines()[0].split(",")
    for column in ("band", "rank", "points", "好评率_ci_low", "差评率_se"):
        assert column in header
    assert data["results"][0]["band"] == run.results[0].band
    assert data["run"]["overall"]["index"] == run.overall["index"]


def test_compare_runs(app, responses):
    a = compute_run(demo_period(), "hall")
    b = compute_run(demo_period(), "hall", "entropy")
    rows = compare_runs(a, b)
    assert len(rows) == 8 and all(r.change is not None for r in rows)
    with pytest.raises(IndexRunError):
        compare_runs(a, compute_run(demo_period(), "region"))


def test_margins_only_volumes_are_raked(app, responses):
    from surveyapp.services.indices.inputs import load_frame, parse_period

    period = demo_period()
    plain = compute_run(period, "hall")
    frame = load_frame(
        parse_period(period), "hall", plain.cutoff, False, "Asia/Shanghai"
    )
    cells = frame.groupby(["hall", "item", "month"]).size().reset_index()
    lines = ["hall_code,service_item_code,month,count"]
    # Item margins over all halls; each hall's total is the sum of its items.
    for k, row in enumerate(cells.itertuples()):
        lines.append(f",{row.item},{row.month},{20 + k % 7 * 10}")
    hall_totals = {}
    for k, row in enumerate(cells.itertuples()):
        key = (row.hall, row.month)
        hall_totals[key] = hall_totals.get(key, 0) + 20 + k % 7 * 10
    lines += [f"{h},,{m},{c}" for (h, m), c in hall_totals.items()]
    import_volumes("\n".join(lines).encode(), "margins.csv")
    raked = compute_run(period, "hall", cutoff=plain.cutoff)
    assert any("raked" in note for note in raked.method_notes)
    assert max(r.deff for r in raked.results) > 1
    assert raked.inputs_sha256 != plain.inputs_sha256


def test_inconsistent_margins_are_a_clear_error(app, responses):
    plain = compute_run(demo_period(), "hall")
    month = sorted({m for r in plain.results for m in r.trend})[-1]
    lines = ["hall_code,service_item_code,month,count", f",S450900-hf-loan,{month},5"]
    import_volumes("\n".join(lines).encode(), "margins.csv")
    with pytest.raises(IndexRunError, match="margin"):
        compute_run(demo_period(), "hall")


def _partial_answers(count: int) -> None:
    """``count`` responses answered only the first three drivers."""
    rows = _db.session.scalars(select(Response).order_by(Response.id).limit(count))
    for row in rows:
        kept = {k: row.answers["drivers"][k] for k in DRIVER_KEYS[:3]}
        row.answers = {**row.answers, "drivers": kept}
    _db.session.commit()


def test_a_run_records_what_it_did(app, responses):
    """Recomputing from the recorded parameters gives the stored numbers; a
    changed parameter changes them (so every recorded parameter is applied)."""
    _partial_answers(40)
    weights = {
        "timeliness": 1,
        "attitude": 1,
        "competence": 1,
        **dict.fromkeys(DRIVER_KEYS[3:], 2),
    }
    run = compute_run(demo_period(), "hall", fixed=weights)
    params = run.parameters
    assert params["min_driver_share"] == app.config["INDEX_MIN_DRIVER_SHARE"] == 0.5
    assert params["cluster"] == "window_day" and params["fpc"] is False
    assert params["fixed_weights"] == weights
    # Half the drivers answered, but only a third of the weight: not in the index.
    assert any("less than 0.5 of the weight" in n for n in run.method_notes)
    assert verify_run(run) == []
    for change in (
        {"min_driver_share": 0.6},
        {"min_driver_share": 0.3},
        {"cluster": "response"},
        {"band_level": 0.5},
        {"level": 0.8},
        {"min_n_eff": 10_000},
        {"fixed_weights": dict.fromkeys(DRIVER_KEYS, 1.0)},
        {"points": {**params["points"], "kind": "linear"}},
    ):
        assert verify_run(run, change), change


def test_run_settings_come_from_the_configuration(app, responses):
    app.config.update(INDEX_CLUSTER="response", INDEX_MIN_DRIVER_SHARE=0.9)
    app.config["INDEX_POINTS"] = {**app.config["INDEX_POINTS"], "kind": "rank"}
    try:
        _partial_answers(25)
        run = compute_run(demo_period(), "hall")
        assert run.excluded["missing_drivers"] == 25
        assert any("every response its own" in n for n in run.method_notes)
        first = run.results[0]
        assert first.points == 10.0 and first.rank == 1
        app.config["INDEX_CLUSTER"] = "by-magic"
        with pytest.raises(IndexRunError, match="cluster"):
            compute_run(demo_period(), "hall")
    finally:
        app.config.update(INDEX_CLUSTER="window_day", INDEX_MIN_DRIVER_SHARE=0.5)
        app.config["INDEX_POINTS"] = {**app.config["INDEX_POINTS"], "kind": "band"}
