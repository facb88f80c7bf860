"""Survey projects and firms: creating them, and who may see which project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Firm, Hall, QuestionnaireVersion, ServiceItem, User
from surveyapp.models.base import utcnow
from surveyapp.models.sampling import (
    OVER_QUOTA_POLICIES,
    QUOTA_DIMENSIONS,
    SurveyProject,
    project_halls,
)
from surveyapp.models.users import ROLE_FIRM_MANAGER, ROLE_INTERVIEWER
from surveyapp.services.memory import cached_per_process, forget_all


class ProjectError(ValueError):
    """A project or firm that cannot be created or changed as asked."""


class NotYours(LookupError):
    """The project does not exist or belongs to another firm (shown as 404)."""


def local_today(now: datetime | None = None) -> date:
    """Today in the city's time zone (responses are stored in naive UTC)."""
    tz = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    now = now or utcnow()
    return now.replace(tzinfo=UTC).astimezone(tz).date()


def create_firm(code: str, name: str) -> Firm:
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise ProjectError("a firm needs a code and a name")
    if len(code) > 32 or len(name) > 200:
        raise ProjectError("a firm's code has at most 32 characters, its name 200")
    if db.session.scalar(select(Firm).where(Firm.code == code)):
        raise ProjectError(f"firm {code!r} already exists")
    firm = Firm(code=code, name=name)
    db.session.add(firm)
    db.session.commit()
    return firm


def set_firm_active(code: str, active: bool) -> Firm:
    """Deactivate a firm (its users lose access at their next request) or
    activate it again."""
    firm = db.session.scalar(select(Firm).where(Firm.code == code.strip()))
    if firm is None:
        raise ProjectError(f"no firm with code {code!r}")
    firm.active = active
    db.session.commit()
    return firm


def create_project(
    code: str,
    name: str,
    version_id: int,
    period_start: date,
    period_end: date,
    *,
    firm_id: int | None = None,
    hall_ids: Sequence[int] = (),
    service_item_ids: Sequence[int] = (),
    quota_dimensions: Sequence[str] = (),
    over_quota_policy: str = "screen_out",
) -> SurveyProject:
    """Create a wave; every check happens before anything is written."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise ProjectError("a project needs a code and a name")
    if db.session.scalar(select(SurveyProject).where(SurveyProject.code == code)):
        raise ProjectError(f"project {code!r} already exists")
    if period_end < period_start:
        raise ProjectError("the period ends before it starts")
    if over_quota_policy not in OVER_QUOTA_POLICIES:
        raise ProjectError(f"over-quota policy must be one of {OVER_QUOTA_POLICIES}")
    unknown = set(quota_dimensions) - set(QUOTA_DIMENSIONS)
    if unknown:
        raise ProjectError(f"unknown quota dimensions {sorted(unknown)}")
    if db.session.get(QuestionnaireVersion, version_id) is None:
        raise ProjectError("unknown questionnaire version")
    halls = _load(Hall, hall_ids)
    items = _load(ServiceItem, service_item_ids)
    if not halls:
        raise ProjectError("a project needs at least one hall")
    project = SurveyProject(
        code=code,
        name=name,
        version_id=version_id,
        period_start=period_start,
        period_end=period_end,
        firm_id=_firm(firm_id),
        halls=halls,
        service_items=items,
        quota_dimensions=[d for d in QUOTA_DIMENSIONS if d in quota_dimensions],
        over_quota_policy=over_quota_policy,
    )
    db.session.add(project)
    db.session.commit()
    forget_all()  # the halls in its scope now ask its screener
    return project


def _load(model, ids: Sequence[int]) -> list:
    """The halls or service items of a new project: in use, not retired."""
    ids = sorted({int(i) for i in ids})
    query = select(model).where(model.id.in_(ids), model.active)
    rows = list(db.session.scalars(query)) if ids else []
    if len(rows) != len(ids):
        raise ProjectError(f"unknown {model.__tablename__}: {ids}")
    return rows


def _firm(firm_id: int | None) -> int | None:
    if firm_id is not None and db.session.get(Firm, firm_id) is None:
        raise ProjectError("unknown firm")
    return firm_id


def assign_firm(project: SurveyProject, firm_id: int | None) -> SurveyProject:
    project.firm_id = _firm(firm_id)
    db.session.commit()
    forget_all()
    return project


def list_projects(firm_id: int | None = None) -> list[SurveyProject]:
    query = select(SurveyProject).order_by(SurveyProject.period_start.desc())
    if firm_id is not None:
        query = query.where(SurveyProject.firm_id == firm_id)
    return list(db.session.scalars(query))


def project_for_user(project_id: int, user: User) -> SurveyProject:
    """The project if `user` may see it: office staff see all, firm users only
    their own firm's. Anything else is NotYours, so ids are not probed."""
    project = db.session.get(SurveyProject, project_id)
    if project is None:
        raise NotYours(project_id)
    if user.is_office:
        return project
    if user.role in (ROLE_FIRM_MANAGER, ROLE_INTERVIEWER) and (
        user.firm_id is not None and project.firm_id == user.firm_id
    ):
        return project
    raise NotYours(project_id)


@dataclass(frozen=True)
class ProjectScope:
    """What the screener and the submission need of a survey project."""

    id: int
    quota_dimensions: tuple[str, ...]
    over_quota_policy: str
    service_item_ids: frozenset[int]

    @classmethod
    def of(cls, project: SurveyProject) -> ProjectScope:
        return cls(
            project.id,
            tuple(project.quota_dimensions or ()),
            project.over_quota_policy,
            frozenset(item.id for item in project.service_items),
        )


def active_project_for(hall_id: int, day: date | None = None) -> ProjectScope | None:
    """The project a response in `hall_id` on `day` belongs to: active, the
    hall in scope, the day within the period. When waves overlap, the one
    that started last wins (documented rule)."""
    return _active_project(hall_id, day or local_today())


# Asked on every page view and submission; changes only when a project does
# (services/memory.py).
@cached_per_process()
def _active_project(hall_id: int, day: date) -> ProjectScope | None:
    project = db.session.scalar(
        select(SurveyProject)
        .join(project_halls, project_halls.c.project_id == SurveyProject.id)
        .where(
            project_halls.c.hall_id == hall_id,
            SurveyProject.active.is_(True),
            SurveyProject.period_start <= day,
            SurveyProject.period_end >= day,
        )
        .order_by(SurveyProject.period_start.desc(), SurveyProject.id.desc())
        .limit(1)
    )
    return ProjectScope.of(project) if project is not None else None


def in_fieldwork(project: SurveyProject, day: date | None = None) -> bool:
    """Whether interviews may be entered for the project today."""
    day = day or local_today()
    return project.active and project.period_start <= day <= project.period_end


def scoped_items(project: ProjectScope, items: Sequence) -> list:
    """The service items offered by the screener: the hall's, within scope."""
    if not project.service_item_ids:
        return list(items)
    return [i for i in items if i.id in project.service_item_ids]


def elapsed_days(
    project: SurveyProject, today: date | None = None
) -> tuple[float, float]:
    """(days elapsed, days in the period), counting today as elapsed."""
    today = today or local_today()
    total = (project.period_end - project.period_start).days + 1
    elapsed = min(max((today - project.period_start).days + 1, 0), total)
    return float(elapsed), float(total)
