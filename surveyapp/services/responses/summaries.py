"""Office reports: response lists with filters and the per-hall summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Select, case, func, select

from surveyapp.analysis.periods import Period
from surveyapp.extensions import db
from surveyapp.models import Hall, Response
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import Complaint, ComplaintCase
from surveyapp.services.complaints.cases import CaseRates
from surveyapp.services.organisation.catalogue import all_halls
from surveyapp.services.paging import page_of
from surveyapp.services.responses.counting import case_counts, response_counts


@dataclass(frozen=True)
class ResponseFilter:
    hall_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    rating: int | None = None
    verdict: str | None = None

    def apply(self, query: Select) -> Select:
        if self.hall_id:
            query = query.where(Response.hall_id == self.hall_id)
        # Local days (Asia/Shanghai), as every period (analysis/periods.py).
        if self.date_from:
            query = query.where(Response.submitted_at >= _day_bounds(self.date_from)[0])
        if self.date_to:
            query = query.where(Response.submitted_at < _day_bounds(self.date_to)[1])
        if self.rating:
            query = query.where(Response.overall == self.rating)
        if self.verdict:
            query = query.where(Response.verdict == self.verdict)
        return query

    @classmethod
    def for_period(cls, period: Period, hall_id: int | None = None) -> ResponseFilter:
        return cls(hall_id=hall_id, date_from=period.start, date_to=period.end)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as naive-UTC [start, end)."""
    tz = current_app.config.get("TIMEZONE", "Asia/Shanghai")
    return Period(day.isoformat(), day, day).utc_bounds(tz)


def list_responses(
    filters: ResponseFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[Response], int]:
    query = filters.apply(select(Response)).order_by(
        Response.submitted_at.desc(), Response.id.desc()
    )
    return page_of(query, page, per_page)


@dataclass(frozen=True)
class HallSummary:
    hall: Hall
    responses: int
    rating_counts: dict[int, int]
    case_rates: CaseRates = field(default_factory=CaseRates)

    @property
    def rated(self) -> int:
        return sum(self.rating_counts.values())

    def share(self, level: int) -> float | None:
        return self.rating_counts.get(level, 0) / self.rated if self.rated else None

    @property
    def good_rate(self) -> float | None:
        """好评率: very satisfied plus satisfied, over all rated responses."""
        if not self.rated:
            return None
        return (
            self.rating_counts.get(5, 0) + self.rating_counts.get(4, 0)
        ) / self.rated

    @property
    def bad_rate(self) -> float | None:
        if not self.rated:
            return None
        return (
            self.rating_counts.get(1, 0) + self.rating_counts.get(2, 0)
        ) / self.rated


def case_rates_by_hall(
    filters: ResponseFilter, now: datetime | None = None
) -> dict[int, CaseRates]:
    """差评 follow-up of the responses the filters select, per hall: the same
    rates as the cases page, with each case's state as of `now`."""
    now = now or utcnow()
    query = filters.apply(
        select(
            ComplaintCase.hall_id,
            ComplaintCase.state,
            ComplaintCase.replied_at,
            ComplaintCase.due_at,
        )
        .join(Complaint, ComplaintCase.complaint_id == Complaint.id)
        .join(Response, Complaint.response_id == Response.id)
        .where(case_counts(), response_counts())
    )
    rates: dict[int, CaseRates] = {}
    for hall_id, state, replied_at, due_at in db.session.execute(query):
        rates.setdefault(hall_id, CaseRates()).count(state, replied_at, due_at, now)
    return rates


def hall_summaries(
    filters: ResponseFilter, now: datetime | None = None
) -> list[HallSummary]:
    """One row per hall: counts per 好差评 level of the responses that count
    (services/responses/counting.py) in a single grouped query, and the 差评
    follow-up rates of the cases that count among the same responses."""
    level_columns = [
        func.sum(case((Response.overall == level, 1), else_=0)).label(f"l{level}")
        for level in range(1, 6)
    ]
    query = (
        filters.apply(select(Response.hall_id, func.count(Response.id), *level_columns))
        .where(response_counts())
        .group_by(Response.hall_id)
    )
    counts = {row[0]: row for row in db.session.execute(query)}
    case_rates = case_rates_by_hall(filters, now)
    halls = all_halls()
    summaries = []
    for hall in halls:
        if filters.hall_id and hall.id != filters.hall_id:
            continue
        row = counts.get(hall.id)
        levels = (
            {level: int(row[level + 1] or 0) for level in range(1, 6)} if row else {}
        )
        summaries.append(
            HallSummary(
                hall,
                int(row[1]) if row else 0,
                levels,
                case_rates.get(hall.id, CaseRates()),
            )
        )
    return summaries
