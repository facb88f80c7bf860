"""Questionnaires: publishing immutable versions and resolving a QR code's target."""

from __future__ import annotations

import copy

from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import (
    Hall,
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireVersion,
    ServiceItem,
    Window,
)
from surveyapp.models.base import utcnow
from surveyapp.services.memory import (
    MISSING,
    ProcessMemory,
    attach,
    detached_copy,
)
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


class SurveyTarget:
    """The hall, window and questionnaire version a code opens. Built from
    remembered copies, each row joins the request's session only when used
    (the remembered blank page needs the ids alone)."""

    __slots__ = ("_rows", "_attached", "hall_id", "window_id", "version_id")

    def __init__(self, hall: Hall, window: Window | None, version):
        self._rows = (hall, window, version)
        self._attached: list = [None, None, None]
        self.hall_id = hall.id
        self.window_id = window.id if window is not None else None
        self.version_id = version.id

    def _row(self, index: int):
        row = self._attached[index]
        if row is None and self._rows[index] is not None:
            row = self._attached[index] = attach(db.session, self._rows[index])
        return row

    @property
    def hall(self) -> Hall:
        return self._row(0)

    @property
    def window(self) -> Window | None:
        return self._row(1)

    @property
    def version(self) -> QuestionnaireVersion:
        return self._row(2)

    def detached(self) -> tuple:
        """(hall, window, version) as remembered: detached and shared by every
        request of this process, so only to read their columns (a submission
        needs nothing more); joining the session costs ~30 us a row."""
        return self._rows


# Every page view and submission resolves its QR token; the answer changes
# only when an admin edits a hall or window or publishes a version, so it is
# remembered per process (services/memory.py).
TARGET_TTL = 30.0
# What a QR code's page shows: remembering any of it watches these models.
TARGET_ROWS = (
    Hall,
    Window,
    ServiceItem,
    Questionnaire,
    QuestionnaireVersion,
    QuestionnaireAssignment,
)
_targets = ProcessMemory(TARGET_TTL, TARGET_ROWS)


def resolve_token(token: str) -> SurveyTarget:
    """The hall, window and current published version a QR token opens."""
    target = parse_token(token)
    key = (target.hall_id, target.window_id, target.questionnaire_id)
    remembered = _targets.get(key)
    if remembered is MISSING:
        found = _load_target(target)
        _targets.put(key, found and tuple(map(detached_copy, found)))
        remembered = found
    if remembered is None:
        if is_retired_target(target.hall_id, target.window_id):
            raise RetiredCode(token)
        raise InvalidCode(token)
    return SurveyTarget(*remembered)


def _load_target(target) -> tuple | None:
    hall = db.session.get(Hall, target.hall_id)
    window = db.session.get(Window, target.window_id) if target.window_id else None
    # An assignment to the window or hall overrides the printed questionnaire.
    assigned = assigned_questionnaire(target.hall_id, target.window_id)
    version = current_version(assigned or target.questionnaire_id)
    if hall is None or not hall.active or version is None:
        return None
    if target.window_id and (
        window is None or window.hall_id != hall.id or not window.active
    ):
        return None
    return hall, window, version


def conditional_css(version_id: int) -> str | None:
    """CSS rules that reveal each conditional block when its condition holds
    (a published version's: it never changes, so neither does its CSS)."""
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None or version.status != "published":
        return None
    return definition_css(version.definition)
