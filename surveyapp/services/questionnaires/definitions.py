"""The questionnaire definition format: its kinds, a walk over its questions,
the checks before publishing, and what reports read from it (names, drivers).

A version's `definition` is JSON: `title`, `intro` and `questions`. Each
question has `key` (its XLSForm name), `kind`, `label` ({"zh", "en"}), and
as its kind needs `hint`, `required`, `show_if` (a condition:
surveyapp/analysis/conditions.py), `appearance`, `options`, `items` and
`scale` (a rating grid), `min`/`max` (numbers), `max_length` (text) and
`questions` (a group). docs/formats.md describes it for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from surveyapp.analysis.conditions import ConditionError, as_tree, check_tree
from surveyapp.analysis.conditions import references as condition_references
from surveyapp.services.questionnaires.default import DRIVER_KEYS
from surveyapp.services.questionnaires.problems import (
    DefinitionError,
    Problem,
    condition_problem,
)

QUESTION_KINDS = (
    "rating5",
    "grid",
    "single",
    "multi",
    "scale10",
    "integer",
    "decimal",
    "text",
    "note",
    "group",
)
NO_ANSWER_KINDS = ("note", "group")
CHOICE_KINDS = ("rating5", "single", "multi")
NUMBER_KINDS = ("integer", "decimal")
# Appearances (XLSForm's column) each kind honours; others are refused.
APPEARANCES = {
    "rating5": ("minimal", "horizontal", "horizontal-compact", "likert"),
    "single": ("minimal", "horizontal", "horizontal-compact", "likert"),
    "multi": ("horizontal", "horizontal-compact"),
    "text": ("multiline",),
    "group": ("field-list", "table-list"),
    "grid": ("field-list", "table-list"),
}
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,47}")
_SPACE_OR_BAR = re.compile(r"[\s|]")
OVERALL = "overall"
GRID_SCALE = 5
# The responses export's own columns (services/responses/exports.py): an
# answer column of the same name would be ambiguous.
RESERVED_NAMES = frozenset(
    {
        "response_id",
        "public_id",
        "hall_code",
        "window_code",
        "service_item_code",
        "department_code",
        "questionnaire",
        "questionnaire_version",
        "started_at",
        "submitted_at",
        "duration_s",
        "language",
        "mode",
        "ua_family",
        "contact_consent",
        "verdict",
        "quality_score",
        "reasons",
        "reasons_text",
        "meta",
    }
)


# --- walking -------------------------------------------------------------------


def iter_questions(definition: dict) -> Iterator[dict]:
    """Every question in document order, a group before its own questions."""
    for question, _groups in walk(definition):
        yield question


def walk(definition: dict) -> Iterator[tuple[dict, tuple[dict, ...]]]:
    """(question, the groups it is in, outermost first) in document order."""

    def visit(questions: Iterable[dict], groups: tuple[dict, ...]):
        for question in questions:
            yield question, groups
            if question.get("kind") == "group":
                yield from visit(question.get("questions") or [], (*groups, question))

    yield from visit(definition.get("questions") or [], ())


def find_question(definition: dict, key: str) -> dict | None:
    return next((q for q in iter_questions(definition) if q.get("key") == key), None)


def answer_names(definition: dict) -> Iterator[tuple[str, dict, dict | None]]:
    """(name, question, grid item or None) for every name that holds an
    answer, in document order: a grid's items are names of their own."""
    for question in iter_questions(definition):
        kind = question.get("kind")
        if kind == "grid":
            for item in question.get("items") or []:
                yield item["key"], question, item
        elif kind not in NO_ANSWER_KINDS:
            yield question["key"], question, None


def condition_of(question: dict) -> dict | None:
    """The question's own condition as a tree (ConditionError if malformed)."""
    return as_tree(question.get("show_if"))


def choice_values(question: dict, item: dict | None = None) -> list[Any] | None:
    """The values a choice question (or a grid item) accepts; None for
    questions answered freely (numbers, text)."""
    kind = question.get("kind")
    if kind == "grid":
        return list(range(1, int(question.get("scale", GRID_SCALE)) + 1))
    if kind == "scale10":
        return list(range(0, 11))
    if kind in CHOICE_KINDS:
        return [o.get("value") for o in question.get("options") or []]
    return None


@dataclass(frozen=True)
class Driver:
    """A rating grid's item: one driver of the satisfaction index."""

    key: str
    grid: str
    label: dict


def drivers_of(definition: dict) -> list[Driver]:
    """The index's drivers a version asks: the items of its rating grids."""
    return [
        Driver(item["key"], question["key"], dict(item.get("label") or {}))
        for name, question, item in answer_names(definition)
        if item is not None
    ]


def driver_values(definition: dict, answers: dict) -> dict[str, Any]:
    """Driver key -> the answer given (absent when unanswered)."""
    values = {}
    for driver in drivers_of(definition):
        given = answers.get(driver.grid)
        if isinstance(given, dict) and given.get(driver.key) is not None:
            values[driver.key] = given[driver.key]
    return values


# --- checks --------------------------------------------------------------------


