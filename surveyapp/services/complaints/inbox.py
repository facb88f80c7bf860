"""Complaint inbox filters, topic keywords and categories' monthly trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from surveyapp.analysis.periods import PeriodError, parse_period
from surveyapp.analysis.text import top_keywords
from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.models.complaints import Complaint
from surveyapp.services.responses.counting import response_counts


@dataclass
class InboxFilter:
    category: str | None = None
    hall_id: int | None = None
    period: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    routing: str | None = None
    # The complaints of rejected responses (no case, in no figure): shown
    # only when asked for, marked.
    rejected: bool = False


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def period_bounds(text: str) -> tuple[datetime, datetime]:
    """A period (2026-07, 2026-Q3, ...) as naive-UTC [start, end); raises
    PeriodError for a text that names none."""
    return parse_period(text).utc_bounds(
        current_app.config.get("TIMEZONE", "Asia/Shanghai")
    )


def _effective_category():
    return func.coalesce(Complaint.corrected_category, Complaint.category)


def inbox(filters: InboxFilter, limit: int = 200) -> tuple[list[Complaint], int]:
    """Complaints matching the filters, newest first, and how many match in all.

    Only the complaints of responses that count, unless `filters.rejected`
    asks for the rejected ones. Raises PeriodError (a ValueError) for a
    period that is not understood."""
    query = select(Complaint).join(Response, Response.id == Complaint.response_id)
    query = query.where(~response_counts() if filters.rejected else response_counts())
    if filters.category:
        query = query.where(_effective_category() == filters.category)
    if filters.hall_id:
        query = query.where(Complaint.hall_id == filters.hall_id)
    if filters.period:
        start, end = period_bounds(filters.period)
        query = query.where(
            Complaint.submitted_at >= start, Complaint.submitted_at < end
        )
    if filters.min_confidence is not None:
        query = query.where(Complaint.confidence >= filters.min_confidence)
    if filters.max_confidence is not None:
        query = query.where(Complaint.confidence <= filters.max_confidence)
    if filters.routing:
        query = query.where(Complaint.routing == filters.routing)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(joinedload(Complaint.response), joinedload(Complaint.hall))
        .order_by(Complaint.submitted_at.desc(), Complaint.id.desc())
        .limit(limit)
    ).all()
    return list(rows), int(total or 0)


def _rows(hall_id: int | None, period: str | None) -> list[tuple[str, str, str]]:
    """(local month, category, text) of the classified complaints selected."""
    query = (
        select(Complaint.submitted_at, _effective_category(), Response.comment)
        .join(Response, Response.id == Complaint.response_id)
        .where(_effective_category().is_not(None), response_counts())
    )
    if hall_id:
        query = query.where(Complaint.hall_id == hall_id)
    if period:
        start, end = period_bounds(period)
        query = query.where(
            Complaint.submitted_at >= start, Complaint.submitted_at < end
        )
    tz, utc = _tz(), ZoneInfo("UTC")
    return [
        (at.replace(tzinfo=utc).astimezone(tz).strftime("%Y-%m"), category, text)
        for at, category, text in db.session.execute(query)
    ]


def topics(hall_id: int | None = None, period: str | None = None, k: int = 8) -> dict:
    """Top keywords per category and per month, and each category's monthly count."""
    rows = _rows(hall_id, period)
    months = sorted({m for m, _, _ in rows})
    categories = sorted({c for _, c, _ in rows})
    trend = {c: dict.fromkeys(months, 0) for c in categories}
    for month, category, _ in rows:
        trend[category][month] += 1
    texts = [t for _, _, t in rows]
    return {
        "months": months,
        "categories": categories,
        "trend": trend,
        "by_category": top_keywords(texts, k, groups=[c for _, c, _ in rows])
        if rows
        else {},
        "by_month": top_keywords(texts, k, groups=[m for m, _, _ in rows])
        if rows
        else {},
    }


def trend_svg_points(
    trend: dict, months: list[str], width: int = 480, height: int = 160
) -> dict[str, str]:
    """SVG polyline points per category (months on x, counts on y)."""
    top = max([max(v.values(), default=0) for v in trend.values()] + [1])
    step = width / max(len(months) - 1, 1)
    return {
        category: " ".join(
            f"{i * step:.1f},{height - height * counts[m] / top:.1f}"
            for i, m in enumerate(months)
        )
        for category, counts in trend.items()
    }


__all__ = ["InboxFilter", "PeriodError", "inbox", "period_bounds", "topics"]
