"""Questionnaires and their immutable published versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import db
from surveyapp.models.base import utcnow


class Questionnaire(db.Model):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(default=False)
    # The definition being built (office builder or XLSForm import); publishing
    # copies it into a new immutable version. None: nothing in progress.
    draft: Mapped[dict | None] = mapped_column(JSON)
    draft_updated_at: Mapped[datetime | None]

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )

    def latest_published(self) -> QuestionnaireVersion | None:
        published = [v for v in self.versions if v.status == "published"]
        return published[-1] if published else None


class QuestionnaireVersion(db.Model):
    """One version of a questionnaire; frozen once published."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id"), index=True
    )
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    @property
    def label(self) -> str:
        return f"{self.questionnaire.code}-v{self.number}"


class QuestionnaireAssignment(db.Model):
    """Which questionnaire the QR codes of a hall, or of one window, open
    (a window's overrides its hall's; without either, the one the code names).
    Exactly one of hall_id and window_id is set."""

    __tablename__ = "questionnaire_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id"), index=True
    )
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id"), unique=True)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"), unique=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship()


class PublishedVersionChanged(Exception):
    """Raised when code tries to alter a published questionnaire version."""


@event.listens_for(QuestionnaireVersion, "before_update")
def _refuse_changes_to_published(mapper, connection, target) -> None:
    state = db.inspect(target)
    history = state.attrs.definition.history
    status_history = state.attrs.status.history
    was_published = "published" in (status_history.deleted or ()) or (
        target.status == "published" and not status_history.has_changes()
    )
    if was_published and history.has_changes():
        raise PublishedVersionChanged(
            f"questionnaire version {target.id} is published and cannot change"
        )
