"""Citizens' responses, attributed to hall, window, service item and version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import db
from surveyapp.models.base import utcnow
from surveyapp.models.org import Hall, ServiceItem, Window
from surveyapp.models.surveys import QuestionnaireVersion


class Response(db.Model):
    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_hall_submitted", "hall_id", "submitted_at"),
        Index("ix_responses_window_submitted", "window_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The idempotency key signed into the form: a resubmission finds this row.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id"), index=True
    )
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    service_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_items.id"), index=True
    )
    started_at: Mapped[datetime]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    duration_s: Mapped[float] = mapped_column(default=0.0)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    mode: Mapped[str] = mapped_column(String(16), default="qr")
    # Privacy: only salted hashes of the client address and device cookie.
    ip_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    device_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    ua_family: Mapped[str] = mapped_column(String(32), default="other")
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Encrypted (Fernet) so the hall can call back; only with explicit consent.
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_consent: Mapped[bool] = mapped_column(default=False)
    overall: Mapped[int | None] = mapped_column(index=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[str] = mapped_column(String(16), default="ok", index=True)
    quality_score: Mapped[float] = mapped_column(default=1.0)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[QuestionnaireVersion] = relationship()
    hall: Mapped[Hall] = relationship()
    window: Mapped[Window | None] = relationship()
    service_item: Mapped[ServiceItem | None] = relationship()
