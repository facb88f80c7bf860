"""One truth (issue 18): the responses and cases that count are the same on
every page; a rejected response opens no case and withdraws the one it had;
live stuffing; 一事一评; the reply's note; the phone deleted at closing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.analysis.periods import parse_period
from surveyapp.models import AuditLog, Hall, Response, User
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import Complaint, ComplaintCase
from surveyapp.services.complaints import cases
from surveyapp.services.complaints.inbox import InboxFilter, inbox
from surveyapp.services.complaints.pipeline import catch_up
from surveyapp.services.indices.inputs import load_frame
from surveyapp.services.indices.runs import compute_run, publish_run
from surveyapp.services.quality import review
from surveyapp.services.responses.summaries import ResponseFilter, hall_summaries
from tests.complaint_helpers import worker_round
from tests.conftest import full_answers
from tests.services.quality_helpers import new_browser, post_answers, responses
from tests.services.test_indices import demo_period

COMPLAINT = "办事材料被退回三次，每次说法都不一样"


@pytest.fixture()
def officer(db):
    user = User(username="officer", role="admin", password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def _bad_with_comment(rows, every: int) -> list[Response]:
    changed = rows[::every]
    for row in changed:
        row.overall = 1
        row.comment = COMPLAINT
        row.answers = {**(row.answers or {}), "overall": 1, "complaint": COMPLAINT}
    return changed


def test_summary_index_cases_and_api_count_the_same(app, client, demo, db, officer):
    from surveyapp.services.admin.api_tokens import create_token
    from surveyapp.services.admin.demo import seed_responses

    seed_responses(600)
    hall = db.session.scalars(select(Hall).order_by(Hall.code)).first()
    rows = list(
        db.session.scalars(
            select(Response).where(Response.hall_id == hall.id).order_by(Response.id)
        )
    )
    assert len(rows) > 40
    # Rejected and flagged responses, some of them bad ratings with a complaint.
    bad = _bad_with_comment(rows, 3)
    for row in rows[::5]:
        row.verdict = row.auto_verdict = "rejected"
    for row in rows[1::7]:
        if row.verdict == "ok":
            row.verdict = row.auto_verdict = "flagged"
    db.session.commit()
    catch_up()
    counted = [r for r in rows if r.verdict != "rejected"]
    counted_cases = [r for r in bad if r.verdict != "rejected"]
    assert any(r.verdict == "flagged" for r in counted)
    assert any(r.verdict == "rejected" for r in bad)  # ... and opened no case
    period = parse_period(demo_period())

    summary = hall_summaries(ResponseFilter.for_period(period, hall.id))[0]
    frame = load_frame(period, "hall", utcnow(), False, app.config["TIMEZONE"])
    index_inputs = int(frame[(frame["hall_id"] == hall.id) & frame["counted"]].shape[0])
    listed = [u for u in cases.unit_rates() if u.hall == hall.name]
    case_count = sum(unit.cases for unit in listed)
    complaints, total = inbox(InboxFilter(hall_id=hall.id, period=demo_period()))
    run = publish_run(compute_run(demo_period(), "hall"))
    token = create_token("scoring")
    body = client.get(
        f"/api/v1/indices?period={run.period}&level=hall&per_page=200",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    api = next(item for item in body["items"] if item["unit_code"] == hall.code)

    from surveyapp.services.publication.records import hall_records

    public = next(r for r in hall_records(period) if r.code == hall.code)
    assert summary.responses == index_inputs == api["responses"] == len(counted)
    assert public.responses == len(counted)
    assert summary.case_rates.cases == case_count == len(counted_cases)
    assert public.cases.cases == len(counted_cases)
    assert total == len(counted_cases)
    assert all(c.response.verdict != "rejected" for c in complaints)
    # A rejected response has neither complaint nor case.
    rejected_ids = [r.id for r in bad if r.verdict == "rejected"]
    assert not db.session.scalar(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.response_id.in_(rejected_ids))
    )


@pytest.fixture()
def case(db, submit):
    assert submit(full_answers(1, q_complaint=COMPLAINT)).status_code == 303
    worker_round()
    return db.session.scalars(select(ComplaintCase)).one()


def test_rejection_withdraws_the_case_and_reversal_brings_it_back(case, db, officer):
    response = case.complaint.response
    decision = review.decide(response, officer, "reject", note="机器人")
    assert case.withdrawn_at is not None and case.withdrawn_reason == "rejected"
    assert cases.list_cases().rows == []
    assert cases.list_cases(withdrawn=True).rows == [case]
    assert cases.unit_rates() == [] and not cases.is_overdue(case)
    assert sum(count for _state, count, _late in cases.state_counts()) == 0
    assert inbox(InboxFilter())[1] == 0 and inbox(InboxFilter(rejected=True))[1] == 1
    with pytest.raises(cases.CaseError):
        cases.transition(case, "assigned", officer)
    review.reverse(decision, officer, note="核实为真实评价")
    assert case.withdrawn_at is None and cases.list_cases().rows == [case]
    notes = [e.note for e in case.events]
    assert notes[-2:] == [
        "withdrawn: response rejected",
        "restored: rejection reversed",
    ]
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"complaints.withdraw_case", "complaints.restore_case"} <= actions


def test_rescore_rejection_withdraws_the_case(case, db):
    from surveyapp.services.quality.verdicts import apply_verdict

    apply_verdict(case.complaint.response, "rejected")
    db.session.commit()
    assert case.withdrawn_at is not None
    assert (
        db.session.scalar(
            select(AuditLog).where(AuditLog.action == "complaints.withdraw_case")
        ).user_id
        is None
    )


def test_rejected_at_submission_opens_nothing_until_accepted(
    app, db, submit, officer, monkeypatch
):
    monkeypatch.setitem(app.config, "QUALITY_ON_SUBMIT", True)
    # A bot: the honeypot is filled.
    answers = full_answers(1, q_complaint=COMPLAINT, website="http://spam")
    assert submit(answers).status_code == 303
    (response,) = responses()
    assert response.verdict == "rejected"
    worker_round()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0
    review.decide(response, officer, "accept", note="人工核实")
    case = db.session.scalars(select(ComplaintCase)).one()
    assert case.complaint.response_id == response.id and case.withdrawn_at is None


def test_stuffing_is_flagged_and_rejected_in_the_submitting_request(
    app, client, survey_path, db, monkeypatch
):
    monkeypatch.setitem(app.config, "QUALITY_ON_SUBMIT", True)
    path = survey_path()
    for _ in range(4):  # one phone number, a new cookie each time
        new_browser(client)
        answer = post_answers(client, path, phone="13800138000", contact_consent="y")
        assert answer.status_code == 303
    verdicts = [r.verdict for r in responses()]
    assert verdicts == ["ok", "flagged", "rejected", "rejected"]
    assert "duplicate_phone" in responses()[1].reasons
    # Another window is another errand.
    new_browser(client)
    post_answers(client, survey_path(2), phone="13800138000", contact_consent="y")
    assert responses()[-1].verdict == "ok"


def test_one_visit_is_one_rating(app, client, survey_path, db, monkeypatch):
    monkeypatch.setitem(app.config, "ONE_VISIT_WINDOW_S", 7200)
    path = survey_path()
    first = post_answers(client, path, answers=full_answers(2))
    # Back, change the answer, submit again: the same browser, a new ticket.
    again = post_answers(client, path, answers=full_answers(1, q_complaint=COMPLAINT))
    assert first.status_code == again.status_code == 303
    (response,) = responses()
    assert response.overall == 1 and response.comment == COMPLAINT
    assert [r["overall"] for r in response.revisions] == [2]
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "已对本次办事作过评价" in page or "already rated this visit" in page
    worker_round()
    assert db.session.scalar(select(func.count()).select_from(ComplaintCase)) == 1
    # Another browser at the same window is another person's rating.
    new_browser(client)
    post_answers(client, path)
    assert len(responses()) == 2


def test_note_typed_with_the_reply_is_kept(case, officer):
    cases.transition(case, "assigned", officer)
    cases.transition(
        case, "replied", officer, reply="已统一材料清单", note="科长已电话核实"
    )
    last = case.events[-1]
    assert "科长已电话核实" in last.note and "已统一材料清单" in last.note
    assert case.reply == "已统一材料清单"


def test_closing_deletes_the_phone(db, submit, officer):
    answers = full_answers(
        1, q_complaint=COMPLAINT, phone="13800138000", contact_consent="y"
    )
    assert submit(answers).status_code == 303
    worker_round()
    case = db.session.scalars(select(ComplaintCase)).one()
    response = case.complaint.response
    assert response.phone_encrypted
    cases.transition(case, "assigned", officer, assignee="officer")
    cases.transition(case, "replied", officer, reply="已回访")
    assert response.phone_encrypted  # still needed until the case is closed
    cases.transition(case, "closed", officer)
    assert response.phone_encrypted is None and response.phone_hash
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "complaints.delete_phone")
    )
    assert entry.target == f"case:{case.id}" and entry.user_id == officer.id


def test_withdrawn_case_page_says_so_in_chinese(case, client, login, officer):
    decision = review.decide(case.complaint.response, officer, "reject")
    login()
    page = client.get(
        f"/office/cases/{case.id}", headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    assert "已撤销：该评价已被剔除" in page and "withdrawn: response" not in page
    assert 'name="to_state"' not in page  # a withdrawn case takes no step
    review.reverse(decision, officer)
    page = client.get(f"/office/cases/{case.id}").get_data(as_text=True)
    assert 'name="to_state"' in page


def test_a_revised_rating_is_noted_and_its_case_stays_open(
    app, client, survey_path, db, monkeypatch, login
):
    monkeypatch.setitem(app.config, "ONE_VISIT_WINDOW_S", 7200)
    path = survey_path()
    post_answers(client, path, answers=full_answers(1, q_complaint=COMPLAINT))
    worker_round()
    case = db.session.scalars(select(ComplaintCase)).one()
    # Back at the counter, the citizen turns the 差评 into 满意: the case is
    # still verified and answered, with the revision in its history.
    post_answers(client, path, answers=full_answers(4, q_complaint=COMPLAINT))
    db.session.expire_all()
    assert case.state == "new" and case.closed_at is None
    assert case.events[-1].note == "revised: 1->4"
    assert cases.list_cases().rows == [case]
    login()
    client.set_cookie("lang", "zh")
    page = client.get(f"/office/cases/{case.id}").get_data(as_text=True)
    assert "群众修改了评价（一事一评）：非常不满意 → 满意" in page
    assert "revised: 1" not in page


def test_a_rating_revised_to_bad_opens_its_case(
    app, client, survey_path, db, monkeypatch
):
    monkeypatch.setitem(app.config, "ONE_VISIT_WINDOW_S", 7200)
    path = survey_path()
    post_answers(client, path, answers=full_answers(4))
    # a questionnaire that asks every rating for a comment: a good rating's
    # comment is a complaint without a case
    (response,) = responses()
    response.comment = COMPLAINT
    db.session.commit()
    worker_round()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
    assert db.session.scalar(select(func.count()).select_from(ComplaintCase)) == 0
    post_answers(client, path, answers=full_answers(2, q_complaint=COMPLAINT))
    worker_round()
    (case,) = db.session.scalars(select(ComplaintCase)).all()
    assert case.complaint.response.overall == 2 and case.state == "new"
    assert [e.to_state for e in case.events][0] == "new"
    assert case.events[-1].note == "revised: 4->2"
    assert case.due_at > case.opened_at
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
