"""Survey projects (waves) of the firms: frames, sample plans, quota cells, fieldwork."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import db
from surveyapp.models.base import utcnow
from surveyapp.models.org import Hall, ServiceItem
from surveyapp.models.surveys import QuestionnaireVersion
from surveyapp.models.users import Firm

__all__ = [
    "FrameRow",
    "QuotaCell",
    "SamplePlan",
    "ScreenOut",
    "ServiceTransaction",
    "SurveyProject",
]

OVER_QUOTA_POLICIES = ("screen_out", "keep_marked")
QUOTA_DIMENSIONS = ("age_band", "gender")
AGE_BANDS = ("18-34", "35-59", "60+")
GENDERS = ("female", "male")

project_halls = Table(
    "project_halls",
    db.metadata,
    Column(
        "project_id",
        ForeignKey("survey_projects.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("hall_id", ForeignKey("halls.id", ondelete="CASCADE"), primary_key=True),
)

project_service_items = Table(
    "project_service_items",
    db.metadata,
    Column(
        "project_id",
        ForeignKey("survey_projects.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "service_item_id",
        ForeignKey("service_items.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class SurveyProject(db.Model):
    """A wave of fieldwork run by one firm over a period, halls and service items."""

    __tablename__ = "survey_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    # Extra quota dimensions beyond hall x service category: [], ["age_band"], ...
    quota_dimensions: Mapped[list] = mapped_column(JSON, default=list)
    over_quota_policy: Mapped[str] = mapped_column(String(16), default="screen_out")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    firm: Mapped[Firm | None] = relationship()
    version: Mapped[QuestionnaireVersion] = relationship()
    halls: Mapped[list[Hall]] = relationship(
        secondary=project_halls, order_by="Hall.code"
    )
    service_items: Mapped[list[ServiceItem]] = relationship(
        secondary=project_service_items, order_by="ServiceItem.code"
    )
    cells: Mapped[list[QuotaCell]] = relationship(
        back_populates="project", order_by="QuotaCell.id", cascade="all, delete-orphan"
    )


class FrameRow(db.Model):
    """Sampling frame: transactions per hall, service item and period."""

    __tablename__ = "frame_rows"
    __table_args__ = (
        UniqueConstraint("project_id", "hall_id", "service_item_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("survey_projects.id", ondelete="CASCADE"), index=True
    )
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    period: Mapped[str] = mapped_column(String(16))  # YYYY-MM
    volume: Mapped[int]

    hall: Mapped[Hall] = relationship()
    service_item: Mapped[ServiceItem] = relationship()


class SamplePlan(db.Model):
    """A saved allocation: n, method, its parameters and the integer quotas."""

    __tablename__ = "sample_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("survey_projects.id", ondelete="CASCADE"), index=True
    )
    n: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    # [{"hall_id", "category", "age_band", "gender", "volume", "exact", "target"}]
    allocation: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuotaCell(db.Model):
    """Target and live count of one cell; `completed` only moves by conditional
    UPDATE so concurrent submissions never push it past `target`."""

    __tablename__ = "quota_cells"
    __table_args__ = (
        UniqueConstraint("project_id", "hall_id", "category", "age_band", "gender"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("survey_projects.id", ondelete="CASCADE"), index=True
    )
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    category: Mapped[str] = mapped_column(String(64))
    age_band: Mapped[str] = mapped_column(String(16), default="")
    gender: Mapped[str] = mapped_column(String(16), default="")
    target: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)

    project: Mapped[SurveyProject] = relationship(back_populates="cells")
    hall: Mapped[Hall] = relationship()

    @property
    def full(self) -> bool:
        return self.completed >= self.target

    @property
    def label(self) -> str:
        parts = [self.hall.code, self.category, self.age_band, self.gender]
        return " · ".join(p for p in parts if p)


class ScreenOut(db.Model):
    """A respondent turned away by the screener because their cell was full."""

    __tablename__ = "screen_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("survey_projects.id", ondelete="CASCADE"), index=True
    )
    quota_cell_id: Mapped[int | None] = mapped_column(
        ForeignKey("quota_cells.id", ondelete="SET NULL")
    )
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    interviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True
    )
    mode: Mapped[str] = mapped_column(String(16), default="qr")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceTransaction(db.Model):
    """An imported transaction (办件) for the callback list; the phone is stored
    only hashed and encrypted (PIPL)."""

    __tablename__ = "service_transactions"
    __table_args__ = (
        Index("ix_service_transactions_project_time", "project_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("survey_projects.id", ondelete="CASCADE")
    )
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    reference: Mapped[str] = mapped_column(String(64), default="")
    occurred_at: Mapped[datetime]
    phone_hash: Mapped[str] = mapped_column(String(64))
    phone_encrypted: Mapped[str] = mapped_column(String(400))

    hall: Mapped[Hall] = relationship()
    service_item: Mapped[ServiceItem] = relationship()