def structure_problems(definition: dict) -> list[Problem]:
    """What every stored draft must satisfy: known kinds, valid and unique
    names, readable conditions (the builder edits by name)."""
    problems: list[Problem] = []
    seen: set[str] = set()

    def name(key: Any) -> None:
        if not isinstance(key, str) or not KEY.fullmatch(key):
            problems.append(Problem("key_invalid", str(key)))
        elif key.lower() in seen:
            problems.append(Problem("key_duplicate", key))
        elif key.lower() in RESERVED_NAMES:
            problems.append(Problem("key_reserved", key))
        if isinstance(key, str):
            seen.add(key.lower())

    for question in iter_questions(definition):
        key, kind = question.get("key"), question.get("kind")
        name(key)
        if kind not in QUESTION_KINDS:
            problems.append(Problem("kind", str(key), {"kind": str(kind)}))
        for item in (question.get("items") or []) if kind == "grid" else []:
            name(item.get("key"))
        try:
            tree = condition_of(question)
            if tree is not None:
                check_tree(tree)
        except ConditionError as exc:
            problems.append(condition_problem(exc, str(key)))
    return problems


def publish_problems(
    definition: dict, index_dimensions: Iterable[str] = DRIVER_KEYS
) -> list[Problem]:
    """Everything checked before publishing, warnings last (`warning=True`
    ones do not stop it)."""
    problems = structure_problems(definition)
    if not (definition.get("title") or {}).get("zh", "").strip():
        problems.insert(0, Problem("title_zh"))
    if not definition.get("questions"):
        problems.append(Problem("no_questions"))
    for question in iter_questions(definition):
        problems.extend(_question_problems(question))
    problems.extend(_condition_problems(definition))
    problems.extend(_overall_problems(definition))
    problems.extend(_driver_warnings(definition, tuple(index_dimensions)))
    return sorted(problems, key=lambda p: p.warning)


def check_definition(definition: dict) -> None:
    """Refuse (DefinitionError) a definition that is not fit to publish."""
    problems = [p for p in publish_problems(definition) if not p.warning]
    if problems:
        raise DefinitionError(problems)


def _question_problems(question: dict) -> list[Problem]:
    key, kind = question.get("key", ""), question.get("kind")
    found: list[Problem] = []
    if kind != "group" and not (question.get("label") or {}).get("zh", "").strip():
        found.append(Problem("label_zh", key))
    appearance = question.get("appearance")
    if appearance and appearance not in APPEARANCES.get(kind, ()):
        found.append(Problem("appearance", key, {"appearance": appearance}))
    options = question.get("options") or []
    values = [o.get("value") for o in options]
    if kind in CHOICE_KINDS and len(options) < 2:
        found.append(Problem("options", key))
    if any(v in (None, "") for v in values) or len(set(map(str, values))) < len(values):
        found.append(Problem("option_values", key))
    elif any(_SPACE_OR_BAR.search(str(v)) for v in values):
        # XLSForm keeps a multiple choice as names joined by spaces, the export by |
        found.append(Problem("option_spaces", key))
    if kind == "rating5" and sorted(map(str, values)) != list("12345"):
        found.append(Problem("rating_options", key))
    if kind == "grid":
        if not question.get("items"):
            found.append(Problem("items", key))
        if int(question.get("scale", GRID_SCALE)) != GRID_SCALE:
            found.append(Problem("scale", key))
        for item in question.get("items") or []:
            if not (item.get("label") or {}).get("zh", "").strip():
                found.append(Problem("label_zh", item.get("key", "")))
    if kind == "group" and not question.get("questions"):
        found.append(Problem("group_empty", key))
    low, high = question.get("min"), question.get("max")
    if kind in NUMBER_KINDS and low is not None and high is not None and low > high:
        found.append(Problem("range", key))
    return found


def _condition_problems(definition: dict) -> list[Problem]:
    """Conditions may only read answers asked before them."""
    found: list[Problem] = []
    answered: set[str] = set()
    silent = {
        q["key"]
        for q in iter_questions(definition)
        if q.get("kind") in (*NO_ANSWER_KINDS, "grid")
    }
    every = {name for name, _q, _i in answer_names(definition)}
    for question in iter_questions(definition):
        key = question.get("key", "")
        try:
            tree = condition_of(question)
        except ConditionError:
            tree = None  # reported by structure_problems
        for ref in condition_references(tree):
            if ref in silent:
                found.append(Problem("condition_no_answer", key, {"ref": ref}))
            elif ref not in every:
                found.append(Problem("condition_unknown", key, {"ref": ref}))
            elif ref not in answered:
                found.append(Problem("condition_later", key, {"ref": ref}))
        if question.get("kind") == "grid":
            answered.update(i.get("key") for i in question.get("items") or [])
        elif question.get("kind") not in NO_ANSWER_KINDS:
            answered.add(key)
    return found


def _overall_problems(definition: dict) -> list[Problem]:
    for question, groups in walk(definition):
        if question.get("key") != OVERALL:
            continue
        if question.get("kind") != "rating5":
            return [Problem("overall_missing")]
        found = []
        if question.get("show_if") or any(g.get("show_if") for g in groups):
            found.append(Problem("overall_conditional", OVERALL))
        if not question.get("required"):
            found.append(Problem("overall_optional", OVERALL))
        return found
    return [Problem("overall_missing")]


def _driver_warnings(definition: dict, dimensions: tuple[str, ...]) -> list[Problem]:
    drivers = [d.key for d in drivers_of(definition)]
    if not drivers:
        return [Problem("no_drivers", warning=True)]
    outside = [key for key in drivers if key not in dimensions]
    if not outside:
        return []
    return [
        Problem(
            "drivers_not_indexed",
            params={"keys": ", ".join(outside), "dimensions": ", ".join(dimensions)},
            warning=True,
        )
    ]
