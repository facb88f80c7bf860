"""Complaints: classified citizen comments, the active model, 差评 follow-up cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import db
from surveyapp.models.base import utcnow
from surveyapp.models.org import Department, Hall
from surveyapp.models.responses import Response
from surveyapp.models.users import User

__all__ = [
    "CALLBACK_OUTCOMES",
    "CASE_STATES",
    "FIX_RATINGS",
    "ROUTING_STATES",
    "CaseEvent",
    "Complaint",
    "ComplaintCase",
    "ComplaintModel",
]

# pending: stored, not yet classified (no model loaded in that process);
# routed: sent to its department; needs_person: confidence below the threshold.
ROUTING_STATES = ("pending", "routed", "needs_person")
CASE_STATES = ("new", "assigned", "being_fixed", "replied", "closed", "appealed")
FIX_RATINGS = (3, 2, 1)  # 满意, 基本满意, 不满意
CALLBACK_OUTCOMES = ("reached", "satisfied", "unsatisfied", "no_answer")


class ComplaintModel(db.Model):
    """A registered classifier file; at most one is active (the site uses it)."""

    __tablename__ = "complaint_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    # created timestamp + training-data hash from the card: names the version.
    version: Mapped[str] = mapped_column(String(80), default="")
    labels: Mapped[list] = mapped_column(JSON, default=list)
    threshold: Mapped[float] = mapped_column(default=0.0)
    card: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=False, index=True)
    activated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(db.Model):
    """A response's free text with its category, confidence and routing."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    # Denormalised from the response for the inbox filters.
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    confidence: Mapped[float | None]
    model_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_models.id"))
    model_version: Mapped[str] = mapped_column(String(80), default="")
    routing: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # The unit it is routed to; None with a hall: the hall's own management.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    classified_at: Mapped[datetime | None]
    corrected_category: Mapped[str | None] = mapped_column(String(64))
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[Response] = relationship()
    hall: Mapped[Hall] = relationship()
    department: Mapped[Department | None] = relationship()
    model: Mapped[ComplaintModel | None] = relationship()
    corrected_by: Mapped[User | None] = relationship()
    # Its 差评 case, if it has one (the database deletes it with the complaint).
    case: Mapped[ComplaintCase | None] = relationship(
        back_populates="complaint", passive_deletes=True
    )

    @property
    def text(self) -> str:
        """The citizen's words: a reference to the response, never a second copy."""
        return self.response.comment or ""

    @property
    def effective_category(self) -> str | None:
        return self.corrected_category or self.category


class ComplaintCase(db.Model):
    """差评 follow-up: a bad rating with a complaint, owed a fix and a reply."""

    __tablename__ = "complaint_cases"
    # The cases list pages by (due_at, id), filtered by hall or state
    # (services/keyset.py, migration 0011).
    __table_args__ = (
        Index("ix_complaint_cases_due_id", "due_at", "id"),
        Index("ix_complaint_cases_hall_due", "hall_id", "due_at", "id"),
        Index("ix_complaint_cases_state_due", "state", "due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), unique=True
    )
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="new")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    due_at: Mapped[datetime]
    assignee: Mapped[str] = mapped_column(String(120), default="")
    rectification: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    reply_channel: Mapped[str] = mapped_column(String(16), default="")
    replied_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The citizen's judgement of the fix (issue 21): 3 满意, 2 基本满意, 1 不满意.
    fix_rating: Mapped[int | None]
    fix_rated_at: Mapped[datetime | None]
    # The call-back (回访) to a citizen who consented to one, and its outcome.
    callback_at: Mapped[datetime | None]
    callback_outcome: Mapped[str] = mapped_column(
        String(16), default="", server_default=""
    )
    callback_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Withdrawn while its response is rejected (services/complaints/withdrawal.py):
    # it keeps its state and history, counts in no figure and leaves the lists;
    # it comes back when the rejection is reversed.
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str] = mapped_column(
        String(32), default="", server_default=""
    )

    complaint: Mapped[Complaint] = relationship(back_populates="case")
    hall: Mapped[Hall] = relationship()
    department: Mapped[Department | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )


class CaseEvent(db.Model):
    """One step of a case's history (state change, note, reply)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("complaint_cases.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_state: Mapped[str] = mapped_column(String(16), default="")
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[ComplaintCase] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()
