"""Which questionnaire a QR code opens: assignments to halls and windows.

A printed code names its hall, window and the questionnaire it was printed
with (services/organisation/qr.py). An assignment overrides the
questionnaire: a window's assignment wins over its hall's, and a code with
no assignment opens the questionnaire it names. Posters therefore never need
reprinting: a new version, or another questionnaire, reaches every code.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from surveyapp.extensions import db
from surveyapp.models import Hall, Questionnaire, QuestionnaireAssignment, Window
from surveyapp.models.base import utcnow
from surveyapp.services.memory import forget_all


class AssignmentError(ValueError):
    """An assignment that cannot be made as asked."""


def assigned_questionnaire(hall_id: int, window_id: int | None) -> int | None:
    """The questionnaire assigned to the window, else to the hall, else None."""
    clauses = [QuestionnaireAssignment.hall_id == hall_id]
    if window_id is not None:
        clauses.append(QuestionnaireAssignment.window_id == window_id)
    rows = db.session.execute(
        select(
            QuestionnaireAssignment.window_id,
            QuestionnaireAssignment.questionnaire_id,
        ).where(or_(*clauses))
    ).all()
    by_window = [q for w, q in rows if w is not None]
    by_hall = [q for w, q in rows if w is None]
    return (by_window or by_hall or [None])[0]


@dataclass(frozen=True)
class Assigned:
    """What `assign` changed: the hall or window, and the questionnaire
    before (None: the one printed on the code) and after."""

    place: str
    before: str | None
    after: str | None


def assign(
    questionnaire: Questionnaire | None, hall: Hall, window: Window | None = None
) -> Assigned:
    """Make `questionnaire` the one the codes of `hall` (or of one of its
    windows) open; None removes the assignment. The questionnaire needs a
    published version."""
    if window is not None and window.hall_id != hall.id:
        raise AssignmentError(f"window {window.code} is not in hall {hall.code}")
    if questionnaire is not None and questionnaire.latest_published() is None:
        raise AssignmentError(
            f"questionnaire {questionnaire.code} has no published version yet"
        )
    where = (
        QuestionnaireAssignment.window_id == window.id
        if window is not None
        else QuestionnaireAssignment.hall_id == hall.id
    )
    row = db.session.scalar(
        select(QuestionnaireAssignment)
        .options(joinedload(QuestionnaireAssignment.questionnaire))
        .where(where)
    )
    before = row.questionnaire.code if row is not None else None
    if questionnaire is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(
            QuestionnaireAssignment(
                questionnaire=questionnaire,
                hall_id=None if window is not None else hall.id,
                window_id=window.id if window is not None else None,
            )
        )
    else:
        row.questionnaire = questionnaire
        row.assigned_at = utcnow()
    db.session.commit()
    forget_all()  # the QR pages read these rows from the caches
    place = window.code if window is not None else hall.code
    return Assigned(place, before, questionnaire.code if questionnaire else None)


@dataclass(frozen=True)
class AssignmentRow:
    hall: Hall
    window: Window | None
    questionnaire: Questionnaire


def assignments(questionnaire: Questionnaire | None = None) -> list[AssignmentRow]:
    """Every assignment (of one questionnaire), by hall and window code."""
    query = select(QuestionnaireAssignment).options(
        joinedload(QuestionnaireAssignment.questionnaire)
    )
    if questionnaire is not None:
        query = query.where(
            QuestionnaireAssignment.questionnaire_id == questionnaire.id
        )
    rows = []
    for row in db.session.scalars(query):
        window = db.session.get(Window, row.window_id) if row.window_id else None
        hall = window.hall if window is not None else db.session.get(Hall, row.hall_id)
        rows.append(AssignmentRow(hall, window, row.questionnaire))
    return sorted(rows, key=lambda r: (r.hall.code, r.window.code if r.window else ""))
