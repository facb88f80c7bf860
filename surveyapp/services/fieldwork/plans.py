"""Sample plans: quota cells from the frame, allocation of n, saving and export."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

from surveyapp.analysis.sampling import allocate, allocate_exact
from surveyapp.extensions import db
from surveyapp.models import Hall, Response, ServiceItem, User
from surveyapp.models.sampling import (
    AGE_BANDS,
    GENDERS,
    FrameRow,
    QuotaCell,
    SamplePlan,
    SurveyProject,
)
from surveyapp.tables.writer import Sheet, table_bytes

METHODS = ("proportional", "neyman", "equal")
PLAN_COLUMNS = [
    "hall_code",
    "category",
    "age_band",
    "gender",
    "volume",
    "sd",
    "exact",
    "target",
]


class PlanError(ValueError):
    """A plan that cannot be made from the inputs (message says why)."""


@dataclass(frozen=True)
class PlanInput:
    n: int
    method: str = "proportional"
    minimum: int = 0
    sd_guess: float = 0.5
    previous_project_id: int | None = None


def _levels(project: SurveyProject) -> list[tuple[str, str]]:
    dims = project.quota_dimensions or []
    ages = list(AGE_BANDS) if "age_band" in dims else [""]
    genders = list(GENDERS) if "gender" in dims else [""]
    return [(a, g) for a in ages for g in genders]


def frame_cells(project: SurveyProject) -> pd.DataFrame:
    """Volume per quota cell: frame rows summed by hall x service category;
    with age band or gender the volume is split equally over their levels
    (the frame does not know the citizens' age or gender)."""
    rows = db.session.execute(
        select(FrameRow.hall_id, Hall.code, ServiceItem.category, FrameRow.volume)
        .join(Hall, Hall.id == FrameRow.hall_id)
        .join(ServiceItem, ServiceItem.id == FrameRow.service_item_id)
        .where(FrameRow.project_id == project.id)
    ).all()
    if not rows:
        raise PlanError("import the sampling frame first: it has no rows yet")
    frame = pd.DataFrame(rows, columns=["hall_id", "hall_code", "category", "volume"])
    grouped = frame.groupby(["hall_id", "hall_code", "category"], as_index=False)[
        "volume"
    ].sum()
    levels = _levels(project)
    records = [
        {
            **row,
            "age_band": age,
            "gender": gender,
            "volume": row["volume"] / len(levels),
        }
        for row in grouped.to_dict("records")
        for age, gender in levels
    ]
    cells = pd.DataFrame(records)
    cells.index = [
        f"{r.hall_code}|{r.category}|{r.age_band}|{r.gender}"
        for r in cells.itertuples()
    ]
    return cells


def previous_sd(previous_project_id: int) -> dict[tuple[int, str], float]:
    """Standard deviation of the overall rating per hall x category in an
    earlier wave (responses not rejected); cells with < 2 answers are left out."""
    rows = db.session.execute(
        select(Response.hall_id, ServiceItem.category, Response.overall)
        .join(ServiceItem, ServiceItem.id == Response.service_item_id)
        .where(
            Response.project_id == previous_project_id,
            Response.verdict != "rejected",
            Response.overall.is_not(None),
        )
    ).all()
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["hall_id", "category", "overall"])
    sd = frame.groupby(["hall_id", "category"])["overall"].std(ddof=1).dropna()
    return {key: float(value) for key, value in sd.items()}


def compute_plan(project: SurveyProject, spec: PlanInput) -> pd.DataFrame:
    """The allocation of spec.n over the project's cells, as a data frame."""
    if spec.method not in METHODS:
        raise PlanError(f"unknown method {spec.method!r}")
    cells = frame_cells(project)
    cells["sd"] = float(spec.sd_guess)
    if spec.method == "neyman" and spec.previous_project_id:
        known = previous_sd(spec.previous_project_id)
        cells["sd"] = [
            known.get((r.hall_id, r.category), spec.sd_guess)
            for r in cells.itertuples()
        ]
    if spec.method == "neyman" and not (cells["sd"] > 0).any():
        raise PlanError("Neyman allocation needs a positive standard deviation")
    try:
        args = dict(method=spec.method, minimum=spec.minimum, sd=cells["sd"])
        cells["exact"] = allocate_exact(cells["volume"], spec.n, **args)
        cells["target"] = allocate(cells["volume"], spec.n, **args)
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    return cells


def save_plan(project: SurveyProject, spec: PlanInput, user: User | None) -> SamplePlan:
    """Store the plan and set the quota cells' targets; live counts are kept."""
    cells = compute_plan(project, spec)
    allocation = [
        {
            "hall_id": int(r.hall_id),
            "hall_code": r.hall_code,
            "category": r.category,
            "age_band": r.age_band,
            "gender": r.gender,
            "volume": float(r.volume),
            "sd": float(r.sd),
            "exact": float(r.exact),
            "target": int(r.target),
        }
        for r in cells.itertuples()
    ]
    plan = SamplePlan(
        project_id=project.id,
        n=spec.n,
        method=spec.method,
        parameters={
            "minimum": spec.minimum,
            "sd_guess": spec.sd_guess,
            "previous_project_id": spec.previous_project_id,
        },
        allocation=allocation,
        created_by=user.id if user else None,
    )
    db.session.add(plan)
    existing = {(c.hall_id, c.category, c.age_band, c.gender): c for c in project.cells}
    planned = set()
    for row in allocation:
        key = (row["hall_id"], row["category"], row["age_band"], row["gender"])
        planned.add(key)
        cell = existing.get(key)
        if cell is None:
            cell = QuotaCell(
                project_id=project.id,
                hall_id=key[0],
                category=key[1],
                age_band=key[2],
                gender=key[3],
            )
            db.session.add(cell)
        cell.target = row["target"]
    for key, cell in existing.items():
        if key not in planned:
            cell.target = 0  # no longer planned: kept for its history, closed
    db.session.commit()
    return plan


def latest_plan(project_id: int) -> SamplePlan | None:
    return db.session.scalar(
        select(SamplePlan)
        .where(SamplePlan.project_id == project_id)
        .order_by(SamplePlan.created_at.desc(), SamplePlan.id.desc())
        .limit(1)
    )


def export_plan(plan: SamplePlan, fmt: str) -> bytes:
    rows = [
        [
            r["hall_code"],
            r["category"],
            r["age_band"],
            r["gender"],
            round(r["volume"], 2),
            round(r["sd"], 4),
            round(r["exact"], 4),
            r["target"],
        ]
        for r in plan.allocation
    ]
    rows.append(
        [
            "TOTAL",
            "",
            "",
            "",
            round(sum(r[4] for r in rows), 2),
            "",
            round(float(np.sum([r[6] for r in rows])), 4),
            plan.n,
        ]
    )
    return table_bytes(fmt, [Sheet("plan", PLAN_COLUMNS, rows)])
