"""The citizen's side of a case: follow it by receipt code, rate the fix once;
and the office's call-back (回访) record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from surveyapp.extensions import db
from surveyapp.models import Response, User
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import (
    CALLBACK_OUTCOMES,
    FIX_RATINGS,
    CaseEvent,
    Complaint,
    ComplaintCase,
)
from surveyapp.services.complaints.cases import CaseError, UnstorableText, is_overdue
from surveyapp.services.responses.receipts import normalise, receipt_hash
from surveyapp.tables.cells import has_unstorable

# What a citizen reads for each state (views translate them): the office's
# steps folded into the ones that mean something from outside.
PUBLIC_STATES = {
    None: "received",  # stored, not yet registered as a case
    "rating": "rating_only",  # a bad rating without a comment: no case opens
    "comment": "passed_on",  # a comment without a bad rating: no case is owed
    "new": "registered",
    "assigned": "being_handled",
    "being_fixed": "being_fixed",
    "appealed": "being_handled",
    "replied": "replied",
    "closed": "closed",
}


@dataclass(frozen=True)
class Tracked:
    """What /track shows: nothing about the citizen, nothing internal."""

    code: str
    state: str  # a key of PUBLIC_STATES' values
    submitted_at: datetime
    hall_name: str
    hall_name_en: str
    due_at: datetime | None
    overdue: bool
    reply: str
    replied_at: datetime | None
    closed_at: datetime | None
    fix_rating: int | None
    case_id: int | None

    @property
    def may_rate(self) -> bool:
        return self.state == "closed" and self.fix_rating is None


class RatingRefused(CaseError):
    """The fix cannot be rated now: no closed case, already rated, or no such level."""


def _find(code: str | None) -> tuple[str, Response, ComplaintCase | None] | None:
    canonical = normalise(code)
    if canonical is None:
        return None
    response = db.session.scalar(
        select(Response).where(Response.receipt_hash == receipt_hash(canonical))
    )
    if response is None:
        return None
    case = db.session.scalar(
        select(ComplaintCase)
        .join(Complaint, Complaint.id == ComplaintCase.complaint_id)
        .where(Complaint.response_id == response.id)
    )
    return canonical, response, case


def track(code: str | None, now: datetime | None = None) -> Tracked | None:
    """The case a receipt code names, in plain states; None for an unknown code."""
    found = _find(code)
    if found is None:
        return None
    canonical, response, case = found
    if case is None:
        has_complaint = db.session.scalar(
            select(Complaint.id).where(Complaint.response_id == response.id)
        )
        if has_complaint:
            state = PUBLIC_STATES["comment"]
        else:
            state = PUBLIC_STATES[None if response.comment else "rating"]
    else:
        state = PUBLIC_STATES[case.state]
    return Tracked(
        code=canonical,
        state=state,
        submitted_at=response.submitted_at,
        hall_name=response.hall.name,
        hall_name_en=response.hall.name_en or "",
        due_at=case.due_at if case else None,
        overdue=bool(case and is_overdue(case, now)),
        # The reply is shown once given, even while an appeal is handled.
        reply=case.reply if case and case.replied_at else "",
        replied_at=case.replied_at if case else None,
        closed_at=case.closed_at if case else None,
        fix_rating=case.fix_rating if case else None,
        case_id=case.id if case else None,
    )


def rate_fix(code: str | None, rating: int, now: datetime | None = None) -> Tracked:
    """The citizen's one rating of a closed case's fix (3 满意, 2 基本满意,
    1 不满意). A conditional UPDATE, so two tabs cannot rate twice."""
    if rating not in FIX_RATINGS:
        raise RatingRefused("choose 3, 2 or 1")
    found = _find(code)
    if found is None or found[2] is None:
        raise RatingRefused("no case for this code")
    case = found[2]
    now = now or utcnow()
    done = db.session.execute(
        update(ComplaintCase)
        .where(
            ComplaintCase.id == case.id,
            ComplaintCase.state == "closed",
            ComplaintCase.fix_rating.is_(None),
        )
        .values(fix_rating=rating, fix_rated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.rollback()
        raise RatingRefused("the case is not closed, or its fix was rated")
    db.session.add(
        CaseEvent(
            case_id=case.id,
            from_state="closed",
            to_state="closed",
            note=f"fix rated {rating}",
            created_at=now,
        )
    )
    db.session.commit()
    db.session.refresh(case)
    return track(code, now)


def record_callback(
    case: ComplaintCase,
    user: User,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> ComplaintCase:
    """The call-back (回访) to a citizen who left a number with consent: when,
    its outcome and a note, kept on the case and in its history."""
    if outcome not in CALLBACK_OUTCOMES:
        raise CaseError(f"unknown call-back outcome {outcome!r}")
    if not case.complaint.response.contact_consent:
        raise CaseError("the citizen did not consent to a call-back")
    note = (note or "").strip()[:2000]
    if has_unstorable(note):
        raise UnstorableText("the text holds characters that cannot be stored")
    now = now or utcnow()
    case.callback_at = now
    case.callback_outcome = outcome
    case.callback_note = note
    case.events.append(
        CaseEvent(
            from_state=case.state,
            to_state=case.state,
            user_id=user.id,
            note=f"call-back: {outcome}" + (f" — {note}" if note else ""),
            created_at=now,
        )
    )
    db.session.commit()
    return case
