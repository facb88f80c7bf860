"""Firm pages: the whole role x route matrix, and the firm's fieldwork flows."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.models import AuditLog, Firm, Response, User
from surveyapp.models.sampling import SurveyProject
from surveyapp.services.fieldwork import frames, plans
from tests.conftest import full_answers, ticket_from
from tests.firm_factories import HALL, firm, hall, item, make_project

# (method, url pattern, kind): "any" = every firm user, "manager" = the project's
# firm manager only, "field" = the project's firm users (interviewers too).
ROUTES = [
    ("GET", "/firm/", "any"),
    ("GET", "/firm/sample-size?margin=0.05&confidence=0.95&p=0.5&deff=1", "any"),
    ("GET", "/firm/templates/frame.csv", "any"),
    ("GET", "/firm/templates/transactions.xlsx", "any"),
    ("GET", "/firm/p/{pid}", "manager"),
    ("GET", "/firm/p/{pid}/quotas.csv", "manager"),
    ("GET", "/firm/p/{pid}/quotas.xlsx", "manager"),
    ("GET", "/firm/p/{pid}/frame", "manager"),
    ("POST", "/firm/p/{pid}/frame", "manager"),
    ("GET", "/firm/p/{pid}/transactions", "manager"),
    ("POST", "/firm/p/{pid}/transactions", "manager"),
    ("GET", "/firm/p/{pid}/plan", "manager"),
    ("POST", "/firm/p/{pid}/plan", "manager"),
    ("GET", "/firm/p/{pid}/plan.csv", "manager"),
    ("GET", "/firm/p/{pid}/plan.xlsx", "manager"),
    ("GET", "/firm/p/{pid}/callbacks", "manager"),
    ("POST", "/firm/p/{pid}/callbacks", "manager"),
    ("GET", "/firm/p/{pid}/interview", "field"),
    ("GET", "/firm/p/{pid}/interview/{hid}", "field"),
    ("POST", "/firm/p/{pid}/interview/{hid}", "field"),
    ("POST", "/firm/p/{pid}/interview/{hid}/submit", "field"),
]
OFFICE_PAGES = ["/office/", "/office/responses", "/office/halls", "/office/projects"]

# role -> kind -> expected status (GET, POST); None = redirected to sign-in.
EXPECTED = {
    "anonymous": {"any": None, "manager": None, "field": None},
    "interviewer": {"any": 200, "manager": 403, "field": 200},
    "manager": {"any": 200, "manager": 200, "field": 200},
    "other_manager": {"any": 200, "manager": 404, "field": 404},
    "analyst": {"any": 403, "manager": 403, "field": 403},
    "admin": {"any": 403, "manager": 403, "field": 403},
}


@pytest.fixture()
def project(demo):
    project = make_project(targets={(HALL, "nr", "", ""): 5})
    frames.import_frame(project, frames.template_bytes("frame", "csv"), "f.csv")
    plans.save_plan(project, plans.PlanInput(n=5), None)
    firm("F2")
    return project


def _sign_in(login, role: str):
    if role == "anonymous":
        return None
    if role in ("admin", "analyst"):
        return login(role, role)
    firm_code = "F2" if role == "other_manager" else "F1"
    db_role = "interviewer" if role == "interviewer" else "firm_manager"
    return login(role, db_role, firm=firm(firm_code))


@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_by_route_matrix(client, login, project, role):
    _sign_in(login, role)
    for method, pattern, kind in ROUTES:
        url = pattern.format(pid=project.id, hid=hall().id)
        response = client.open(url, method=method, data={})
        expected = EXPECTED[role][kind]
        if expected is None:
            assert response.status_code == 302, url
            assert "/office/login" in response.headers["Location"], url
        elif expected == 200 and method == "POST":
            assert response.status_code == 400, url  # allowed, but the form is empty
        else:
            assert response.status_code == expected, (url, response.status_code)
    if role in ("interviewer", "manager", "other_manager"):
        for url in OFFICE_PAGES:
            assert client.get(url).status_code == 403, url


def test_a_project_of_another_firm_is_invisible(client, login, project):
    other = make_project("OTHER", firm_code="F2", halls=("H450902",))
    login("m1", "firm_manager", firm=firm("F1"))
    index = client.get("/firm/").get_data(as_text=True)
    assert project.name in index and other.name not in index
    assert client.get(f"/firm/p/{other.id}").status_code == 404
    assert client.get(f"/firm/p/{other.id}/interview").status_code == 404
    # A hall that is not in the project's scope is not found either.
    assert (
        client.get(f"/firm/p/{project.id}/interview/{hall('H450902').id}").status_code
        == 404
    )


def test_frame_upload_shows_every_problem_and_imports_nothing(client, login, project):
    login("m1", "firm_manager", firm=firm("F1"))
    bad = b"hall_code,service_item_code,period,volume\nX,S450900-re-transfer,2026,1\n"
    refused = client.post(
        f"/firm/p/{project.id}/frame", data={"file": (io.BytesIO(bad), "frame.csv")}
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "hall_code" in html and "period" in html and '<td class="num">2</td>' in html
    good = (
        b"hall_code,service_item_code,period,volume\n"
        b"H450900,S450900-re-transfer,2026-10,700\n"
        b"H450900,S450900-hf-loan,2026-10,300\n"
    )
    done = client.post(
        f"/firm/p/{project.id}/frame", data={"file": (io.BytesIO(good), "frame.csv")}
    )
    assert done.status_code == 302


def test_plan_preview_save_and_export(client, login, project):
    login("m1", "firm_manager", firm=firm("F1"))
    client.post(
        f"/firm/p/{project.id}/frame",
        data={
            "file": (
                io.BytesIO(
                    b"hall_code,service_item_code,period,volume\n"
                    b"H450900,S450900-re-transfer,2026-10,700\n"
                    b"H450900,S450900-hf-loan,2026-10,300\n"
                ),
                "f.csv",
            )
        },
    )
    form = {
        "n": "50",
        "method": "proportional",
        "minimum": "0",
        "sd_guess": "0.5",
        "previous_project": "0",
    }
    preview = client.post(
        f"/firm/p/{project.id}/plan", data={**form, "action": "preview"}
    )
    assert preview.status_code == 200 and ">35<" in preview.get_data(as_text=True)
    saved = client.post(f"/firm/p/{project.id}/plan", data={**form, "action": "save"})
    assert saved.status_code == 302
    book = load_workbook(io.BytesIO(client.get(f"/firm/p/{project.id}/plan.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[-1][0] == "TOTAL" and rows[-1][-1] == 50
    too_small = client.post(
        f"/firm/p/{project.id}/plan",
        data={**form, "n": "1", "minimum": "3", "action": "save"},
    )
    assert too_small.status_code == 400


def test_plan_offers_only_the_firms_other_projects(client, login, project):
    earlier = make_project("W0")
    foreign = make_project("X9", firm_code="F2")
    login("m1", "firm_manager", firm=firm("F1"))
    html = client.get(f"/firm/p/{project.id}/plan").get_data(as_text=True)
    assert f'<option value="{earlier.id}">Wave W0</option>' in html
    assert f'value="{project.id}"' not in html  # not its own previous wave
    assert f'value="{foreign.id}"' not in html  # nor another firm's
    form = {"n": "5", "method": "neyman", "minimum": "0", "sd_guess": "0.5"}
    url = f"/firm/p/{project.id}/plan"
    chosen = {**form, "previous_project": str(earlier.id), "action": "preview"}
    assert client.post(url, data=chosen).status_code == 200
    refused = {**form, "previous_project": str(foreign.id), "action": "preview"}
    assert client.post(url, data=refused).status_code == 400


def test_sample_size_helper_shows_n_and_formula(client, login, demo):
    login("m1", "firm_manager", firm=firm("F1"))
    page = client.get(
        "/firm/sample-size?margin=0.05&confidence=0.95&p=0.5&deff=1&population=1000"
    )
    html = page.get_data(as_text=True)
    assert 'id="n">278<' in html and "n0 = z²·p(1−p)·deff / e²" in html
    assert client.get("/firm/sample-size?margin=2&p=0.5&deff=1").status_code == 400


def test_interviewer_enters_a_response_on_a_tablet(client, login, project):
    interviewer = login("iv1", "interviewer", firm=firm("F1"))
    url = f"/firm/p/{project.id}/interview/{hall().id}"
    assert "service_item" in client.get(url).get_data(as_text=True)
    form = client.post(url, data={"service_item": str(item().id)})
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "q_overall" in html and "/submit" in html
    data = {
        "ticket": ticket_from(html),
        "screened": "1",
        "service_item": str(item().id),
        **full_answers(5),
    }
    saved = client.post(url + "/submit", data=data)
    assert saved.status_code == 303 and saved.headers["Location"].endswith(url)
    stored = (
        client.application.extensions["sqlalchemy"]
        .session.scalars(select(Response))
        .one()
    )
    assert (stored.mode, stored.interviewer_id, stored.project_id) == (
        "interviewer",
        interviewer.id,
        project.id,
    )
    assert stored.quota_counted


def test_interviewer_picks_the_window_and_the_response_records_it(
    client, login, project
):
    login("iv1", "interviewer", firm=firm("F1"))
    window = next(w for w in hall().windows if w.active)
    picker = client.get(f"/firm/p/{project.id}/interview").get_data(as_text=True)
    url = f"/firm/p/{project.id}/interview/{hall().id}?window={window.id}"
    assert url in picker.replace("&amp;", "&") and window.name in picker
    html = client.post(url, data={"service_item": str(item().id)}).get_data(
        as_text=True
    )
    assert f"window={window.id}" in html
    data = {
        "ticket": ticket_from(html),
        "screened": "1",
        "service_item": str(item().id),
        **full_answers(4),
    }
    submit = f"/firm/p/{project.id}/interview/{hall().id}/submit?window={window.id}"
    saved = client.post(submit, data=data)
    assert (
        saved.status_code == 303 and f"window={window.id}" in saved.headers["Location"]
    )
    stored = (
        client.application.extensions["sqlalchemy"]
        .session.scalars(select(Response))
        .one()
    )
    assert stored.window_id == window.id
    other_hall = f"/firm/p/{project.id}/interview/{hall().id}?window=999999"
    assert client.get(other_hall).status_code == 404


def test_dashboard_and_callback_export_for_the_manager(client, login, project, db):
    manager = login("m1", "firm_manager", firm=firm("F1"))
    page = client.get(f"/firm/p/{project.id}").get_data(as_text=True)
    assert (
        "玉林市政务服务中心 · 玉林市自然资源局（不动产登记）" in page
        and 'name="viewport"' in page
    )
    assert (
        client.get(f"/firm/p/{project.id}/quotas.csv")
        .data.decode("utf-8-sig")
        .startswith("hall_code,category")
    )
    lines = ["hall_code,service_item_code,occurred_at,phone"] + [
        f"H450900,S450900-re-transfer,2026-10-{d:02d},139001390{d:02d}"
        for d in range(1, 11)
    ]
    client.post(
        f"/firm/p/{project.id}/transactions",
        data={"file": (io.BytesIO("\n".join(lines).encode()), "t.csv")},
    )
    exported = client.post(
        f"/firm/p/{project.id}/callbacks", data={"n": "3", "seed": "1", "fmt": "csv"}
    )
    assert exported.status_code == 200
    assert len(exported.data.decode("utf-8-sig").strip().splitlines()) == 4
    log = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (log.action, log.user_id) == ("export_callbacks", manager.id)


def test_office_admin_creates_firm_project_and_firm_user(client, login, demo, db):
    login("boss", "admin")
    assert client.get("/office/projects").status_code == 200
    assert (
        client.post("/office/firms", data={"code": "ACME", "name": "Acme"}).status_code
        == 302
    )
    acme = db.session.scalar(select(Firm).where(Firm.code == "ACME"))
    version = db.session.scalar(select(SurveyProject.version_id)) or 1
    created = client.post(
        "/office/projects",
        data={
            "code": "P1",
            "name": "Wave 1",
            "version_id": str(version),
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "firm_id": str(acme.id),
            "hall_ids": [str(hall().id)],
            "over_quota_policy": "keep_marked",
        },
    )
    assert created.status_code == 302
    project = db.session.scalar(select(SurveyProject).where(SurveyProject.code == "P1"))
    assert project.firm_id == acme.id and project.over_quota_policy == "keep_marked"
    bad = client.post(
        "/office/projects",
        data={
            "code": "P2",
            "name": "x",
            "version_id": str(version),
            "period_start": "soon",
        },
    )
    assert bad.status_code == 400
    assert (
        client.post(
            "/office/firms/users",
            data={
                "firm_id": str(acme.id),
                "role": "interviewer",
                "username": "iv9",
                "password": "long enough password",
            },
        ).status_code
        == 302
    )
    user = db.session.scalar(select(User).where(User.username == "iv9"))
    assert user.firm_id == acme.id and user.password_hash.startswith("scrypt")
    assert (
        client.post(
            f"/office/projects/{project.id}/firm", data={"firm_id": ""}
        ).status_code
        == 302
    )
    db.session.refresh(project)
    assert project.firm_id is None


def test_analyst_reads_projects_but_cannot_change_them(client, login, demo):
    login("an", "analyst")
    assert client.get("/office/projects").status_code == 200
    assert (
        client.post("/office/firms", data={"code": "X", "name": "X"}).status_code == 403
    )


def test_no_interviews_outside_the_fieldwork_period(client, login, demo):
    past = make_project("PAST", days=(-30, -2), targets={(HALL, "nr", "", ""): 5})
    login("iv1", "interviewer", firm=firm("F1"))
    listing = client.get(f"/firm/p/{past.id}/interview")
    assert listing.status_code == 200 and "/interview/" not in listing.get_data(
        as_text=True
    )
    assert client.get(f"/firm/p/{past.id}/interview/{hall().id}").status_code == 409


def test_interviewer_is_told_when_the_cell_is_full(client, login, project, db):
    from surveyapp.models.sampling import ScreenOut

    interviewer = login("iv1", "interviewer", firm=firm("F1"))
    for cell in project.cells:
        cell.completed = cell.target
    db.session.commit()
    url = f"/firm/p/{project.id}/interview/{hall().id}"
    page = client.post(url, data={"service_item": str(item().id)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "q_overall" not in html
    assert "下一位受访者" in html and f'href="{url}"' in html
    out = db.session.scalars(select(ScreenOut)).one()
    assert (out.interviewer_id, out.mode) == (interviewer.id, "interviewer")
