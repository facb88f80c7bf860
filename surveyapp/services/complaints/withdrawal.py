"""A case follows its response's verdict: withdrawn while it is rejected.

A rejected response (a bot, a duplicate, a reviewer's rejection) opens no
complaint and no case (pipeline.py selects only the responses that count).
When a response with a case is rejected later, by the rescore or a reviewer,
its case is withdrawn: it keeps its state and history, leaves the lists and
counts in no rate, and the step is noted in its history and the audit log.
When the rejection is reversed the case comes back as it was; a response
rejected at submission and accepted later gets its complaint and case then.

A case follows its response's rating too (一事一评: the same visit's second
submission revises the first). A revision is noted in the case's history;
the case stays open whichever way the rating turned, because a bad review is
verified and answered (GB/T 39734), and a 差评 turned good within the hour
is as likely a citizen pressed at the counter as a problem fixed. A rating
turned bad opens the case its complaint did not have.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Response, User
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import CaseEvent, Complaint, ComplaintCase
from surveyapp.services.admin.users import audit
from surveyapp.services.complaints.cases import case_values
from surveyapp.services.complaints.pipeline import record_for
from surveyapp.services.responses.counting import verdict_counts

# The history's note of each step (a code: the page shows it in the reader's language).
WITHDRAWN_NOTE = "withdrawn: response rejected"
RESTORED_NOTE = "restored: rejection reversed"
REVISED_NOTE = "revised: {before}->{after}"  # the ratings before and after


def case_of(response_id: int) -> ComplaintCase | None:
    return db.session.scalar(
        select(ComplaintCase)
        .join(Complaint, Complaint.id == ComplaintCase.complaint_id)
        .where(Complaint.response_id == response_id)
    )


def follow_verdict(
    response: Response, was_counted: bool, user: User | None = None
) -> None:
    """After the effective verdict changed: withdraw or restore the response's
    case, or record the complaint of a response that counts now. No commit."""
    counts = verdict_counts(response.verdict)
    if counts == was_counted or response.id is None:
        return
    case = case_of(response.id)
    if case is None:
        if counts:
            record_for(response.id)
        return
    if counts:
        restore(case, user)
    else:
        withdraw(case, user, reason=response.verdict)


def _step(case: ComplaintCase, user: User | None, note: str) -> None:
    case.events.append(
        CaseEvent(
            from_state=case.state,
            to_state=case.state,
            user_id=user.id if user is not None else None,
            note=note,
            created_at=utcnow(),
        )
    )


def withdraw(case: ComplaintCase, user: User | None, reason: str = "rejected") -> None:
    if case.withdrawn_at is not None:
        return
    case.withdrawn_at = utcnow()
    case.withdrawn_reason = reason[:32]
    _step(case, user, WITHDRAWN_NOTE)
    audit(
        user,
        "complaints.withdraw_case",
        target=f"case:{case.id}",
        detail={"reason": case.withdrawn_reason},
        commit=False,
    )


def restore(case: ComplaintCase, user: User | None) -> None:
    if case.withdrawn_at is None:
        return
    case.withdrawn_at = None
    case.withdrawn_reason = ""
    _step(case, user, RESTORED_NOTE)
    audit(user, "complaints.restore_case", target=f"case:{case.id}", commit=False)


def follow_revision(response: Response, before: int | None, now: datetime) -> None:
    """After a revision changed the response's overall rating from ``before``:
    note it in the case's history, or open the case a rating turned bad
    calls for when its complaint is recorded without one. No commit."""
    after = response.overall
    if before == after or not verdict_counts(response.verdict):
        return
    case = case_of(response.id)
    if case is not None:
        _step(case, None, REVISED_NOTE.format(before=before, after=after))
        return
    complaint = db.session.scalar(
        select(Complaint).where(Complaint.response_id == response.id)
    )
    opened = case_values(after, now)
    if complaint is None or opened is None:
        return  # the worker records a new comment's complaint with its case
    case = ComplaintCase(
        complaint_id=complaint.id,
        hall_id=complaint.hall_id,
        department_id=complaint.department_id,
        state="new",
        **opened,
    )
    case.events.append(CaseEvent(to_state="new", created_at=opened["opened_at"]))
    _step(case, None, REVISED_NOTE.format(before=before, after=after))
    db.session.add(case)
