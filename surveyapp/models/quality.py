"""Quality review decisions, 一事一评 transaction codes and window screens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import db
from surveyapp.models.base import utcnow
from surveyapp.models.org import Hall, Window
from surveyapp.models.responses import Response
from surveyapp.models.users import User

__all__ = ["QualityReview", "TransactionCode", "WindowScreen"]

REVIEW_DECISIONS = ("accept", "reject")


class QualityReview(db.Model):
    """A reviewer's accept/reject of a response; reversing keeps the row."""

    __tablename__ = "quality_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(16))  # accept | reject
    note: Mapped[str] = mapped_column(Text, default="")
    # The verdict the response had before this decision (restored on reversal).
    previous_verdict: Mapped[str] = mapped_column(String(16), default="flagged")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reversed_at: Mapped[datetime | None]
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reversal_note: Mapped[str] = mapped_column(Text, default="")

    response: Mapped[Response] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    reversed_by: Mapped[User | None] = relationship(foreign_keys=[reversed_by_id])

    @property
    def active(self) -> bool:
        return self.reversed_at is None


class TransactionCode(db.Model):
    """A code printed on a queue ticket (一事一评): it may rate once.

    Only a salted hash is kept; the first response using it is recorded by its
    public id, set by a conditional UPDATE so two concurrent uses cannot both win.
    """

    __tablename__ = "transaction_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    used_by_public_id: Mapped[str | None] = mapped_column(String(36))

    hall: Mapped[Hall] = relationship()


class WindowScreen(db.Model):
    """The secret link of a window's rotating-QR screen (no login on a screen).

    The link carries a random secret; only its hash is stored, so a leaked
    database does not reveal screen links. Re-issuing replaces the secret.
    """

    __tablename__ = "window_screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id"), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    window: Mapped[Window] = relationship()
