"""Each hall's record for a period: the figures /open/ and the office's
first page publish, from the same definitions as the office's tables.

Responses are the ones that count (services/responses/counting.py), dated by
their local day; 好评率 is levels 4-5 over rated responses (as the summary);
the case rates are services/complaints/cases.CaseRates of the cases opened
for those responses. Every share carries its Wilson interval and whether it
has enough answers to be shown as a percentage (analysis/intervals.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func, select

from surveyapp.analysis.intervals import Share, share
from surveyapp.analysis.periods import Period, containing, month_period
from surveyapp.extensions import db
from surveyapp.models import Department, Hall, Response, ServiceItem, Window
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import Complaint, ComplaintCase
from surveyapp.services.complaints.cases import CaseRates, rate_columns, rates_of
from surveyapp.services.responses import rollups
from surveyapp.services.responses.counting import (
    COUNTED_VERDICTS,
    case_counts,
    response_counts,
)
from surveyapp.services.responses.summaries import ResponseFilter

LEVELS = (5, 4, 3, 2, 1)


@dataclass
class Record:
    """One unit's counts in a period and the shares made of them."""

    code: str
    name: str
    name_en: str
    period: str
    responses: int = 0
    levels: dict[int, int] = field(default_factory=dict)
    cases: CaseRates = field(default_factory=CaseRates)

    @property
    def rated(self) -> int:
        return sum(self.levels.values())

    @property
    def good(self) -> int:
        return self.levels.get(5, 0) + self.levels.get(4, 0)

    @property
    def bad_reviews(self) -> int:
        """差评数: responses rated 1 or 2."""
        return self.levels.get(2, 0) + self.levels.get(1, 0)

    def shares(self, min_responses: int, min_cases: int) -> dict[str, Share]:
        c = self.cases
        return {
            "good_rate": share(self.good, self.rated, min_responses),
            "rectification_rate": share(c.rectified, c.cases, min_cases),
            "on_time_rate": share(c.on_time, c.due, min_cases),
            "fix_satisfaction_rate": share(c.fix_satisfied, c.fix_rated, min_cases),
        }


def minimums() -> tuple[int, int]:
    config = current_app.config
    return int(config.get("PUBLIC_MIN_RESPONSES", 30)), int(
        config.get("PUBLIC_MIN_CASES", 10)
    )


def _tz() -> str:
    return current_app.config.get("TIMEZONE", "Asia/Shanghai")


def current_period(kind: str = "quarter", now: datetime | None = None) -> Period:
    """The month, quarter or year holding today (local day)."""
    local = (
        (now or utcnow()).replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(_tz()))
    )
    return containing(local.date(), kind)


_LEVEL_COLUMNS = [
    func.sum(case((Response.overall == level, 1), else_=0)).label(f"l{level}")
    for level in LEVELS
]
# A response's department: its window's, else its service item's.
_DEPARTMENT = func.coalesce(Window.department_id, ServiceItem.department_id)


def _in_period(query, period: Period):
    start, end = period.utc_bounds(_tz())
    return query.where(
        response_counts(), Response.submitted_at >= start, Response.submitted_at < end
    )


def _hall_level_counts(period: Period, hall_id: int | None = None) -> dict:
    """`_level_counts` per hall, from the daily rollup and a live count since
    its mark (services/responses/rollups.py): the responses that count."""
    counts = rollups.counts(
        ResponseFilter(hall_id=hall_id, date_from=period.start, date_to=period.end),
        verdicts=COUNTED_VERDICTS,
    )
    out: dict = {}
    for (hall, rating), n in counts.items():
        total, levels = out.setdefault(hall, (0, dict.fromkeys(LEVELS, 0)))
        if rating in levels:
            levels[rating] += n
        out[hall] = (total + n, levels)
    return out


