"""Complaints on store: pending without a loaded model, classified, routed, corrected."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp.models import Response, User
from surveyapp.models.complaints import Complaint, ComplaintCase, ComplaintModel
from surveyapp.services.complaints import pipeline as service
from surveyapp.services.complaints.inbox import InboxFilter, inbox, topics

# Fixtures shared with the other complaint tests.
from tests.complaint_helpers import active_model, seed_model_path  # noqa: F401
from tests.conftest import full_answers

WAITING = "在不动产登记窗口排队等了三个多小时，取号机叫号太慢了"
ATTITUDE = "窗口工作人员态度很差，对群众不耐烦还大声呵斥"


def _complain(submit, text=WAITING, overall=1, **extra):
    answers = full_answers(overall, q_complaint=text, **extra)
    assert submit(answers).status_code == 303


def _only(db, model):
    return db.session.scalars(select(model)).one()


def test_without_a_loaded_model_the_complaint_waits_and_a_case_opens(db, submit):
    _complain(submit)
    complaint = _only(db, Complaint)
    assert complaint.routing == "pending" and complaint.category is None
    assert complaint.text == WAITING
    case = _only(db, ComplaintCase)
    assert case.state == "new" and case.complaint_id == complaint.id
    assert case.due_at > case.opened_at
    assert [e.to_state for e in case.events] == ["new"]


@pytest.mark.usefixtures("active_model")
def test_request_path_never_loads_the_model(db, submit):
    _complain(submit)
    assert _only(db, Complaint).routing == "pending"
    assert service.loaded_model() is None
    assert service.classify_pending() == 1
    complaint = _only(db, Complaint)
    assert complaint.routing in ("routed", "needs_person")
    assert complaint.category == "waiting_time"
    assert 0 < complaint.confidence <= 1 and complaint.model_version


@pytest.mark.usefixtures("active_model")
def test_loaded_model_classifies_right_after_the_response(db, submit):
    assert service.load_active_model() is not None
    _complain(submit, ATTITUDE)
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
    assert service.classify_pending() == len(commented)
    rows = demo.session.scalars(select(Complaint)).all()
    assert len(rows) == len(commented)
    assert all(c.routing != "pending" for c in rows)
    # Demo comments come with bad ratings: each is a case.
    assert len(demo.session.scalars(select(ComplaintCase)).all()) == len(rows)
    assert service.classify_pending() == 0


def test_activating_keeps_one_active_model(db, seed_model_path):  # noqa: F811
    first = service.register_model(seed_model_path, activate=True)
    assert first.active and first.labels and first.version
    assert service.active_source().record_id == first.id
    copy = seed_model_path.parent / "copy"
    copy.write_bytes(seed_model_path.read_bytes())
    copy.with_suffix(".json").write_bytes(
        seed_model_path.with_suffix(".json").read_bytes()
    )
    second = service.register_model(copy, activate=True)
    active = db.session.scalars(select(ComplaintModel).where(ComplaintModel.active))
    assert [m.id for m in active] == [second.id]


@pytest.mark.usefixtures("active_model")
def test_inbox_filters_and_topics(db, submit):
    service.load_active_model()
    _complain(submit, WAITING)
    _complain(submit, ATTITUDE)
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


def test_app_factory_preloads_only_when_configured(app, seed_model_path):  # noqa: F811
    from surveyapp import create_app

    config = {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "COMPLAINTS_MODEL_PATH": str(seed_model_path),
    }
    service._cache.clear()
    create_app(config)
    assert not service._cache
    try:
        preloaded = create_app({**config, "COMPLAINTS_PRELOAD": True})
        with preloaded.app_context():
            from surveyapp.extensions import db

            # gunicorn forks next: no pooled connection may be inherited.
            assert db.engine.pool.checkedin() == 0
            assert service.loaded_model() is not None
    finally:
        service._cache.clear()


@pytest.fixture()
def worker_mode(app):
    app.config["COMPLAINTS_INLINE"] = False
    yield
    app.config["COMPLAINTS_INLINE"] = True


@pytest.mark.usefixtures("active_model", "worker_mode")
def test_worker_mode_leaves_classification_to_the_worker(db, submit, runner):
    from datetime import timedelta

    from surveyapp.models.base import utcnow

    assert service.load_active_model() is not None  # even with a model loaded ...
    _complain(submit, ATTITUDE)
    _complain(submit, WAITING, overall=2)
    # ... the web request stored the responses only.
    assert db.session.scalars(select(Complaint)).all() == []
    assert service.work_once() == 2
    rows = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert [c.category for c in rows] == ["staff_attitude", "waiting_time"]
    # Each bad rating is a case, routed with its complaint.
    cases = db.session.scalars(select(ComplaintCase).order_by(ComplaintCase.id))
    for case, complaint in zip(cases.all(), rows, strict=True):
        assert case.complaint_id == complaint.id
        assert case.department_id == complaint.department_id
    assert service.work_once() == 0  # nothing twice
    # Comments older than the look-back are left to `classify-pending`.
    _complain(submit, WAITING)
    old = db.session.scalars(select(Response).order_by(Response.id.desc())).first()
    old.submitted_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert service.work_once() == 0
    result = runner.invoke(args=["complaints", "work", "--once"])
    assert result.exit_code == 0 and "0 complaints" in result.output
    assert service.classify_pending() == 1


def _recorded(db) -> list[tuple]:
    """What was recorded of each comment: the complaint, its case and events."""
    rows = []
    for c in db.session.scalars(select(Complaint).order_by(Complaint.response_id)):
        case = c.case
        rows.append(
            (
                c.response_id,
                c.hall_id,
                c.submitted_at,
                c.category,
                round(c.confidence, 9),
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


@pytest.mark.usefixtures("active_model")
def test_worker_batches_record_what_the_request_path_records(
    app, db, submit, monkeypatch
):
    """The worker writes its batches with multi-row INSERTs; what it records
    must equal what record_complaint records one at a time with the ORM."""
    assert service.load_active_model() is not None
    # So that some complaints open no case.
    monkeypatch.setitem(app.config, "CASE_MAX_OVERALL", 1)
    for text, overall in ((WAITING, 1), (ATTITUDE, 2), (WAITING, 2), (ATTITUDE, 1)):
        _complain(submit, text, overall=overall)
    inline = _recorded(db)
    assert [r[10] is not None for r in inline] == [True, False, False, True]
    for complaint in db.session.scalars(select(Complaint)):
        db.session.delete(complaint)  # its case and events go with it
    db.session.commit()
    assert db.session.scalars(select(ComplaintCase)).all() == []

    model, source = service.load_active_model(), service.active_source()
    # Batches of 3: one full batch and one short one.
    assert service.create_missing(classify_with=(model, source), batch=3) == 4
    db.session.expire_all()
    assert _recorded(db) == inline
    assert service.create_missing(classify_with=(model, source), batch=3) == 0


@pytest.mark.usefixtures("worker_mode")
def test_worker_without_a_model_keeps_complaints_pending(db, submit, runner):
    _complain(submit)
    result = runner.invoke(args=["complaints", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 complaints recorded" in result.output
    complaint = _only(db, Complaint)
    assert complaint.routing == "pending"
    assert _only(db, ComplaintCase).complaint_id == complaint.id
