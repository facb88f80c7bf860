"""Factories for the survey-firm tests: a project on the demo halls with cells."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Firm, Hall, Questionnaire, ServiceItem
from surveyapp.models.sampling import QuotaCell
from surveyapp.services.fieldwork.projects import (
    create_firm,
    create_project,
    local_today,
)
from surveyapp.services.questionnaires.versions import current_version

HALL = "H450900"
ITEM = "S450900-re-transfer"  # category "nr"


def hall(code: str = HALL) -> Hall:
    return db.session.scalar(select(Hall).where(Hall.code == code))


def item(code: str = ITEM) -> ServiceItem:
    return db.session.scalar(select(ServiceItem).where(ServiceItem.code == code))


def firm(code: str = "F1") -> Firm:
    return db.session.scalar(select(Firm).where(Firm.code == code)) or create_firm(
        code, f"Firm {code}"
    )


def make_project(
    code="W1",
    *,
    firm_code="F1",
    policy="screen_out",
    dims=(),
    halls=(HALL,),
    items=(),
    targets=None,
    days=(-5, 24),
):
    """A project covering today; `targets` maps (hall, category, age, gender)->n."""
    version = current_version(
        db.session.scalar(select(Questionnaire.id).where(Questionnaire.is_default))
    )
    today = local_today()
    project = create_project(
        code,
        f"Wave {code}",
        version.id,
        today + timedelta(days=days[0]),
        today + timedelta(days=days[1]),
        firm_id=firm(firm_code).id if firm_code else None,
        hall_ids=[hall(h).id for h in halls],
        service_item_ids=[item(i).id for i in items],
        quota_dimensions=dims,
        over_quota_policy=policy,
    )
    for (hall_code, category, age, gender), target in (targets or {}).items():
        db.session.add(
            QuotaCell(
                project_id=project.id,
                hall_id=hall(hall_code).id,
                category=category,
                age_band=age,
                gender=gender,
                target=target,
            )
        )
    db.session.commit()
    return project
