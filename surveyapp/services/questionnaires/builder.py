"""The office builder's edits to a questionnaire's draft: add, change, move
and delete questions, and its title and introduction. Every edit is checked
and stored whole, or refused with its problems and nothing stored."""

from __future__ import annotations

from collections.abc import Mapping

from surveyapp.models import Questionnaire
from surveyapp.services.questionnaires import editing
from surveyapp.services.questionnaires.definitions import (
    QUESTION_KINDS,
    find_question,
    structure_problems,
)
from surveyapp.services.questionnaires.drafts import draft_of, save_draft
from surveyapp.services.questionnaires.fields import (
    question_from_fields,
    starting_options,
)
from surveyapp.services.questionnaires.problems import Problem


class UnknownQuestion(LookupError):
    """The draft has no question of that name."""


def _store(questionnaire: Questionnaire, definition: dict) -> list[Problem]:
    problems = structure_problems(definition)
    if not problems:
        save_draft(questionnaire, definition)
    return problems


def add_question(
    questionnaire: Questionnaire, kind: str, fields: Mapping[str, str]
) -> tuple[str | None, list[Problem]]:
    """Add a question of `kind` at the end of the chosen group; (its name,
    problems)."""
    if kind not in QUESTION_KINDS:
        return None, [Problem("kind", fields.get("key", ""), {"kind": kind})]
    given = dict(fields)
    if not given.get("options"):
        given["options"] = starting_options(kind)
    question, problems = question_from_fields(kind, given)
    if problems:
        return None, problems
    definition = draft_of(questionnaire)
    try:
        definition = editing.add_question(
            definition, question, fields.get("group") or None
        )
    except editing.EditError:
        definition = editing.add_question(definition, question, None)
    problems = _store(questionnaire, definition)
    return (None if problems else question["key"]), problems


def question_of(questionnaire: Questionnaire, key: str) -> tuple[dict, dict]:
    """(the question, the draft it is in); UnknownQuestion if there is none."""
    definition = draft_of(questionnaire)
    question = find_question(definition, key)
    if question is None:
        raise UnknownQuestion(key)
    return question, definition


def update_question(
    questionnaire: Questionnaire, key: str, fields: Mapping[str, str]
) -> tuple[str, list[Problem]]:
    """Change the question as the builder's fields say; (its name, problems).
    A new name is written into the conditions that used the old one."""
    existing, definition = question_of(questionnaire, key)
    question, problems = question_from_fields(existing["kind"], fields, existing)
    if problems:
        return key, problems
    group = (fields["group"] or None) if "group" in fields else editing.KEEP
    try:
        definition = editing.replace_question(definition, key, question, group)
    except editing.EditError:
        return key, [Problem("group_itself", key)]
    problems = _store(questionnaire, definition)
    return (key if problems else question["key"]), problems


def move_question(questionnaire: Questionnaire, key: str, step: int) -> None:
    question_of(questionnaire, key)
    save_draft(questionnaire, editing.move_question(draft_of(questionnaire), key, step))


def delete_question(questionnaire: Questionnaire, key: str) -> None:
    """Remove the question (a condition that used it is reported before
    publishing)."""
    question_of(questionnaire, key)
    save_draft(questionnaire, editing.delete_question(draft_of(questionnaire), key))


def update_texts(
    questionnaire: Questionnaire, title: dict, intro: dict
) -> list[Problem]:
    definition = draft_of(questionnaire)
    definition["title"], definition["intro"] = dict(title), dict(intro)
    if not title.get("zh"):
        return [Problem("title_zh")]
    return _store(questionnaire, definition)
