"""Satisfaction index runs, their per-unit results, and transaction volumes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import db
from surveyapp.models.base import utcnow
from surveyapp.models.org import Hall, ServiceItem
from surveyapp.models.users import User

__all__ = [
    "IndexResult",
    "IndexRun",
    "PublishedRunChanged",
    "TransactionVolume",
    "RUN_STATUSES",
]

RUN_STATUSES = ("draft", "published", "superseded")


class TransactionVolume(db.Model):
    """Transactions of a hall in a month, per service item or (item empty) in total."""

    __tablename__ = "transaction_volumes"
    __table_args__ = (
        UniqueConstraint("hall_id", "service_item_id", "month"),
        Index("ix_transaction_volumes_month_hall", "month", "hall_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL hall: a service item's total over all halls (a margin, for raking).
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id"))
    # NULL item: the hall's total for the month (a margin), used when items are unknown.
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Asia/Shanghai
    count: Mapped[int]
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    hall: Mapped[Hall | None] = relationship()
    service_item: Mapped[ServiceItem | None] = relationship()


class IndexRun(db.Model):
    """One frozen computation of the index for a period and a level of units."""

    __tablename__ = "index_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(32), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]  # inclusive, local dates
    level: Mapped[str] = mapped_column(String(16), index=True)
    method: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    dimension_weights: Mapped[dict] = mapped_column(JSON, default=dict)
    method_notes: Mapped[list] = mapped_column(JSON, default=list)
    excluded: Mapped[dict] = mapped_column(JSON, default=dict)
    cutoff: Mapped[datetime]
    code_version: Mapped[str] = mapped_column(String(64), default="")
    response_count: Mapped[int] = mapped_column(default=0)
    inputs_sha256: Mapped[str] = mapped_column(String(64), default="")
    # The index of all units together: index, se, ci_low, ci_high, df, n.
    overall: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("index_runs.id"))
    supersede_reason: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    results: Mapped[list[IndexResult]] = relationship(
        back_populates="run",
        order_by="IndexResult.position",
        cascade="all, delete-orphan",
    )
    supersedes: Mapped[IndexRun | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship()


class IndexResult(db.Model):
    """The index of one unit in one run, with its precision and its context."""

    __tablename__ = "index_results"
    __table_args__ = (UniqueConstraint("run_id", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("index_runs.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    unit_code: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    n: Mapped[int] = mapped_column(default=0)
    n_eff: Mapped[float | None]
    deff: Mapped[float | None]
    df: Mapped[float | None]
    index: Mapped[float | None]
    se: Mapped[float | None]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    good_rate: Mapped[float | None]
    good_rate_se: Mapped[float | None]
    good_rate_ci_low: Mapped[float | None]
    good_rate_ci_high: Mapped[float | None]
    bad_rate: Mapped[float | None]
    bad_rate_se: Mapped[float | None]
    bad_rate_ci_low: Mapped[float | None]
    bad_rate_ci_high: Mapped[float | None]
    overall_mean: Mapped[float | None]
    driver_scores: Mapped[dict] = mapped_column(JSON, default=dict)
    # Per driver: se, ci_low, ci_high of its score.
    driver_intervals: Mapped[dict] = mapped_column(JSON, default=dict)
    trend: Mapped[dict] = mapped_column(JSON, default=dict)
    excluded: Mapped[dict] = mapped_column(JSON, default=dict)
    excluded_total: Mapped[int] = mapped_column(default=0)
    rankable: Mapped[bool] = mapped_column(default=False)
    # above / same / below the overall index (significantly), None: not rankable.
    band: Mapped[str | None] = mapped_column(String(8))
    # The index minus the overall index: diff, se, ci_low, ci_high (band's test).
    vs_overall: Mapped[dict] = mapped_column(JSON, default=dict)
    rank: Mapped[int | None]
    points: Mapped[float | None]

    run: Mapped[IndexRun] = relationship(back_populates="results")


class PublishedRunChanged(Exception):
    """Raised when code tries to alter a published index run or its results."""


_RUN_MUTABLE_AFTER_PUBLISH = {"status"}


@event.listens_for(IndexRun, "before_update")
def _refuse_run_changes(mapper, connection, target) -> None:
    state = db.inspect(target)
    old_status = state.attrs.status.history.deleted
    was = old_status[0] if old_status else target.status
    if was not in ("published", "superseded"):
        return
    changed = {
        attr.key
        for attr in state.attrs
        if attr.key in mapper.columns and attr.history.has_changes()
    }
    if changed - _RUN_MUTABLE_AFTER_PUBLISH or target.status == "draft":
        raise PublishedRunChanged(f"index run {target.id} is {was} and cannot change")


@event.listens_for(IndexResult, "before_update")
@event.listens_for(IndexResult, "before_delete")
def _refuse_result_changes(mapper, connection, target) -> None:
    run = target.run
    if run is not None and run.status != "draft":
        raise PublishedRunChanged(f"index run {run.id} is {run.status}: results frozen")


@event.listens_for(IndexRun, "before_delete")
def _refuse_run_delete(mapper, connection, target) -> None:
    if target.status != "draft":
        raise PublishedRunChanged(f"index run {target.id} is {target.status}")
