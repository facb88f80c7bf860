"""Complaint pages: roles, inbox filters, one-tap correction, cases and topics."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp.models import AuditLog
from surveyapp.models.complaints import Complaint, ComplaintCase

# Fixtures shared with the other complaint tests.
from tests.complaint_helpers import (  # noqa: F401
    active_model,
    seed_model_path,
    worker_round,
)
from tests.conftest import full_answers
from tests.firm_factories import firm

TEXT = "窗口工作人员态度很差，对群众不耐烦还大声呵斥"
PAGES = (
    "/office/complaints",
    "/office/complaints?category=fees&state=routed&min_conf=0.2&period=2026-11",
    "/office/complaints/topics",
    "/office/cases",
    "/office/cases?state=new&overdue=1",
)


@pytest.fixture()
def stored(db, submit):
    answers = full_answers(
        1, q_complaint=TEXT, phone="13800138000", contact_consent="y"
    )
    assert submit(answers).status_code == 303
    worker_round()
    return db.session.scalars(select(ComplaintCase)).one()


def test_anonymous_goes_to_sign_in(client, stored):
    for path in (*PAGES, f"/office/cases/{stored.id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/office/login" in response.location
    for path in (
        f"/office/complaints/{stored.complaint_id}/category",
        f"/office/cases/{stored.id}/move",
        f"/office/cases/{stored.id}/contact",
    ):
        assert client.post(path).status_code == 302


@pytest.mark.parametrize("role", ["firm_manager", "interviewer"])
def test_firm_roles_are_refused(client, login, stored, role):
    login("f1", role, firm=firm("F1"))
    for path in (*PAGES, f"/office/cases/{stored.id}"):
        assert client.get(path).status_code == 403
        assert TEXT not in client.get(path).get_data(as_text=True)
    assert client.post(f"/office/cases/{stored.id}/contact").status_code == 403


@pytest.mark.usefixtures("active_model")
@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_office_sees_the_inbox_and_personal_pages_are_never_cached(
    client, login, stored, role, db
):
    login("o1", role)
    worker_round()  # the worker classifies the pending complaint
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        if "topics" not in path:
            assert response.headers["Cache-Control"] == "no-store", path
    html = client.get("/office/complaints").get_data(as_text=True)
    assert TEXT in html
    complaint = db.session.scalars(select(Complaint)).one()
    assert complaint.routing in ("routed", "needs_person")
    assert complaint.category == "staff_attitude"
    filtered = client.get("/office/complaints?category=waiting_time")
    assert TEXT not in filtered.get_data(as_text=True)


def test_bad_period_is_explained(client, login, stored):
    login()
    response = client.get("/office/complaints?period=last-week")
    assert response.status_code == 303


@pytest.mark.usefixtures("active_model")
def test_one_tap_correction(client, login, stored, db):
    login()
    worker_round()  # classifies the pending complaint
    url = f"/office/complaints/{stored.complaint_id}/category"
    assert client.post(url, data={"category": "conduct"}).status_code == 303
    complaint = db.session.get(Complaint, stored.complaint_id)
    db.session.refresh(complaint)
    assert complaint.corrected_category == "conduct"
    assert client.post(url, data={"category": "nonsense"}).status_code == 303
    db.session.refresh(complaint)
    assert complaint.corrected_category == "conduct"


def test_case_detail_steps_and_audited_phone(client, login, stored, db):
    login()
    page = client.get(f"/office/cases/{stored.id}")
    assert page.headers["Cache-Control"] == "no-store"
    assert TEXT in page.get_data(as_text=True)
    assert "13800138000" not in page.get_data(as_text=True)
    move = f"/office/cases/{stored.id}/move"
    assert client.post(move, data={"to_state": "closed"}).status_code == 303
    assert (
        client.post(move, data={"to_state": "assigned", "assignee": "李"}).status_code
        == 303
    )
    assert (
        client.post(move, data={"to_state": "replied", "reply": ""}).status_code == 303
    )
    db.session.refresh(stored)
    assert stored.state == "assigned"
    shown = client.post(f"/office/cases/{stored.id}/contact")
    assert shown.headers["Cache-Control"] == "no-store"
    assert "13800138000" in shown.get_data(as_text=True)
    assert (
        "complaints.reveal_phone" in db.session.scalars(select(AuditLog.action)).all()
    )


def test_only_the_handler_or_an_admin_reveals_the_phone(client, login, stored, db):
    login("a1", "analyst")
    move = f"/office/cases/{stored.id}/move"
    client.post(move, data={"to_state": "assigned", "assignee": "人社局"})
    client.post("/office/logout")
    login("a2", "analyst")  # a colleague who does not handle the case
    page = client.get(f"/office/cases/{stored.id}?lang=en").get_data(as_text=True)
    assert "only the case" in page and "/contact" not in page
    refused = client.post(f"/office/cases/{stored.id}/contact")
    assert refused.status_code == 403
    assert "13800138000" not in refused.get_data(as_text=True)
    assert (
        db.session.scalars(select(AuditLog.action))
        .all()
        .count("complaints.reveal_phone")
        == 0
    )
    client.post("/office/logout")
    again = {"username": "a1", "password": "correct horse battery"}
    assert client.post("/office/login", data=again).status_code == 302
    assert "13800138000" in client.post(f"/office/cases/{stored.id}/contact").get_data(
        as_text=True
    )


def test_case_notes_that_cannot_be_stored_are_refused(client, login, stored, db):
    login()
    move = f"/office/cases/{stored.id}/move"
    data = {"to_state": "assigned", "assignee": "李", "note": "坏\x01字"}
    assert client.post(move, data=data).status_code == 303
    db.session.refresh(stored)
    assert stored.state == "new"


def test_inbox_says_when_the_worker_is_not_running(client, login, submit, db):
    from datetime import timedelta

    from surveyapp.models import Response
    from surveyapp.models.base import utcnow

    login()
    assert submit(full_answers(1, q_complaint=TEXT)).status_code == 303
    fresh = client.get("/office/complaints?lang=en").get_data(as_text=True)
    assert "complaints worker" not in fresh  # just stored: the worker has time
    response = db.session.scalars(select(Response)).one()
    response.submitted_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    late = client.get("/office/complaints?lang=en").get_data(as_text=True)
    assert "complaints worker" in late
    worker_round()
    assert "complaints worker" not in client.get("/office/complaints").get_data(
        as_text=True
    )


def test_call_back_is_recorded_on_the_case(client, login, stored, db):
    login()
    page = client.get(f"/office/cases/{stored.id}").get_data(as_text=True)
    assert 'id="callback"' in page
    bad = client.post(f"/office/cases/{stored.id}/callback", data={"outcome": "x"})
    assert bad.status_code == 303
    db.session.expire_all()
    assert db.session.get(ComplaintCase, stored.id).callback_at is None
    done = client.post(
        f"/office/cases/{stored.id}/callback",
        data={"outcome": "satisfied", "note": "市民表示满意"},
    )
    assert done.status_code == 303
    db.session.expire_all()
    case = db.session.get(ComplaintCase, stored.id)
    assert case.callback_outcome == "satisfied" and case.callback_note == "市民表示满意"
    assert case.callback_at is not None
    assert any("call-back" in e.note for e in case.events)
    assert "市民表示满意" in client.get(f"/office/cases/{stored.id}").get_data(
        as_text=True
    )


def test_first_page_has_figures_and_reminders(client, login, stored, db):
    from surveyapp.services.complaints.cases import transition

    user = login()
    transition(stored, "assigned", user, assignee=user.username)
    html = client.get("/office/").get_data(as_text=True)
    assert html.count("<svg") >= 4 and "<script" not in html
    for figure in ("fig-halls", "fig-trend", "fig-levels", "fig-cases"):
        assert f'id="{figure}"' in html
    assert 'href="/office/cases"' in html
    # Due in five working days: not yet in the reminders; past it, it is.
    assert 'id="reminders"' not in html
    stored.due_at = stored.opened_at
    db.session.commit()
    html = client.get("/office/").get_data(as_text=True)
    assert 'id="reminders"' in html and f"/office/cases/{stored.id}" in html


def test_note_typed_with_the_reply_is_kept_on_the_case_page(client, login, stored, db):
    login()
    move = f"/office/cases/{stored.id}/move"
    client.post(move, data={"to_state": "assigned", "assignee": "李"})
    client.post(
        move,
        data={"to_state": "replied", "reply": "已统一材料清单", "note": "已电话核实"},
    )
    page = client.get(f"/office/cases/{stored.id}").get_data(as_text=True)
    assert "已电话核实" in page and "已统一材料清单" in page
    client.post(move, data={"to_state": "closed"})
    db.session.refresh(stored)
    assert stored.state == "closed"
    assert stored.complaint.response.phone_encrypted is None
    page = client.get(f"/office/cases/{stored.id}").get_data(as_text=True)
    assert "13800138000" not in page
    assert (
        "complaints.delete_phone" in db.session.scalars(select(AuditLog.action)).all()
    )
