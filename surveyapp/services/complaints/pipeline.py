"""Complaints: the active model (loaded once per process), classification, routing."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from flask import current_app
from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import selectinload

from surveyapp.analysis.text import TrainedModel, load_model, predict, warm_up
from surveyapp.analysis.text.model_card import card_path
from surveyapp.extensions import db
from surveyapp.models import Response, ServiceItem, User, Window
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import (
    CaseEvent,
    Complaint,
    ComplaintCase,
    ComplaintModel,
)

log = logging.getLogger(__name__)
_lock = threading.Lock()
# One loaded model per process: {"key": (path, mtime_ns), "model": TrainedModel}.
_cache: dict = {}


class ComplaintError(ValueError):
    """A complaint operation that cannot be done (unknown category, no model)."""


@dataclass(frozen=True)
class ModelSource:
    """Where the active model lives: a registered row, or the configured default."""

    path: Path
    record_id: int | None


def model_version(card: dict) -> str:
    sha = (card.get("training_data") or {}).get("sha256", "")[:12]
    return f"{card.get('created', '')} {sha}".strip()[:80]


def active_record() -> ComplaintModel | None:
    return db.session.scalar(select(ComplaintModel).where(ComplaintModel.active))


def active_source() -> ModelSource | None:
    record = active_record()
    if record is not None:
        return ModelSource(Path(record.path), record.id)
    default = current_app.config.get("COMPLAINTS_MODEL_PATH") or ""
    if default and Path(default).is_file():
        return ModelSource(Path(default), None)
    return None


def _key(path: Path) -> tuple[str, int] | None:
    try:
        return str(path.resolve()), os.stat(path).st_mtime_ns
    except OSError:
        return None


def loaded_model(source: ModelSource | None = None) -> TrainedModel | None:
    """The active model if this process already holds it; never loads (cheap)."""
    source = source or active_source()
    if source is None or not _cache:
        return None
    return _cache["model"] if _cache.get("key") == _key(source.path) else None


def load_active_model() -> TrainedModel | None:
    """Load (once) the active model and the tokenizer; for CLI, office and warm-up."""
    source = active_source()
    if source is None:
        return None
    with _lock:
        model = loaded_model(source)
        if model is None:
            key = _key(source.path)
            model = load_model(source.path)
            warm_up()
            _cache.clear()
            _cache.update(key=key, model=model)
    return model


def preload(app) -> None:
    """App-factory hook: load the model before gunicorn forks (COMPLAINTS_PRELOAD)."""
    with app.app_context():
        try:
            if load_active_model() is None:
                warm_up()
        except Exception:  # a missing table or file must not stop the app
            log.warning("complaints: active model not preloaded", exc_info=True)
        finally:
            db.session.remove()
            # Forked workers must not inherit (and share) this process's
            # pooled connection: SQLAlchemy's advice for os.fork().
            db.engine.dispose()


def register_model(path: str | Path, *, activate: bool = False) -> ComplaintModel:
    """Register a saved model file (reads its card, checks it loads)."""
    path = Path(path).resolve()
    model = load_model(path)
    record = db.session.scalar(
        select(ComplaintModel).where(ComplaintModel.path == str(path))
    )
    if record is None:
        record = ComplaintModel(path=str(path))
        db.session.add(record)
    record.version = model_version(model.card)
    record.labels = list(model.labels)
    record.threshold = float(model.threshold)
    record.card = {k: v for k, v in model.card.items() if k != "cv"} | {
        "cv_summary": {
            k: model.card.get("cv", {}).get(k) for k in ("accuracy", "macro_f1", "n")
        }
    }
    if activate:
        db.session.flush()
        db.session.execute(
            update(ComplaintModel)
            .where(ComplaintModel.id != record.id)
            .values(active=False)
        )
        record.active = True
        record.activated_at = utcnow()
    db.session.commit()
    return record


def category_labels() -> list[str]:
    """Categories a person may choose: the active model's, else any seen so far."""
    record = active_record()
    if record is not None and record.labels:
        return list(record.labels)
    source = active_source()
    if source is not None:
        try:
            card = json.loads(card_path(source.path).read_text(encoding="utf-8"))
            return list(card["labels"])
        except (OSError, ValueError, KeyError):
            log.warning("complaints: no readable card for %s", source.path)
    seen = db.session.scalars(
        select(Complaint.category).where(Complaint.category.is_not(None)).distinct()
    )
    return sorted(seen)


