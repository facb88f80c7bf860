"""Questionnaires: publishing immutable versions and resolving a QR code's target."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import Hall, Questionnaire, QuestionnaireVersion, Window
from surveyapp.models.base import utcnow
from surveyapp.services.memory import cached_per_process, forget_all
from surveyapp.services.organisation.qr import InvalidCode, RetiredCode, parse_token
from surveyapp.services.organisation.units import is_retired_target
from surveyapp.services.questionnaires.assignments import assigned_questionnaire
from surveyapp.services.questionnaires.definitions import check_definition
from surveyapp.services.questionnaires.display import (
    conditional_css as definition_css,
)


def publish_version(
    questionnaire: Questionnaire, definition: dict
) -> QuestionnaireVersion:
    """Add a new published version; earlier versions stay as they were."""
    check_definition(definition)
    number = (
        db.session.scalar(
            select(func.max(QuestionnaireVersion.number)).where(
                QuestionnaireVersion.questionnaire_id == questionnaire.id
            )
        )
        or 0
    ) + 1
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        number=number,
        status="published",
        definition=copy.deepcopy(definition),
        published_at=utcnow(),
    )
    db.session.add(version)
    db.session.commit()
    forget_all()  # the codes of this questionnaire open the new version
    return version


def current_version(questionnaire_id: int) -> QuestionnaireVersion | None:
    return db.session.scalar(
        select(QuestionnaireVersion)
        .where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id,
            QuestionnaireVersion.status == "published",
        )
        .order_by(QuestionnaireVersion.number.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Place:
    """A hall or a window, as the pages of its QR code show it."""

    id: int
    code: str
    name: str
    name_en: str

    @classmethod
    def of(cls, row: Hall | Window | None) -> Place | None:
        return None if row is None else cls(row.id, row.code, row.name, row.name_en)


@dataclass(frozen=True)
class FormVersion:
    """A published questionnaire version: its definition never changes, and
    the one shared copy is only read."""

    id: int
    questionnaire_id: int
    definition: dict = field(compare=False)  # the id names it

    @classmethod
    def of(cls, row: QuestionnaireVersion) -> FormVersion:
        return cls(row.id, row.questionnaire_id, row.definition)


@dataclass(frozen=True)
class SurveyTarget:
    """The hall, window and questionnaire version a code opens."""

    hall: Place
    window: Place | None
    version: FormVersion

    @classmethod
    def of(cls, hall: Hall, window: Window | None, version) -> SurveyTarget:
        return cls(Place.of(hall), Place.of(window), FormVersion.of(version))

    @property
    def hall_id(self) -> int:
        return self.hall.id

    @property
    def window_id(self) -> int | None:
        return self.window.id if self.window is not None else None

    @property
    def version_id(self) -> int:
        return self.version.id


def resolve_token(token: str) -> SurveyTarget:
    """The hall, window and current published version a QR token opens."""
    code = parse_token(token)
    target = _target(code.hall_id, code.window_id, code.questionnaire_id)
    if target is None:
        if is_retired_target(code.hall_id, code.window_id):
            raise RetiredCode(token)
        raise InvalidCode(token)
    return target


# Every page view and submission resolves its code; the answer changes only
# when a version is published or an administrator edits a hall or window.
@cached_per_process()
def _target(
    hall_id: int, window_id: int | None, questionnaire_id: int
) -> SurveyTarget | None:
    hall = db.session.get(Hall, hall_id)
    window = db.session.get(Window, window_id) if window_id else None
    # An assignment to the window or hall overrides the printed questionnaire.
    version = current_version(
        assigned_questionnaire(hall_id, window_id) or questionnaire_id
    )
    if hall is None or not hall.active or version is None:
        return None
    if window_id and (window is None or window.hall_id != hall.id or not window.active):
        return None
    return SurveyTarget.of(hall, window, version)


def conditional_css(version_id: int) -> str | None:
    """CSS rules that reveal each conditional block when its condition holds
    (a published version's: it never changes, so neither does its CSS)."""
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None or version.status != "published":
        return None
    return definition_css(version.definition)
