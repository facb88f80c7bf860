"""Office reports: response lists with filters and the per-hall summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from surveyapp.analysis.periods import Period
from surveyapp.extensions import db
from surveyapp.models import Hall, Response
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import Complaint, ComplaintCase
from surveyapp.services.complaints.cases import CaseRates, rate_columns, rates_of
from surveyapp.services.keyset import Cursor, KeysetPage, keyset_page
from surveyapp.services.organisation.catalogue import all_halls
from surveyapp.services.responses import rollups
from surveyapp.services.responses.counting import COUNTED_VERDICTS, case_counts


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
    filters: ResponseFilter, *, cursor: Cursor | None = None, per_page: int = 50
) -> tuple[KeysetPage, int]:
    """One page of the responses, newest first (keyset pages by
    (submitted_at, id)), and how many the filters select (from the rollup)."""
    query = filters.apply(select(Response)).options(
        joinedload(Response.hall),
        joinedload(Response.window),
        joinedload(Response.service_item),
    )
    page = keyset_page(
        query,
        Response.submitted_at,
        Response.id,
        descending=True,
        cursor=cursor,
        per_page=per_page,
    )
    return page, sum(rollups.counts(filters).values())


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
    rates as the cases page, with each case's state as of `now`, summed by
    the database. A complaint carries its response's hall and time, so only
    a rating or verdict filter needs the responses themselves."""
    now = now or utcnow()
    query = (
        select(ComplaintCase.hall_id, *rate_columns(now))
        .join(Complaint, ComplaintCase.complaint_id == Complaint.id)
        .where(case_counts())
        .group_by(ComplaintCase.hall_id)
    )
    if filters.rating or filters.verdict:
        query = filters.apply(
            query.join(Response, Complaint.response_id == Response.id)
        )
    else:
        if filters.hall_id:
            query = query.where(Complaint.hall_id == filters.hall_id)
        if filters.date_from:
            query = query.where(
                Complaint.submitted_at >= _day_bounds(filters.date_from)[0]
            )
        if filters.date_to:
            query = query.where(
                Complaint.submitted_at < _day_bounds(filters.date_to)[1]
            )
    return {row[0]: rates_of(row[1:]) for row in db.session.execute(query)}


def hall_summaries(
    filters: ResponseFilter, now: datetime | None = None
) -> list[HallSummary]:
    """One row per hall: counts per 好差评 level of the responses that count
    (services/responses/counting.py; the daily rollup and a live count since
    it, rollups.counts), and the 差评 follow-up rates of the cases that count
    among the same responses."""
    counts = rollups.counts(filters, verdicts=COUNTED_VERDICTS)
    case_rates = case_rates_by_hall(filters, now)
    summaries = []
    for hall in all_halls():
        if filters.hall_id and hall.id != filters.hall_id:
            continue
        levels = {
            level: counts[(hall.id, level)]
            for level in range(1, 6)
            if counts[(hall.id, level)]
        }
        total = sum(n for (hall_id, _level), n in counts.items() if hall_id == hall.id)
        summaries.append(
            HallSummary(hall, total, levels, case_rates.get(hall.id, CaseRates()))
        )
    return summaries
