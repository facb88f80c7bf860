"""差评 follow-up: working-day deadlines (China's official calendar and the
city's overrides), transitions, overdue cases, unit rates, who sees the phone."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from surveyapp.models import AuditLog, User
from surveyapp.models.complaints import ComplaintCase
from surveyapp.services.complaints import cases, workdays
from surveyapp.services.complaints.workdays import add_working_days
from tests.complaint_helpers import worker_round
from tests.conftest import full_answers


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 11, 23), 5, date(2026, 11, 30)),  # Monday -> next Monday
        (date(2026, 11, 27), 5, date(2026, 12, 4)),  # Friday -> next Friday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Saturday -> Monday
        (date(2026, 11, 25), 2, date(2026, 11, 27)),
        (date(2026, 11, 23), 0, date(2026, 11, 23)),
    ],
)
def test_working_days_skip_weekends(start, days, due):
    assert add_working_days(start, days) == due


def test_official_holidays_and_make_up_days_come_from_the_calendar():
    # National Day 2026: Oct 1-7 off, Saturday Oct 10 worked in lieu (调休);
    # nothing configured, chinese-calendar knows it.
    due = add_working_days(date(2026, 9, 30), 5)
    assert due == date(2026, 10, 13)  # Oct 8, 9, 10 (make-up), 12, 13
    # Spring Festival 2026: Feb 15-23 off; Saturdays Feb 14 and 28 worked.
    assert workdays.is_working_day(date(2026, 2, 14))
    assert not workdays.is_working_day(date(2026, 2, 16))  # a Monday
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_overrides_win_over_the_calendar():
    # A city's own day off on a Tuesday, and a Sunday it works.
    holidays, extra = [date(2026, 11, 24)], [date(2026, 11, 29)]
    assert add_working_days(date(2026, 11, 23), 1, holidays) == date(2026, 11, 25)
    assert add_working_days(date(2026, 11, 27), 1, (), extra) == date(2026, 11, 29)
    # A make-up day the city cancels is a day off again.
    assert add_working_days(date(2026, 10, 9), 1, [date(2026, 10, 10)]) == date(
        2026, 10, 12
    )


def test_years_the_calendar_does_not_know_fall_back_to_weekends(caplog):
    # chinese-calendar 1.11 knows 2004-2026: 2027's National Day is not there.
    with caplog.at_level("WARNING"):
        assert add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 1)
    assert "2027" in caplog.text and "CASE_HOLIDAYS" in caplog.text
    holidays = [date(2027, 10, d) for d in range(1, 8)]
    assert add_working_days(date(2027, 9, 30), 1, holidays) == date(2027, 10, 8)


def test_deadline_is_end_of_local_working_day(app):
    with app.app_context():
        # Friday 2026-11-27 10:00 in Yulin (02:00 UTC): due Friday 12-04 24:00 local.
        due = cases.deadline(datetime(2026, 11, 27, 2, 0))
        assert due == datetime(2026, 12, 4, 16, 0)
        app.config["CASE_HOLIDAYS"] = ("2026-12-01",)
        try:
            assert cases.deadline(datetime(2026, 11, 27, 2, 0)) == datetime(
                2026, 12, 7, 16, 0
            )
        finally:
            app.config["CASE_HOLIDAYS"] = ()


@pytest.fixture()
def case(db, submit):
    answers = full_answers(1, q_complaint="办事材料被退回三次，每次说法都不一样")
    assert submit(answers).status_code == 303
    worker_round()
    return db.session.scalars(select(ComplaintCase)).one()


@pytest.fixture()
def officer(db):
    user = User(username="officer", role="analyst", password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def test_full_path_with_reply(case, officer):
    cases.transition(case, "assigned", officer, assignee="王科长")
    cases.transition(case, "being_fixed", officer, note="统一材料清单")
    cases.transition(case, "replied", officer, reply="已统一一次性告知清单")
    assert case.replied_at is not None and case.reply_channel == "none"
    cases.transition(case, "appealed", officer, note="群众不满意")
    cases.transition(case, "replied", officer, reply="已再次核实")
    cases.transition(case, "closed", officer)
    assert case.state == "closed" and case.closed_at is not None
    assert case.assignee == "王科长" and case.rectification == "统一材料清单"
    steps = [(e.from_state, e.to_state) for e in case.events]
    assert steps[0] == ("", "new") and steps[-1] == ("replied", "closed")
    assert len(steps) == 7


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ((), "closed"),
        ((), "replied"),
        (("assigned",), "new"),
        (("assigned", "being_fixed"), "closed"),
    ],
)
def test_invalid_transitions_refused(case, officer, path, bad):
    for step in path:
        cases.transition(case, step, officer)
    with pytest.raises(cases.CaseError):
        cases.transition(case, bad, officer)
    assert case.state == (path[-1] if path else "new")


def test_reply_needs_text(case, officer):
    cases.transition(case, "assigned", officer)
    with pytest.raises(cases.CaseError):
        cases.transition(case, "replied", officer, reply="  ")


def test_overdue_and_rates(case, officer, db, submit):
    late = case.due_at + timedelta(hours=1)
    assert not cases.is_overdue(case, case.opened_at)
    assert cases.is_overdue(case, late)
    [unit] = cases.unit_rates(late)
    assert (unit.cases, unit.rectified, unit.overdue) == (1, 0, 1)
    assert unit.rectification_rate == 0.0 and unit.on_time_rate == 0.0
    # A second case at the same window, answered in time.
    assert submit(full_answers(2, q_complaint="大厅空调坏了没人修")).status_code == 303
    worker_round()
    second = db.session.scalars(
        select(ComplaintCase).where(ComplaintCase.id != case.id)
    ).one()
    cases.transition(second, "assigned", officer)
    cases.transition(second, "replied", officer, reply="已维修", now=second.opened_at)
    [unit] = cases.unit_rates(late)
    assert unit.cases == 2 and unit.rectification_rate == 0.5
    assert unit.on_time_rate == 0.5 and unit.overdue == 1
    # Before the deadline, an unanswered case is not yet due.
    [unit] = cases.unit_rates(second.opened_at)
    assert unit.on_time_rate == 1.0
    assert [c.id for c in cases.list_cases(state="new").rows] == [case.id]


def _phone_case(db, submit) -> ComplaintCase:
    answers = full_answers(
        1,
        q_complaint="网上申报系统一直登不上",
        phone="13800138000",
        contact_consent="y",
    )
    assert submit(answers).status_code == 303
    worker_round()
    return db.session.scalars(select(ComplaintCase)).one()


def _user(db, username: str, role: str = "analyst") -> User:
    user = User(username=username, role=role, password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def test_phone_revealed_only_with_consent_and_audited(db, submit, officer):
    case = _phone_case(db, submit)
    cases.transition(case, "assigned", officer)
    assert cases.reveal_contact(case, officer, "10.0.0.1") == "13800138000"
    entry = db.session.scalars(select(AuditLog)).one()
    assert (
        entry.action == "complaints.reveal_phone" and entry.target == f"case:{case.id}"
    )
    cases.transition(case, "replied", officer, reply="已电话回复")
    assert case.reply_channel == "phone"


def test_only_the_handler_and_admins_see_the_phone(db, submit, officer):
    case = _phone_case(db, submit)
    colleague, admin = _user(db, "colleague"), _user(db, "boss", "admin")
    # Before anyone takes the case, only an admin may call the citizen.
    assert cases.handler_id(case) is None
    assert not cases.may_reveal_contact(case, officer)
    with pytest.raises(cases.NotHandler):
        cases.reveal_contact(case, officer)
    assert cases.reveal_contact(case, admin) == "13800138000"
    # Assigned to a department official who has no account: the officer who
    # recorded the assignment handles it, not a colleague.
    cases.transition(case, "assigned", officer, assignee="人社局王科长")
    assert cases.handler_id(case) == officer.id
    assert cases.may_reveal_contact(case, officer)
    assert not cases.may_reveal_contact(case, colleague)
    with pytest.raises(cases.NotHandler):
        cases.reveal_contact(case, colleague)
    looks = db.session.scalars(select(AuditLog.user_id)).all()
    assert looks == [admin.id]  # a refused look reveals and records nothing


def test_a_case_assigned_to_a_user_by_name_is_theirs(db, submit, officer):
    case = _phone_case(db, submit)
    colleague = _user(db, "colleague")
    cases.transition(case, "assigned", officer, assignee="colleague")
    assert cases.handler_id(case) == colleague.id
    assert cases.may_reveal_contact(case, colleague)
    assert not cases.may_reveal_contact(case, officer)


def test_case_text_that_cannot_be_stored_is_refused(case, officer):
    with pytest.raises(cases.UnstorableText):
        cases.transition(case, "assigned", officer, assignee="王\ufffe科长")
    assert case.state == "new" and case.assignee == ""
