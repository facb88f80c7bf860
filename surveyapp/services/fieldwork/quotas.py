"""Live quotas: the screener, attaching responses to a project, claiming and
releasing places in a quota cell safely under concurrency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from surveyapp.extensions import db
from surveyapp.models import Response, ServiceItem
from surveyapp.models.sampling import (
    AGE_BANDS,
    GENDERS,
    QuotaCell,
    ScreenOut,
    SurveyProject,
)
from surveyapp.services.fieldwork.projects import (
    ProjectScope,
    active_project_for,
    scoped_items,
)
from surveyapp.services.organisation.catalogue import ServiceChoice, service_items_for
from surveyapp.services.questionnaires.versions import Place

Getter = Callable[[str], list[str]]


@dataclass
class Screener:
    """The cell-deciding answers, asked before the rest of the questionnaire."""

    project: ProjectScope
    item: ServiceChoice | None = None
    age_band: str = ""
    gender: str = ""
    cell: QuotaCell | None = None

    @property
    def full(self) -> bool:
        return self.cell is not None and self.cell.full

    def hidden_fields(self) -> dict[str, str]:
        """What the questionnaire form carries on to the submission."""
        return {
            "service_item": str(self.item.id) if self.item else "",
            "age_band": self.age_band,
            "gender": self.gender,
        }


def screener_items(
    project: ProjectScope, hall: Place, window: Place | None
) -> list[ServiceChoice]:
    return scoped_items(project, service_items_for(hall, window))


def project_needing_screener(hall: Place, window: Place | None) -> ProjectScope | None:
    """The active project whose scope has this hall, if it has items to ask."""
    project = active_project_for(hall.id)
    if project is None or not screener_items(project, hall, window):
        return None
    return project


def find_cell(
    project_id: int, hall_id: int, category: str, age_band: str = "", gender: str = ""
) -> QuotaCell | None:
    return db.session.scalar(
        select(QuotaCell).where(
            QuotaCell.project_id == project_id,
            QuotaCell.hall_id == hall_id,
            QuotaCell.category == category,
            QuotaCell.age_band == age_band,
            QuotaCell.gender == gender,
        )
    )


def read_screener(
    project: ProjectScope, hall: Place, window: Place | None, getlist: Getter
) -> tuple[Screener, dict]:
    """Validate the screener answers; returns the screener and errors per field."""
    from flask_babel import lazy_gettext as _l

    def first(name: str) -> str:
        return (getlist(name) or [""])[0].strip()

    errors: dict = {}
    screener = Screener(project)
    items = {str(i.id): i for i in screener_items(project, hall, window)}
    screener.item = items.get(first("service_item"))
    if screener.item is None:
        errors["service_item"] = _l("Please choose the service you came for.")
    dims = project.quota_dimensions or []
    if "age_band" in dims:
        screener.age_band = first("age_band")
        if screener.age_band not in AGE_BANDS:
            errors["age_band"] = _l("Please choose your age group.")
            screener.age_band = ""
    if "gender" in dims:
        screener.gender = first("gender")
        if screener.gender not in GENDERS:
            errors["gender"] = _l("Please choose one of the options.")
            screener.gender = ""
    if not errors:
        screener.cell = find_cell(
            project.id,
            hall.id,
            screener.item.category,
            screener.age_band,
            screener.gender,
        )
    return screener, errors


def record_screen_out(
    screener: Screener,
    hall: Place,
    *,
    mode: str = "qr",
    language: str = "zh",
    interviewer_id: int | None = None,
) -> ScreenOut:
    entry = ScreenOut(
        project_id=screener.project.id,
        quota_cell_id=screener.cell.id if screener.cell else None,
        hall_id=hall.id,
        interviewer_id=interviewer_id,
        mode=mode,
        language=language,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def attach_response(response: Response, ctx) -> None:
    """Called by submit_response inside its transaction, before the commit.

    Attaches the response to its project: the one named in ctx.extra
    ["project_id"] (interviewer mode), else the active project whose scope has
    the hall and whose period has today. Then claims a place in its quota
    cell; when the cell is full the response is kept with over_quota set.
    """
    project_id = ctx.extra.get("project_id")
    if project_id:
        named = db.session.get(SurveyProject, project_id)
        project = ProjectScope.of(named) if named is not None else None
    else:
        project = active_project_for(response.hall_id)
    response.interviewer_id = ctx.interviewer_id
    if project is None:
        return
    response.project_id = project.id
    if response.service_item_id is None:
        return
    item = db.session.get(ServiceItem, response.service_item_id)
    if project.service_item_ids and item.id not in project.service_item_ids:
        return
    cell = find_cell(
        project.id,
        response.hall_id,
        item.category,
        str(ctx.extra.get("age_band") or ""),
        str(ctx.extra.get("gender") or ""),
    )
    if cell is None:
        return
    response.quota_cell_id = cell.id
    if counts_in_quota(response.verdict) and not claim_quota(response):
        response.over_quota = True


def counted_verdicts() -> tuple[str, ...]:
    """Verdicts that hold a quota place: never ``rejected``; ``flagged`` while
    it waits for review unless QUOTA_COUNT_FLAGGED is off."""
    if current_app.config.get("QUOTA_COUNT_FLAGGED", True):
        return ("ok", "flagged")
    return ("ok",)


def counts_in_quota(verdict: str | None) -> bool:
    """None: a new response not judged yet, which the table stores as ok."""
    return (verdict or "ok") in counted_verdicts()


def claim_quota(response: Response) -> bool:
    """Take a place in the response's cell if one is free; does not commit.

    The conditional UPDATE is atomic in both databases: PostgreSQL re-checks
    the WHERE on the locked row after a concurrent commit, SQLite serialises
    writers. So `completed` never exceeds `target`, however many submit at once.
    """
    if response.quota_cell_id is None or response.quota_counted:
        return response.quota_counted
    result = db.session.execute(
        update(QuotaCell)
        .where(
            QuotaCell.id == response.quota_cell_id,
            QuotaCell.completed < QuotaCell.target,
        )
        .values(completed=QuotaCell.completed + 1)
        .execution_options(synchronize_session=False)
    )
    response.quota_counted = result.rowcount == 1
    if response.quota_counted:
        response.over_quota = False
    return response.quota_counted


def release_quota(response: Response) -> bool:
    """Free the place a response holds (e.g. rejected as fraudulent later).

    Idempotent; does not commit: the caller commits together with the verdict
    change. Returns whether a place was freed.
    """
    if not response.quota_counted or response.quota_cell_id is None:
        return False
    db.session.execute(
        update(QuotaCell)
        .where(QuotaCell.id == response.quota_cell_id, QuotaCell.completed > 0)
        .values(completed=QuotaCell.completed - 1)
        .execution_options(synchronize_session=False)
    )
    response.quota_counted = False
    return True


def recount_quotas(project: SurveyProject) -> dict[int, int]:
    """Repair: set every cell's count from the responses holding a place whose
    verdict counts (``counted_verdicts``). Returns {cell id: count}."""
    counted = counted_verdicts()
    counts = dict(
        db.session.execute(
            select(Response.quota_cell_id, func.count(Response.id))
            .where(
                Response.project_id == project.id,
                Response.quota_counted.is_(True),
                Response.verdict.in_(counted),
            )
            .group_by(Response.quota_cell_id)
        ).all()
    )
    db.session.execute(
        update(Response)
        .where(Response.project_id == project.id, Response.verdict.not_in(counted))
        .values(quota_counted=False)
        .execution_options(synchronize_session=False)
    )
    for cell in project.cells:
        cell.completed = int(counts.get(cell.id, 0))
    db.session.commit()
    return {cell.id: cell.completed for cell in project.cells}