def _level_counts(period: Period, group, hall_id: int | None = None) -> dict:
    if group is Response.hall_id:
        return _hall_level_counts(period, hall_id)
    query = select(group, func.count(Response.id), *_LEVEL_COLUMNS)
    if group is _DEPARTMENT:
        query = query.outerjoin(Window, Window.id == Response.window_id).outerjoin(
            ServiceItem, ServiceItem.id == Response.service_item_id
        )
    if hall_id is not None:
        query = query.where(Response.hall_id == hall_id)
    rows = db.session.execute(_in_period(query, period).group_by(group))
    return {
        row[0]: (
            int(row[1]),
            {lvl: int(row[i + 2] or 0) for i, lvl in enumerate(LEVELS)},
        )
        for row in rows
    }


def _case_rates(period: Period, key, now: datetime, hall_id: int | None = None):
    """The cases that count of the period's complaints, per `key`, summed by
    the database (a complaint carries its response's hall and time)."""
    start, end = period.utc_bounds(_tz())
    query = (
        select(key, *rate_columns(now))
        .join(Complaint, ComplaintCase.complaint_id == Complaint.id)
        .where(
            case_counts(),
            Complaint.submitted_at >= start,
            Complaint.submitted_at < end,
        )
        .group_by(key)
    )
    if hall_id is not None:
        query = query.where(ComplaintCase.hall_id == hall_id)
    return {row[0]: rates_of(row[1:]) for row in db.session.execute(query)}


def _halls_shown(counted: dict) -> list[Hall]:
    """Every active hall, and a retired one with answers in the period."""
    halls = db.session.scalars(select(Hall).order_by(Hall.code)).all()
    return [h for h in halls if h.active or h.id in counted]


def hall_records(period: Period, now: datetime | None = None) -> list[Record]:
    """One record per hall, in hall-code order."""
    now = now or utcnow()
    counted = _level_counts(period, Response.hall_id)
    cases = _case_rates(period, ComplaintCase.hall_id, now)
    records = []
    for hall in _halls_shown(counted):
        total, levels = counted.get(hall.id, (0, {}))
        records.append(
            Record(
                hall.code,
                hall.name,
                hall.name_en or "",
                period.label,
                total,
                levels,
                cases.get(hall.id, CaseRates()),
            )
        )
    return records


def department_records(
    hall: Hall, period: Period, now: datetime | None = None
) -> list[Record]:
    """A hall's departments (by the window or service item answered about;
    cases by the unit they were routed to); None stands for the hall's own
    management and answers about no department."""
    now = now or utcnow()
    counted = _level_counts(period, _DEPARTMENT, hall.id)
    cases = _case_rates(period, ComplaintCase.department_id, now, hall.id)
    ids = [d for d in set(counted) | set(cases) if d is not None]
    departments = {
        d.id: d
        for d in db.session.scalars(select(Department).where(Department.id.in_(ids)))
    }
    records = []
    for dept_id in sorted(departments, key=lambda d: departments[d].code):
        dept = departments[dept_id]
        total, levels = counted.get(dept_id, (0, {}))
        records.append(
            Record(
                dept.code,
                dept.name,
                dept.name_en or "",
                period.label,
                total,
                levels,
                cases.get(dept_id, CaseRates()),
            )
        )
    if None in counted or None in cases:
        total, levels = counted.get(None, (0, {}))
        records.append(
            Record(
                "", "", "", period.label, total, levels, cases.get(None, CaseRates())
            )
        )
    return records


def monthly_trend(
    period: Period, hall_id: int | None = None, months: int = 12
) -> list[Record]:
    """The `months` months up to the period's last, all halls together (or one):
    responses and levels per month."""
    year, month = period.end.year, period.end.month
    out = []
    for back in range(months - 1, -1, -1):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        one = month_period(y, m + 1)
        halls = _hall_level_counts(one, hall_id).values()
        levels = {lvl: sum(lv[lvl] for _n, lv in halls) for lvl in LEVELS}
        out.append(Record("", "", "", one.label, sum(n for n, _lv in halls), levels))
    return out


def hall_by_public_code(code: str) -> Hall | None:
    """A hall shown on the public record (active, or with any answers)."""
    hall = db.session.scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        return None
    if hall.active:
        return hall
    has_any = db.session.scalar(
        select(Response.id).where(Response.hall_id == hall.id, response_counts())
    )
    return hall if has_any else None
