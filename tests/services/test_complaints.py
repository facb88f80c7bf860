"""The complaint pipeline: the web request stores the response only; the
worker's round records the complaint (pending without a model), classifies,
routes and opens its case; a person corrects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp.models import Response, User
from surveyapp.models.complaints import Complaint, ComplaintCase, ComplaintModel
from surveyapp.services.complaints import active_model as models
from surveyapp.services.complaints import pipeline as service
from surveyapp.services.complaints.inbox import InboxFilter, inbox, topics

# Fixtures shared with the other complaint tests.
from tests.complaint_helpers import (  # noqa: F401
    active_model,
    seed_model_path,
    worker_round,
)
from tests.conftest import full_answers

WAITING = "在不动产登记窗口排队等了三个多小时，取号机叫号太慢了"
ATTITUDE = "窗口工作人员态度很差，对群众不耐烦还大声呵斥"


def _complain(submit, text=WAITING, overall=1, **extra):
    answers = full_answers(overall, q_complaint=text, **extra)
    assert submit(answers).status_code == 303


def _only(db, model):
    return db.session.scalars(select(model)).one()


def test_without_a_model_the_complaint_waits_and_a_case_opens(db, submit):
    _complain(submit)
    assert worker_round() == 1
    complaint = _only(db, Complaint)
    assert complaint.routing == "pending" and complaint.category is None
    assert complaint.text == WAITING
    case = _only(db, ComplaintCase)
    assert case.state == "new" and case.complaint_id == complaint.id
    assert case.due_at > case.opened_at
    assert [e.to_state for e in case.events] == ["new"]


@pytest.mark.usefixtures("active_model")
def test_the_web_request_stores_the_response_only(db, submit):
    assert models.load_active_model() is not None  # even with a model loaded ...
    _complain(submit)
    # ... the citizen's request recorded, classified and opened nothing.
    assert db.session.scalars(select(Complaint)).all() == []
    assert db.session.scalars(select(ComplaintCase)).all() == []
    assert worker_round() == 1
    complaint = _only(db, Complaint)
    assert complaint.routing in ("routed", "needs_person")
    assert complaint.category == "waiting_time"
    assert 0 < complaint.confidence <= 1 and complaint.model_version


@pytest.mark.usefixtures("active_model")
def test_the_worker_classifies_and_routes_with_the_case(db, submit):
    _complain(submit, ATTITUDE)
    worker_round()
    complaint = _only(db, Complaint)
    assert complaint.category == "staff_attitude"
    assert complaint.classified_at is not None
    if complaint.routing == "routed":
        # Not a hall-level issue: the department running the window.
        window = db.session.scalars(select(Response)).one().window
        assert complaint.department_id == window.department_id
        assert _only(db, ComplaintCase).department_id == window.department_id


def test_good_rating_without_text_is_not_a_complaint(db, submit):
    assert submit(full_answers(5)).status_code == 303
    assert worker_round() == 0
    assert db.session.scalars(select(Complaint)).all() == []


def test_hall_level_categories_go_to_the_hall(db, submit, app):
    _complain(submit)
    response = db.session.scalars(select(Response)).one()
    assert service.department_for(response, "waiting_time") is None
    assert service.department_for(response, None) is None
    assert service.department_for(response, "fees") == response.window.department_id


@pytest.mark.usefixtures("active_model")
def test_correction_routes_and_becomes_training_data(db, submit):
    _complain(submit, "收费标准不清楚，多收了二十元工本费")
    worker_round()
    complaint = _only(db, Complaint)
    user = User(username="ana", role="analyst", password_hash="x")
    db.session.add(user)
    db.session.commit()
    service.correct(complaint, "fees", user)
    assert complaint.corrected_category == "fees" and complaint.routing == "routed"
    assert complaint.corrected_by_id == user.id
    frame = service.corrections_frame()
    assert frame.to_dict("records") == [
        {"text": "收费标准不清楚，多收了二十元工本费", "label": "fees"}
    ]
    try:
        service.correct(complaint, "weather", user)
    except service.ComplaintError:
        pass
    else:
        raise AssertionError("an unknown category must be refused")


@pytest.mark.usefixtures("active_model")
def test_classify_pending_creates_complaints_for_demo_data(demo):
    from surveyapp.services.admin.demo import seed_responses

    seed_responses(300)
    commented = demo.session.scalars(
        select(Response.id).where(Response.comment != "")
    ).all()
    assert commented
    assert service.catch_up() == len(commented)
    rows = demo.session.scalars(select(Complaint)).all()
    assert len(rows) == len(commented)
    assert all(c.routing != "pending" for c in rows)
    # Demo comments come with bad ratings: each is a case.
    assert len(demo.session.scalars(select(ComplaintCase)).all()) == len(rows)
    assert service.catch_up() == 0


def test_activating_keeps_one_active_model(db, seed_model_path):  # noqa: F811
    first = models.register_model(seed_model_path, activate=True)
    assert first.active and first.labels and first.version
    assert models.active_source().record_id == first.id
    copy = seed_model_path.parent / "copy"
    copy.write_bytes(seed_model_path.read_bytes())
    copy.with_suffix(".json").write_bytes(
        seed_model_path.with_suffix(".json").read_bytes()
    )
    second = models.register_model(copy, activate=True)
    active = db.session.scalars(select(ComplaintModel).where(ComplaintModel.active))
    assert [m.id for m in active] == [second.id]


@pytest.mark.usefixtures("active_model")
def test_inbox_filters_and_topics(db, submit):
    _complain(submit, WAITING)
    _complain(submit, ATTITUDE)
    worker_round()
    rows, total = inbox(InboxFilter())
    assert total == 2
    rows, total = inbox(InboxFilter(category="staff_attitude"))
    assert [c.text for c in rows] == [ATTITUDE]
    assert inbox(InboxFilter(min_confidence=1.01))[1] == 0
    assert inbox(InboxFilter(routing="pending"))[1] == 0
    assert inbox(InboxFilter(period="2001-01"))[1] == 0
    result = topics()
    assert set(result["categories"]) == {"waiting_time", "staff_attitude"}
    assert sum(sum(v.values()) for v in result["trend"].values()) == 2
    words = [w for w, _ in result["by_category"]["waiting_time"]]
    assert "排队" in words or "叫号" in words


def test_app_factory_preloads_the_tokenizer_never_the_model(
    app,
    seed_model_path,  # noqa: F811
    monkeypatch,
):
    """gunicorn preloads jieba for the office's pages; web workers never
    classify, so they never hold the model."""
    from surveyapp import create_app

    warmed: list[int] = []
    monkeypatch.setattr(models, "warm_up", lambda: warmed.append(1))
    config = {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "COMPLAINTS_MODEL_PATH": str(seed_model_path),
    }
    models.forget_loaded_model()
    create_app(config)
    assert warmed == []
    preloaded = create_app({**config, "COMPLAINTS_PRELOAD": True})
    assert warmed == [1]
    with preloaded.app_context():
        assert models.loaded_model() is None


@pytest.mark.usefixtures("active_model")
def test_worker_rounds_record_each_comment_once(db, submit, runner):
    from datetime import timedelta

    from surveyapp.models.base import utcnow

    _complain(submit, ATTITUDE)
    _complain(submit, WAITING, overall=2)
    assert db.session.scalars(select(Complaint)).all() == []
    assert worker_round() == 2
    rows = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert [c.category for c in rows] == ["staff_attitude", "waiting_time"]
    # Each bad rating is a case, routed with its complaint.
    cases = db.session.scalars(select(ComplaintCase).order_by(ComplaintCase.id))
    for case, complaint in zip(cases.all(), rows, strict=True):
        assert case.complaint_id == complaint.id
        assert case.department_id == complaint.department_id
    assert worker_round() == 0  # nothing twice
    # Comments older than the look-back are left to `classify-pending`.
    _complain(submit, WAITING)
    old = db.session.scalars(select(Response).order_by(Response.id.desc())).first()
    old.submitted_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert worker_round() == 0
    result = runner.invoke(args=["complaints", "work", "--once"])
    assert result.exit_code == 0 and "0 complaints" in result.output
    assert service.catch_up() == 1


def _recorded(db) -> list[tuple]:
    """What was recorded of each comment: the complaint, its case and events."""
    rows = []
    for c in db.session.scalars(select(Complaint).order_by(Complaint.response_id)):
        case = c.case
        rows.append(
            (
                c.response_id,
                c.category,
                c.routing,
                c.department_id,
                c.model_id,
                c.model_version,
                c.classified_at is not None,
                case and (case.state, case.hall_id, case.department_id),
                case and (case.opened_at, case.due_at),
                case and [(e.from_state, e.to_state) for e in case.events],
            )
        )
    return rows


def test_pending_complaints_are_classified_like_new_ones(
    app,
    db,
    submit,
    seed_model_path,  # noqa: F811
    monkeypatch,
):
    """Complaints recorded while no model was active are classified later by
    the same decision as new ones: same category, routing, unit, and a case
    still `new` follows its complaint."""
    monkeypatch.setitem(app.config, "CASE_MAX_OVERALL", 1)  # some open no case
    for text, overall in ((WAITING, 1), (ATTITUDE, 2), (WAITING, 2), (ATTITUDE, 1)):
        _complain(submit, text, overall=overall)
    assert worker_round() == 4  # no model yet: recorded pending
    assert {c.routing for c in db.session.scalars(select(Complaint))} == {"pending"}
    monkeypatch.setitem(app.config, "COMPLAINTS_MODEL_PATH", str(seed_model_path))
    models.forget_loaded_model()
    try:
        assert worker_round() == 0  # nothing new; the pending ones classified
        later = _recorded(db)
        for complaint in db.session.scalars(select(Complaint)):
            db.session.delete(complaint)  # its case and events go with it
        db.session.commit()
        assert worker_round() == 4  # recorded anew, classified at once
        db.session.expire_all()
        assert _recorded(db) == later
    finally:
        models.forget_loaded_model()
    assert [r[7] is not None for r in later] == [True, False, False, True]
    assert all(r[2] in ("routed", "needs_person") for r in later)


def test_without_a_model_cases_open_all_the_same(db, submit, runner):
    _complain(submit)
    result = runner.invoke(args=["complaints", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 complaints recorded" in result.output
    complaint = _only(db, Complaint)
    assert complaint.routing == "pending"
    assert _only(db, ComplaintCase).complaint_id == complaint.id


def test_the_web_request_leaves_complaints_to_the_worker(db, submit):
    """Submitting stores the response only: the worker writes complaints."""
    _complain(submit)
    stored = db.session.scalars(select(Response)).one()
    assert db.session.scalars(select(Complaint)).all() == []
    count, oldest = service.waiting_since()
    assert count == 1 and oldest == stored.submitted_at
    worker_round()
    assert service.waiting_since() == (0, None)