def department_for(response: Response, category: str | None) -> int | None:
    """Default routing: hall-level issues to the hall, the rest to the window's
    department (or, failing that, the department of the service item)."""
    return _route(
        category,
        response.window.department_id if response.window is not None else None,
        response.service_item.department_id if response.service_item else None,
    )


def _route(
    category: str | None, window_department: int | None, item_department: int | None
) -> int | None:
    hall_level = current_app.config.get("COMPLAINTS_HALL_CATEGORIES", ())
    if category is None or category in hall_level:
        return None
    return window_department or item_department


def _classified(
    label: str, confidence: float, model: TrainedModel, source: ModelSource, now
) -> dict:
    """A complaint's fields once the model has read it: routed when the model
    is confident enough, else left to a person."""
    return {
        "category": label,
        "confidence": float(confidence),
        "model_id": source.record_id,
        "model_version": model_version(model.card),
        "classified_at": now,
        "routing": "routed" if confidence >= model.threshold else "needs_person",
    }


def _apply(
    complaints: list[Complaint], model: TrainedModel, source: ModelSource
) -> None:
    """Classify and route; writes nothing until the caller's commit, so a
    batch holds SQLite's write lock only for that commit (the lookups of
    windows and cases below would otherwise flush the first changes)."""
    from surveyapp.services.complaints.cases import follow_routing

    labels, confidence = predict(model, [c.text for c in complaints])
    now = utcnow()
    with db.session.no_autoflush:
        for complaint, label, conf in zip(complaints, labels, confidence, strict=True):
            for name, value in _classified(label, conf, model, source, now).items():
                setattr(complaint, name, value)
            routed = complaint.routing == "routed"
            category = complaint.effective_category if routed else None
            complaint.department_id = department_for(complaint.response, category)
            follow_routing(complaint)


def record_complaint(response: Response) -> Complaint | None:
    """After a response is stored: keep its comment as a complaint, classify it
    if this process holds the model (a few ms), open a case for a bad rating.

    Never loads a model and never raises: the citizen's thank-you page must not
    wait or fail for this; what is left pending is classified later."""
    if not (response.comment or "").strip():
        return None
    try:
        complaint = Complaint(
            response=response,
            hall_id=response.hall_id,
            submitted_at=response.submitted_at,
        )
        db.session.add(complaint)
        source = active_source()
        model = loaded_model(source)
        if model is not None:
            _apply([complaint], model, source)
        from surveyapp.services.complaints.cases import maybe_open_case

        maybe_open_case(complaint)
        db.session.commit()
        return complaint
    except Exception:
        db.session.rollback()
        log.exception("complaints: response %s not recorded", response.id)
        return None


def record_complaint_of(response_id: int) -> Complaint | None:
    """record_complaint for a response id: runs after the thank-you page was
    sent (see surveyapp/deferred.py)."""
    response = db.session.get(Response, response_id)
    return record_complaint(response) if response is not None else None


# Stored comments without a complaint, with what routing needs of them.
_NEW_COMMENTS = (
    select(
        Response.id,
        Response.hall_id,
        Response.submitted_at,
        Response.overall,
        Response.comment,
        Window.department_id.label("window_department"),
        ServiceItem.department_id.label("item_department"),
    )
    .outerjoin(Window, Window.id == Response.window_id)
    .outerjoin(ServiceItem, ServiceItem.id == Response.service_item_id)
    .where(
        Response.comment != "",
        ~exists().where(Complaint.response_id == Response.id),
    )
)
_COMPLAINTS = Complaint.__table__
_CASES = ComplaintCase.__table__
_EVENTS = CaseEvent.__table__


