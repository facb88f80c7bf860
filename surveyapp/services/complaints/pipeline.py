"""The one complaint pipeline: stored comments become complaints, classified,
routed and, for a bad rating, opened as cases.

The web request only stores the citizen's response. `flask complaints work`
(the complaints worker, beside the web workers in every set-up: `make run`
starts it, docker-compose runs it as the `worker` service) takes the new
comments in batches: it classifies them with the model it holds, works out
each complaint's unit and each case's dates, and writes them with a few
multi-row statements and one commit. Complaints stored while no model was
active wait as `pending` and are classified by the same code once one is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd
from flask import current_app
from sqlalchemy import exists, func, insert, select, update

from surveyapp.analysis.text import TrainedModel, predict
from surveyapp.extensions import db
from surveyapp.models import Response, ServiceItem, User, Window
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import CaseEvent, Complaint, ComplaintCase
from surveyapp.services.complaints.active_model import (
    ComplaintError,
    ModelSource,
    active_source,
    category_labels,
    load_active_model,
    model_version,
    preload,
)
from surveyapp.services.complaints.cases import case_values, follow_routing
from surveyapp.services.responses.counting import response_counts

__all__ = [
    "ComplaintError",
    "catch_up",
    "classify_pending",
    "correct",
    "corrections_frame",
    "department_for",
    "preload",  # the app factory's hook (surveyapp/__init__.py) imports it here
    "record_for",
    "record_new",
    "waiting_since",
    "work_once",
]

log = logging.getLogger(__name__)
Classifier = tuple[TrainedModel, ModelSource]

# Stored comments of the responses that count (a rejected one opens nothing)
# without a complaint, with what routing needs of them.
_NEW_COMMENTS = (
    select(
        Response.id,
        Response.hall_id,
        Response.submitted_at,
        Response.overall,
        Response.comment.label("text"),
        Window.department_id.label("window_department"),
        ServiceItem.department_id.label("item_department"),
    )
    .outerjoin(Window, Window.id == Response.window_id)
    .outerjoin(ServiceItem, ServiceItem.id == Response.service_item_id)
    .where(
        Response.comment != "",
        response_counts(),
        ~exists().where(Complaint.response_id == Response.id),
    )
)
# Complaints waiting for a model, with what routing needs and their case.
_PENDING = (
    select(
        Complaint.id,
        Response.comment.label("text"),
        Window.department_id.label("window_department"),
        ServiceItem.department_id.label("item_department"),
        ComplaintCase.id.label("case_id"),
        ComplaintCase.state.label("case_state"),
    )
    .join(Response, Response.id == Complaint.response_id)
    .outerjoin(Window, Window.id == Response.window_id)
    .outerjoin(ServiceItem, ServiceItem.id == Response.service_item_id)
    .outerjoin(ComplaintCase, ComplaintCase.complaint_id == Complaint.id)
    .where(Complaint.routing == "pending")
    .order_by(Complaint.id)
)
_COMPLAINTS = Complaint.__table__
_CASES = ComplaintCase.__table__
_EVENTS = CaseEvent.__table__


def _route(
    category: str | None, window_department: int | None, item_department: int | None
) -> int | None:
    """Hall-level issues to the hall (None), the rest to the window's
    department, else the service item's."""
    hall_level = current_app.config.get("COMPLAINTS_HALL_CATEGORIES", ())
    if category is None or category in hall_level:
        return None
    return window_department or item_department


def department_for(response: Response, category: str | None) -> int | None:
    """Routing of one response's complaint under `category` (a person's
    correction uses it)."""
    return _route(
        category,
        response.window.department_id if response.window is not None else None,
        response.service_item.department_id if response.service_item else None,
    )


def _decide(rows: Sequence, classifier: Classifier) -> list[dict]:
    """Each row's classification and routing, as column values: routed when
    the model is confident enough, else left to a person (`needs_person`)."""
    model, source = classifier
    labels, confidence = predict(model, [row.text for row in rows])
    now, version = utcnow(), model_version(model.card)
    decided = []
    for row, label, conf in zip(rows, labels, confidence, strict=True):
        routed = conf >= model.threshold
        decided.append(
            {
                "category": label,
                "confidence": float(conf),
                "model_id": source.record_id,
                "model_version": version,
                "classified_at": now,
                "routing": "routed" if routed else "needs_person",
                "department_id": _route(
                    label if routed else None,
                    row.window_department,
                    row.item_department,
                ),
            }
        )
    return decided


def record_new(
    since: datetime | None = None,
    *,
    classify_with: Classifier | None = None,
    batch: int = 500,
) -> int:
    """Complaints for stored comments that have none yet (only those
    submitted since `since`, if given), classified and routed when a model is
    given, with the cases their ratings call for. Returns how many.

    Everything of a batch is worked out before anything is written; then it
    is three multi-row INSERTs (complaints, cases, the cases' first events)
    and one commit, so SQLite's one write lock is held for milliseconds."""
    query = _NEW_COMMENTS
    if since is not None:
        query = query.where(Response.submitted_at >= since)
    done = 0
    while True:
        rows = db.session.execute(query.order_by(Response.id).limit(batch)).all()
        if rows:
            _store_new(rows, classify_with)
        done += len(rows)
        if len(rows) < batch:
            return done


