"""Figures for the firm's dashboard: fill per cell, daily progress, cells at
risk, per-interviewer figures, and their export."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import func, select

from surveyapp.analysis.sampling import projected_fill
from surveyapp.extensions import db
from surveyapp.models import Response, User
from surveyapp.models.sampling import QuotaCell, ScreenOut, SurveyProject
from surveyapp.services.fieldwork.projects import elapsed_days, local_today
from surveyapp.tables.writer import Sheet, table_bytes

FILL_COLUMNS = [
    "hall_code",
    "category",
    "age_band",
    "gender",
    "completed",
    "target",
    "percent",
    "projected",
    "at_risk",
]


@dataclass(frozen=True)
class CellFill:
    cell: QuotaCell
    percent: float
    projected: float
    needed_pace: float
    at_risk: bool


def cell_fill(project: SurveyProject, today: date | None = None) -> list[CellFill]:
    """Each planned cell with its fill and whether it will miss its target by
    the end of the period at the current pace (analysis.projected_fill)."""
    cells = [c for c in project.cells if c.target > 0]
    if not cells:
        return []
    elapsed, total = elapsed_days(project, today)
    table = projected_fill(
        [c.completed for c in cells], [c.target for c in cells], elapsed, total
    )
    return [
        CellFill(
            cell=c,
            percent=round(100.0 * c.completed / c.target, 1),
            projected=round(float(row.projected), 1),
            needed_pace=float(row.needed_pace),
            at_risk=bool(row.at_risk),
        )
        for c, row in zip(cells, table.itertuples(), strict=True)
    ]


def daily_progress(project: SurveyProject) -> list[tuple[date, int, int]]:
    """(day, responses counted that day, cumulative), local days, in order."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    tz = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    stamps = db.session.scalars(
        select(Response.submitted_at).where(
            Response.project_id == project.id,
            Response.quota_counted.is_(True),
            Response.verdict != "rejected",
        )
    )
    days = Counter(
        s.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date() for s in stamps
    )
    total, out = 0, []
    for day in sorted(days):
        total += days[day]
        out.append((day, days[day], total))
    return out


@dataclass(frozen=True)
class InterviewerFigures:
    user: User
    responses: int
    completes: int
    median_duration_s: float | None
    screen_outs: int
    screen_out_share: float
    flagged_share: float


def interviewer_figures(project: SurveyProject) -> list[InterviewerFigures]:
    """Per interviewer: completes (counted in a cell), median duration, share of
    screen-outs among the people they screened, share flagged or rejected."""
    rows = db.session.execute(
        select(
            Response.interviewer_id,
            Response.duration_s,
            Response.verdict,
            Response.quota_counted,
        ).where(Response.project_id == project.id, Response.interviewer_id.is_not(None))
    ).all()
    screened = dict(
        db.session.execute(
            select(ScreenOut.interviewer_id, func.count(ScreenOut.id))
            .where(
                ScreenOut.project_id == project.id,
                ScreenOut.interviewer_id.is_not(None),
            )
            .group_by(ScreenOut.interviewer_id)
        ).all()
    )
    by_user: dict[int, list] = {}
    for row in rows:
        by_user.setdefault(row.interviewer_id, []).append(row)
    ids = sorted(set(by_user) | set(screened))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    figures = []
    for uid in ids:
        mine = by_user.get(uid, [])
        outs = int(screened.get(uid, 0))
        flagged = sum(1 for r in mine if r.verdict in ("flagged", "rejected"))
        figures.append(
            InterviewerFigures(
                user=users[uid],
                responses=len(mine),
                completes=sum(
                    1 for r in mine if r.quota_counted and r.verdict != "rejected"
                ),
                median_duration_s=float(np.median([r.duration_s for r in mine]))
                if mine
                else None,
                screen_outs=outs,
                screen_out_share=outs / (outs + len(mine)) if outs + len(mine) else 0.0,
                flagged_share=flagged / len(mine) if mine else 0.0,
            )
        )
    return figures


def export_fill(project: SurveyProject, fmt: str) -> bytes:
    rows = [
        [
            f.cell.hall.code,
            f.cell.category,
            f.cell.age_band,
            f.cell.gender,
            f.cell.completed,
            f.cell.target,
            f.percent,
            f.projected,
            int(f.at_risk),
        ]
        for f in cell_fill(project, local_today())
    ]
    return table_bytes(fmt, [Sheet("quotas", FILL_COLUMNS, rows)])


def category_names(project: SurveyProject) -> dict[tuple[int, str], tuple[str, str]]:
    """(hall id, category) -> the (Chinese, English) name of the department
    whose service items carry that category in the hall's region, for the
    project's quota cells; a category with no department is left out."""
    from surveyapp.models import Department, ServiceItem

    rows = db.session.execute(
        select(
            ServiceItem.category,
            Department.region_id,
            Department.name,
            Department.name_en,
        )
        .join(Department, ServiceItem.department_id == Department.id)
        .where(ServiceItem.category.in_({c.category for c in project.cells}))
        .distinct()
    ).all()
    by_region = {(r.category, r.region_id): (r.name, r.name_en) for r in rows}
    anywhere = {r.category: (r.name, r.name_en) for r in rows}
    names = {}
    for cell in project.cells:
        found = by_region.get((cell.category, cell.hall.region_id)) or anywhere.get(
            cell.category
        )
        if found:
            names[(cell.hall_id, cell.category)] = found
    return names