def create_missing(
    since: datetime | None = None,
    *,
    classify_with: tuple[TrainedModel, ModelSource] | None = None,
    batch: int = 500,
) -> int:
    """Complaints for stored responses with a comment but none yet (the
    worker, demo data, imports), with their cases; only those submitted since
    `since` if given. With `classify_with` (the loaded model and its source)
    they are classified and routed first, as record_complaint does.

    Everything is worked out before anything is written; then each batch is
    three multi-row INSERTs and a commit. On SQLite the worker so holds the
    one write lock for a few milliseconds, not for the ORM's flush of every
    object (~75 ms a second's comments under load, while every submission
    waited)."""
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


def _store_new(rows, classify_with: tuple[TrainedModel, ModelSource] | None) -> None:
    from surveyapp.services.complaints.cases import case_values

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
        model, source = classify_with
        labels, confidence = predict(model, [row.comment for row in rows])
        now = utcnow()
        for values, row, label, conf in zip(
            complaints, rows, labels, confidence, strict=True
        ):
            values.update(_classified(label, conf, model, source, now))
            routed = values["routing"] == "routed"
            values["department_id"] = _route(
                label if routed else None,
                row.window_department,
                row.item_department,
            )
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
    db.session.commit()


def classify_pending(
    limit: int | None = None, *, batch: int = 500, since: datetime | None = None
) -> int:
    """Create missing complaints, then classify the pending ones (loads the model)."""
    create_missing(since)
    model = load_active_model()
    if model is None:
        return 0
    return _classify_pending(model, active_source(), limit, batch)


def _classify_pending(
    model: TrainedModel, source: ModelSource, limit: int | None = None, batch: int = 500
) -> int:
    done = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        rows = db.session.scalars(
            select(Complaint)
            .where(Complaint.routing == "pending")
            .order_by(Complaint.id)
            .limit(size)
            # What routing reads, in four queries per batch, not three per row.
            .options(
                selectinload(Complaint.response).selectinload(Response.window),
                selectinload(Complaint.response).selectinload(Response.service_item),
                selectinload(Complaint.case),
            )
        ).all()
        if not rows:
            break
        _apply(list(rows), model, source)
        db.session.commit()
        done += len(rows)
    return done


def record_after(page, stored) -> None:
    """For a newly stored response with a comment: record the complaint,
    classify it and open its case once `page` has been sent. Left to
    `flask complaints work` when COMPLAINTS_INLINE is 0 (production)."""
    if (
        stored.created
        and stored.has_comment
        and current_app.config["COMPLAINTS_INLINE"]
    ):
        from surveyapp.deferred import after_response

        after_response(page, record_complaint_of, stored.id)


def work_once(lookback: timedelta = timedelta(days=1)) -> int:
    """One round of the complaints worker: complaints for comments stored in
    the last `lookback`, classified in batches (a batch is far cheaper per
    complaint than one at a time), their cases opened. Returns how many."""
    since = utcnow() - lookback
    model = load_active_model()
    if model is None:  # kept pending until a model is activated
        return create_missing(since)
    source = active_source()
    # New comments are classified as they become complaints; then whatever
    # was left pending (stored while no model was active) is classified.
    new = create_missing(since, classify_with=(model, source))
    return new + _classify_pending(model, source)


def correct(complaint: Complaint, category: str, user: User) -> Complaint:
    """A person sets the category: it is routed by it and kept as training data."""
    if category not in category_labels():
        raise ComplaintError(f"unknown category {category!r}")
    complaint.corrected_category = category
    complaint.corrected_by_id = user.id
    complaint.corrected_at = utcnow()
    complaint.routing = "routed"
    complaint.department_id = department_for(complaint.response, category)
    from surveyapp.services.complaints.cases import follow_routing

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
