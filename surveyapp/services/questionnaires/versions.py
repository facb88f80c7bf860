"""Questionnaires: publishing immutable versions and resolving a QR code's target."""

from __future__ import annotations

import copy

from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import (
    Hall,
    Questionnaire,
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

QUESTION_KINDS = ("rating5", "grid", "single", "multi", "scale10", "text")


def check_definition(definition: dict) -> None:
    """Refuse a definition the form and validator could not handle."""
    keys: set[str] = set()
    for question in definition.get("questions", []):
        key, kind = question.get("key"), question.get("kind")
        if not key or kind not in QUESTION_KINDS:
            raise ValueError(f"question {key!r}: unknown kind {kind!r}")
        if key in keys:
            raise ValueError(f"question key {key!r} is used twice")
        for dep in question.get("show_if") or {}:
            if dep not in keys:
                raise ValueError(
                    f"question {key!r} depends on a later question {dep!r}"
                )
        if kind in ("single", "multi", "rating5") and not question.get("options"):
            raise ValueError(f"question {key!r} needs options")
        if kind == "grid" and not question.get("items"):
            raise ValueError(f"question {key!r} needs items")
        keys.add(key)
    if not keys:
        raise ValueError("a questionnaire needs at least one question")


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
TARGET_ROWS = (Hall, Window, ServiceItem, Questionnaire, QuestionnaireVersion)
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
    version = current_version(target.questionnaire_id)
    if hall is None or not hall.active or version is None:
        return None
    if target.window_id and (
        window is None or window.hall_id != hall.id or not window.active
    ):
        return None
    return hall, window, version


def conditional_css(version_id: int) -> str | None:
    """CSS rules that reveal each conditional block when its condition holds."""
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None:
        return None
    rules = []
    questions = version.definition["questions"]
    blocks = [(q["key"], q["show_if"]) for q in questions if q.get("show_if")]
    overall = next((q for q in questions if q["kind"] == "rating5"), None)
    if overall is not None:
        bad = next((c for _, c in blocks if overall["key"] in c), None)
        if bad:
            blocks.append(("contact", bad))
    for key, condition in blocks:
        selectors = [
            f'form:has(input[name="q_{dep}"][value="{value}"]:checked) #block-{key}'
            for dep, allowed in condition.items()
            for value in allowed
        ]
        if selectors:
            rules.append(",\n".join(selectors) + " { display: block; }")
    return (
        "@supports selector(:has(*)) {\n.conditional { display: none; }\n"
        + "\n".join(rules)
        + "\n.conditional.has-error { display: block; }\n}\n"
    )
