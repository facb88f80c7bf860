"""Questionnaires being built: create one, keep its draft, publish the draft
as a new immutable version, and list what was published."""

from __future__ import annotations

import copy
import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveyapp.extensions import db
from surveyapp.models import Questionnaire, QuestionnaireVersion
from surveyapp.models.base import utcnow
from surveyapp.services.questionnaires.default import DEFAULT_DEFINITION
from surveyapp.services.questionnaires.definitions import (
    DefinitionError,
    Problem,
    publish_problems,
    structure_problems,
)
from surveyapp.services.questionnaires.editing import blank_definition
from surveyapp.services.questionnaires.versions import publish_version

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,47}")
STARTS = ("blank", "default")


class QuestionnaireError(ValueError):
    """A questionnaire that cannot be created, found or published as asked."""

    def __init__(self, reason: str, **params):
        self.reason = reason
        self.params = params
        super().__init__(MESSAGES[reason] % params)

    def text(self) -> str:
        from flask_babel import gettext

        return gettext(MESSAGES[self.reason], **self.params)


def N_(text: str) -> str:
    return text


MESSAGES = {
    "code_invalid": N_(
        "%(code)s is not a valid code: use up to 48 letters, digits, - and _."
    ),
    "code_taken": N_("There is already a questionnaire %(code)s."),
    "unknown": N_("There is no questionnaire %(code)s."),
    "no_draft": N_("Questionnaire %(code)s has no draft to publish."),
    "unchanged": N_(
        "The draft of %(code)s is the same as its version %(number)s: nothing to "
        "publish."
    ),
    "title_missing": N_("Please give the questionnaire a Chinese title."),
}


def by_code(code: str) -> Questionnaire | None:
    return db.session.scalar(select(Questionnaire).where(Questionnaire.code == code))


def get(code: str) -> Questionnaire:
    questionnaire = by_code(code)
    if questionnaire is None:
        raise QuestionnaireError("unknown", code=code)
    return questionnaire


def list_questionnaires() -> list[Questionnaire]:
    return list(
        db.session.scalars(
            select(Questionnaire)
            .options(selectinload(Questionnaire.versions))
            .order_by(Questionnaire.code)
        )
    )


def create_questionnaire(
    code: str, title: dict, start: str = "blank", *, definition: dict | None = None
) -> Questionnaire:
    """A new questionnaire whose draft is blank, the default 好差评
    questionnaire, or `definition`."""
    code = code.strip()
    if not CODE.fullmatch(code):
        raise QuestionnaireError("code_invalid", code=code)
    if by_code(code) is not None:
        raise QuestionnaireError("code_taken", code=code)
    if not (title.get("zh") or "").strip():
        raise QuestionnaireError("title_missing")
    if definition is None:
        if start == "default":
            definition = {**copy.deepcopy(DEFAULT_DEFINITION), "title": dict(title)}
        else:
            definition = blank_definition(title)
    questionnaire = Questionnaire(code=code, title=title["zh"], is_default=False)
    db.session.add(questionnaire)
    save_draft(questionnaire, definition)
    return questionnaire


def draft_of(questionnaire: Questionnaire) -> dict:
    """The draft being built: the stored one, else a copy of the latest
    published version, else a blank one."""
    if questionnaire.draft is not None:
        return copy.deepcopy(questionnaire.draft)
    latest = questionnaire.latest_published()
    if latest is not None:
        return copy.deepcopy(latest.definition)
    return blank_definition({"zh": questionnaire.title})


def has_draft(questionnaire: Questionnaire) -> bool:
    return questionnaire.draft is not None


def save_draft(questionnaire: Questionnaire, definition: dict) -> None:
    """Store the draft (refused with DefinitionError when its names or
    conditions are unreadable; other problems wait for publishing)."""
    problems = structure_problems(definition)
    if problems:
        raise DefinitionError(problems)
    questionnaire.draft = copy.deepcopy(definition)
    questionnaire.draft_updated_at = utcnow()
    title = (definition.get("title") or {}).get("zh", "").strip()
    if title:
        questionnaire.title = title[:200]
    db.session.commit()


def discard_draft(questionnaire: Questionnaire) -> None:
    questionnaire.draft = None
    questionnaire.draft_updated_at = None
    db.session.commit()


def import_draft(code: str, definition: dict) -> tuple[Questionnaire, bool]:
    """Store `definition` as the draft of questionnaire `code`, creating the
    questionnaire when there is none; (questionnaire, created)."""
    questionnaire = by_code(code)
    if questionnaire is None:
        title = dict(definition.get("title") or {}) or {"zh": code}
        return create_questionnaire(code, title, definition=definition), True
    save_draft(questionnaire, definition)
    return questionnaire, False


def problems_of(questionnaire: Questionnaire) -> list[Problem]:
    return publish_problems(draft_of(questionnaire))


def publish_draft(questionnaire: Questionnaire) -> QuestionnaireVersion:
    """Publish the draft as the next version (DefinitionError with every
    problem when it is not fit). The first questionnaire published where
    there is no default becomes the default (the one new codes name)."""
    if questionnaire.draft is None:
        raise QuestionnaireError("no_draft", code=questionnaire.code)
    definition = copy.deepcopy(questionnaire.draft)
    problems = [p for p in publish_problems(definition) if not p.warning]
    if problems:
        raise DefinitionError(problems)
    latest = questionnaire.latest_published()
    if latest is not None and latest.definition == definition:
        raise QuestionnaireError(
            "unchanged", code=questionnaire.code, number=latest.number
        )
    questionnaire.draft = None
    questionnaire.draft_updated_at = None
    if not db.session.scalar(select(Questionnaire.id).where(Questionnaire.is_default)):
        questionnaire.is_default = True
    return publish_version(questionnaire, definition)


def versions_of(questionnaire: Questionnaire) -> list[QuestionnaireVersion]:
    return [v for v in questionnaire.versions if v.status == "published"]


def version(questionnaire: Questionnaire, number: int) -> QuestionnaireVersion | None:
    return next((v for v in versions_of(questionnaire) if v.number == number), None)