def record_for(response_id: int) -> bool:
    """The complaint (and case) of one response that counts now, after its
    rejection was reversed; left `pending` for the worker to classify. In the
    caller's transaction (no commit). Returns whether one was recorded."""
    rows = db.session.execute(_NEW_COMMENTS.where(Response.id == response_id)).all()
    if rows:
        _store_new(rows, None, commit=False)
    return bool(rows)


def _store_new(
    rows: Sequence, classify_with: Classifier | None, *, commit: bool = True
) -> None:
    complaints = [
        {
            "response_id": row.id,
            "hall_id": row.hall_id,
            "submitted_at": row.submitted_at,
            "department_id": None,
        }
        for row in rows
    ]
    if classify_with is not None:
        for values, decided in zip(
            complaints, _decide(rows, classify_with), strict=True
        ):
            values.update(decided)
    # Dated when the response came in: a late round never moves a deadline.
    opened = [case_values(row.overall, row.submitted_at) for row in rows]
    connection = db.session.connection()
    ids = connection.execute(
        insert(_COMPLAINTS).returning(_COMPLAINTS.c.id, sort_by_parameter_order=True),
        complaints,
    ).scalars()
    cases = [
        {
            **case,
            "complaint_id": complaint_id,
            "hall_id": values["hall_id"],
            "department_id": values["department_id"],
        }
        for complaint_id, values, case in zip(ids, complaints, opened, strict=True)
        if case is not None
    ]
    if cases:
        case_ids = connection.execute(
            insert(_CASES).returning(_CASES.c.id, sort_by_parameter_order=True),
            cases,
        ).scalars()
        connection.execute(
            insert(_EVENTS),
            [
                {"case_id": case_id, "to_state": "new", "created_at": case["opened_at"]}
                for case_id, case in zip(case_ids, cases, strict=True)
            ],
        )
    if commit:
        db.session.commit()


def classify_pending(
    classifier: Classifier, limit: int | None = None, *, batch: int = 500
) -> int:
    """Classify and route complaints stored while no model was active; a case
    still `new` follows its complaint to its unit (cases.follow_routing).
    Each batch is two bulk UPDATEs by primary key and one commit."""
    done = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        rows = db.session.execute(_PENDING.limit(size)).all()
        if not rows:
            break
        decided = _decide(rows, classifier)
        db.session.execute(
            update(Complaint),
            [
                {"id": row.id, **values}
                for row, values in zip(rows, decided, strict=True)
            ],
        )
        moved = [
            {"id": row.case_id, "department_id": values["department_id"]}
            for row, values in zip(rows, decided, strict=True)
            if row.case_id is not None and row.case_state == "new"
        ]
        if moved:
            db.session.execute(update(ComplaintCase), moved)
        db.session.commit()
        done += len(rows)
    return done


def work_once(lookback: timedelta = timedelta(days=1)) -> int:
    """One round of the complaints worker: complaints for the comments stored
    in the last `lookback`, classified in one batch (far cheaper per complaint
    than one at a time), their cases opened; then whatever waited for a model.
    Without an active model the complaints are recorded `pending` and their
    cases opened all the same. Returns how many complaints were recorded."""
    since = utcnow() - lookback
    model = load_active_model()
    if model is None:
        return record_new(since)
    classifier = (model, active_source())
    new = record_new(since, classify_with=classifier)
    classify_pending(classifier)
    return new


def catch_up(limit: int | None = None) -> int:
    """Record every comment still without a complaint, whatever its age (after
    a long outage of the worker, demo data, imports), then classify up to
    `limit` pending complaints with the active model. Returns how many were
    classified; nothing is classified without an active model."""
    model = load_active_model()
    if model is None:
        record_new()
        return 0
    classifier = (model, active_source())
    new = record_new(classify_with=classifier)
    left = None if limit is None else max(limit - new, 0)
    return new + classify_pending(classifier, left)


def waiting_since(
    lookback: timedelta = timedelta(days=1),
) -> tuple[int, datetime | None]:
    """How many comments of the last `lookback` the worker has not recorded
    yet, and when the oldest of them came in: the office sees when the
    complaints worker is not running."""
    since = utcnow() - lookback
    row = db.session.execute(
        select(func.count(), func.min(Response.submitted_at)).where(
            Response.submitted_at >= since,
            Response.comment != "",
            response_counts(),
            ~exists().where(Complaint.response_id == Response.id),
        )
    ).one()
    return int(row[0] or 0), row[1]


def correct(complaint: Complaint, category: str, user: User) -> Complaint:
    """A person sets the category: it is routed by it and kept as training data."""
    if category not in category_labels():
        raise ComplaintError(f"unknown category {category!r}")
    complaint.corrected_category = category
    complaint.corrected_by_id = user.id
    complaint.corrected_at = utcnow()
    complaint.routing = "routed"
    complaint.department_id = department_for(complaint.response, category)
    follow_routing(complaint)
    db.session.commit()
    return complaint


def corrections_frame() -> pd.DataFrame:
    """Corrected complaints as labeled training data: columns text, label."""
    rows = db.session.execute(
        select(Response.comment, Complaint.corrected_category)
        .join(Response, Response.id == Complaint.response_id)
        .where(Complaint.corrected_category.is_not(None), Response.comment != "")
        .order_by(Complaint.id)
    ).all()
    return pd.DataFrame(
        [(text, label) for text, label in rows], columns=["text", "label"]
    )
