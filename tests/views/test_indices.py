"""Office pages of the indices: runs, ranking with error bars, unit, AHP, volumes."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from surveyapp.models import IndexRun
from surveyapp.services.indices.runs import compute_run, publish_run
from tests.services.test_indices import demo_period


@pytest.fixture()
def run(app, demo):
    from surveyapp.services.admin.demo import seed_responses

    seed_responses(600)
    return compute_run(demo_period(), "hall")


def test_pages_need_an_office_login(client, run):
    for url in ("/office/indices", f"/office/indices/{run.id}"):
        assert client.get(url).status_code == 302


def test_runs_page_and_compute(client, login, run):
    login()
    page = client.get("/office/indices")
    assert page.status_code == 200 and demo_period() in page.get_data(as_text=True)
    response = client.post(
        "/office/indices/run",
        data={"period": demo_period(), "level": "region", "method": "entropy"},
    )
    assert response.status_code == 302
    new = IndexRun.query.order_by(IndexRun.id.desc()).first()
    assert new.level == "region" and new.method == "entropy"
    bad = client.post(
        "/office/indices/run",
        data={"period": "soon", "level": "hall"},
        follow_redirects=True,
    )
    assert "无法识别期间“soon”" in bad.get_data(as_text=True)


def test_run_page_draws_error_bars_without_inline_styles(client, login, run):
    login()
    html = client.get(f"/office/indices/{run.id}").get_data(as_text=True)
    assert "<svg" in html and html.count("<circle") == 8
    assert "style=" not in html and "<script" not in html
    assert run.results[0].unit_name in html


def test_run_page_shows_the_bands(client, login, run):
    from surveyapp.office.index_charts import BAND_COLOURS

    login()
    html = client.get(f"/office/indices/{run.id}").get_data(as_text=True)
    labels = {
        "above": "显著高于总体",
        "same": "与总体无显著差异",
        "below": "显著低于总体",
    }
    for result in run.results:
        colour = BAND_COLOURS[result.band]
        assert '<circle cx="' in html and f'fill="{colour}"' in html
        assert labels[result.band] in html
    assert html.count('stroke-dasharray="4 3"') == 1  # the overall index
    assert "显著优于本单位的单位数" in html
    english = client.get(f"/office/indices/{run.id}?lang=en").get_data(as_text=True)
    assert "significantly better" in english and "Not different" in english


def test_unit_page_trend_and_drivers(client, login, run):
    login()
    code = run.results[-1].unit_code
    html = client.get(f"/office/indices/{run.id}/units/{code}").get_data(as_text=True)
    assert "<polygon" in html and "<polyline" in html  # interval band and line
    assert html.count("<rect") == 6  # one bar per driver
    result = run.results[-1]
    for interval in result.driver_intervals.values():
        assert f"{interval['ci_low']:.1f} – {interval['ci_high']:.1f}" in html
    assert "指数 − 总体" in html
    assert "style=" not in html
    assert client.get(f"/office/indices/{run.id}/units/NOPE").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_downloads(client, login, run, fmt):
    login()
    response = client.get(f"/office/indices/{run.id}/export.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(response.data))
        assert book.sheetnames == ["indices", "method"]


def test_publish_and_supersede_admin_only(client, login, run, db):
    login("analyst", role="analyst")
    assert client.post(f"/office/indices/{run.id}/publish").status_code == 403
    client.post("/office/logout")
    login("boss", role="admin")
    client.post(f"/office/indices/{run.id}/publish")
    db.session.refresh(run)  # each request has its own session, as in production
    assert run.status == "published"
    fix = compute_run(demo_period(), "hall", "regression")
    refused = client.post(
        f"/office/indices/{run.id}/supersede", data={"new_run": fix.id, "reason": ""}
    )
    db.session.refresh(run)
    assert refused.status_code == 303 and run.status == "published"
    client.post(
        f"/office/indices/{run.id}/supersede",
        data={"new_run": fix.id, "reason": "weights corrected"},
    )
    db.session.refresh(run)
    db.session.refresh(fix)
    assert run.status == "superseded" and fix.status == "published"
    html = client.get(f"/office/indices/{run.id}").get_data(as_text=True)
    assert "weights corrected" in html


def test_compare_page(client, login, run):
    login()
    other = publish_run(compute_run(demo_period(), "hall", "entropy"))
    html = client.get(f"/office/indices/compare?a={run.id}&b={other.id}")
    assert html.status_code == 200 and run.results[0].unit_code in html.get_data(True)


def _ahp_form(value_01: str, **extra) -> dict:
    data = {f"a_{i}_{j}": "1" for i in range(6) for j in range(i + 1, 6)}
    data.update({"a_0_1": value_01, "a_1_2": value_01, "a_0_2": "1/9"})
    data.update(extra)
    return data


def test_ahp_shows_cr_and_refuses_above_010(client, login, run):
    login()
    form = _ahp_form("9", action="run", period=demo_period(), level="hall")
    response = client.post("/office/indices/ahp", data=form)
    assert response.status_code == 422
    assert "CR" in response.get_data(as_text=True)
    count = IndexRun.query.count()
    assert count == 1
    form["override"] = "1"
    assert client.post("/office/indices/ahp", data=form).status_code == 302
    assert IndexRun.query.order_by(IndexRun.id.desc()).first().method == "ahp"
    equal = {f"a_{i}_{j}": "1" for i in range(6) for j in range(i + 1, 6)}
    check = client.post("/office/indices/ahp", data={**equal, "action": "check"})
    assert check.status_code == 200 and "CR = 0.000" in check.get_data(as_text=True)


def test_volume_upload_good_and_bad(client, login, demo):
    login()
    good = b"hall_code,service_item_code,month,count\nH450900,,2026-07,100\n"
    response = client.post(
        "/office/volumes/import",
        data={"file": (io.BytesIO(good), "v.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    bad = b"hall_code,service_item_code,month,count\nH000,,2026-7,-1\n"
    response = client.post(
        "/office/volumes/import",
        data={"file": (io.BytesIO(bad), "v.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "hall_code" in html and "count" in html
    template = client.get("/office/volumes/template.xlsx")
    assert template.status_code == 200


def test_firm_roles_cannot_see_indices(client, login, run):
    from surveyapp.models import Firm

    firm = Firm(code="F1", name="Survey firm")
    run_db = IndexRun.query.session
    run_db.add(firm)
    run_db.commit()
    login("manager", role="firm_manager", firm=firm)
    assert client.get("/office/indices").status_code == 403
    assert client.get(f"/office/indices/{run.id}/export.csv").status_code == 403


def test_office_fixed_weights(client, login, run):
    login()
    data = {"period": demo_period(), "level": "hall", "method": "fixed"}
    weights = {
        "w_timeliness": "3",
        "w_attitude": "1",
        "w_competence": "1",
        "w_process": "1",
        "w_information": "1",
        "w_environment": "1",
    }
    assert (
        client.post("/office/indices/run", data={**data, **weights}).status_code == 302
    )
    new = IndexRun.query.order_by(IndexRun.id.desc()).first()
    assert new.dimension_weights["timeliness"] == pytest.approx(3 / 8)
    assert new.parameters["fixed_weights"]["timeliness"] == 3.0
    bad = client.post(
        "/office/indices/run",
        data={**data, "w_attitude": "many"},
        follow_redirects=True,
    )
    assert "权重必须是数字" in bad.get_data(as_text=True)  # zh is the default
