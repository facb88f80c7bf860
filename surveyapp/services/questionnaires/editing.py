"""Building a definition question by question (the office builder and the
XLSForm reader make questions the same way), and what changed between two.

Pure: definitions in, new definitions out (never changed in place).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from surveyapp.analysis.conditions import as_tree, is_tree
from surveyapp.services.questionnaires.definitions import (
    CHOICE_KINDS,
    GRID_SCALE,
    NO_ANSWER_KINDS,
    NUMBER_KINDS,
    iter_questions,
    walk,
)

LANGUAGES = ("zh", "en")
# replace_question's `group` when the question stays where it is
KEEP = "\x00keep"


class EditError(ValueError):
    """An edit the definition cannot take (a name that does not exist...)."""


def texts(**by_language: str | None) -> dict:
    """{"zh": ..., "en": ...} of the languages given, empty ones left out."""
    return {
        lang: text.strip()
        for lang, text in by_language.items()
        if lang in LANGUAGES and text and text.strip()
    }


def make_question(
    kind: str,
    key: str,
    *,
    label: dict | None = None,
    hint: dict | None = None,
    required: bool = False,
    show_if: dict | None = None,
    appearance: str | None = None,
    options: list[dict] | None = None,
    items: list[dict] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    questions: list[dict] | None = None,
) -> dict:
    """A question in the one shape both the builder and the XLSForm reader
    give (so that their definitions compare equal): empty parts left out."""
    question: dict[str, Any] = {"key": key, "kind": kind, "label": dict(label or {})}
    if hint:
        question["hint"] = dict(hint)
    if kind not in NO_ANSWER_KINDS:
        question["required"] = bool(required)
    if show_if:
        question["show_if"] = show_if
    if appearance:
        question["appearance"] = appearance
    if kind in CHOICE_KINDS or (kind in ("grid", "scale10") and options):
        question["options"] = list(options or [])
    if kind == "grid":
        question["items"] = list(items or [])
        question["scale"] = GRID_SCALE
    if kind in NUMBER_KINDS:
        if minimum is not None:
            question["min"] = minimum
        if maximum is not None:
            question["max"] = maximum
    if kind == "group":
        question["questions"] = list(questions or [])
    return question


def blank_definition(title: dict, intro: dict | None = None) -> dict:
    return {"title": dict(title), "intro": dict(intro or {}), "questions": []}


# --- edits ---------------------------------------------------------------------


def _container(definition: dict, group: str | None) -> list[dict]:
    if group is None:
        return definition.setdefault("questions", [])
    for question in iter_questions(definition):
        if question.get("key") == group and question.get("kind") == "group":
            return question.setdefault("questions", [])
    raise EditError(f"no group {group!r}")


def _locate(definition: dict, key: str) -> tuple[list[dict], int]:
    lists = [definition.get("questions") or []]
    lists += [
        q.get("questions") or []
        for q in iter_questions(definition)
        if q.get("kind") == "group"
    ]
    for questions in lists:
        for index, question in enumerate(questions):
            if question.get("key") == key:
                return questions, index
    raise EditError(f"no question {key!r}")


def group_of(definition: dict, key: str) -> str | None:
    """The key of the group the question is in (None: the top level)."""
    for question, groups in walk(definition):
        if question.get("key") == key:
            return groups[-1]["key"] if groups else None
    raise EditError(f"no question {key!r}")


def add_question(definition: dict, question: dict, group: str | None = None) -> dict:
    result = copy.deepcopy(definition)
    _container(result, group).append(copy.deepcopy(question))
    return result


def replace_question(
    definition: dict, key: str, question: dict, group: str | None = KEEP
) -> dict:
    """The question named `key` replaced (renaming rewrites the conditions
    that use the old name); `group` moves it to the end of that group (None:
    the top level) when it is not already there."""
    result = copy.deepcopy(definition)
    questions, index = _locate(result, key)
    replacement = copy.deepcopy(question)
    if replacement.get("kind") == "group":
        replacement["questions"] = questions[index].get("questions") or []
    questions[index] = replacement
    new_key = replacement["key"]
    if new_key != key:
        _rename_references(result, key, new_key)
    if group != KEEP and group != group_of(result, new_key):
        if group is not None and group in _keys_within(replacement):
            raise EditError(f"group {new_key!r} cannot go inside itself")
        del questions[index]
        _container(result, group).append(replacement)
    return result


def _keys_within(question: dict) -> set[str]:
    keys = {question.get("key")}
    for inner in question.get("questions") or []:
        keys |= _keys_within(inner)
    return keys


def move_question(definition: dict, key: str, step: int) -> dict:
    """Up (step -1) or down (+1) among the questions of its own group."""
    result = copy.deepcopy(definition)
    questions, index = _locate(result, key)
    target = index + step
    if 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]
    return result


def delete_question(definition: dict, key: str) -> dict:
    result = copy.deepcopy(definition)
    questions, index = _locate(result, key)
    del questions[index]
    return result


def _rename_references(definition: dict, old: str, new: str) -> None:
    for question in iter_questions(definition):
        condition = question.get("show_if")
        if not condition:
            continue
        tree = as_tree(condition) if not is_tree(condition) else condition
        question["show_if"] = _renamed(tree, old, new)


def _renamed(tree: dict, old: str, new: str) -> dict:
    if tree["op"] in ("and", "or"):
        return {**tree, "args": [_renamed(a, old, new) for a in tree["args"]]}
    return {**tree, "ref": new} if tree["ref"] == old else dict(tree)


# --- what changed --------------------------------------------------------------


@dataclass
class Changes:
    """Questions added, removed, changed (with the fields that changed) and
    moved between two definitions, and whether title or intro changed."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.added, self.removed, self.changed, self.moved, self.settings))


def diff(old: dict, new: dict) -> Changes:
    changes = Changes()
    for part in ("title", "intro"):
        if (old.get(part) or {}) != (new.get(part) or {}):
            changes.settings.append(part)
    before = {q["key"]: q for q in iter_questions(old)}
    after = {q["key"]: q for q in iter_questions(new)}
    changes.added = [key for key in after if key not in before]
    changes.removed = [key for key in before if key not in after]
    for key, question in after.items():
        if key in before:
            fields = _changed_fields(before[key], question)
            if fields:
                changes.changed.append((key, fields))
    changes.moved = _moved(
        [(k, group_of(old, k)) for k in before if k in after],
        [(k, group_of(new, k)) for k in after if k in before],
    )
    return changes


def _changed_fields(old: dict, new: dict) -> list[str]:
    names = [n for n in (*old, *(k for k in new if k not in old)) if n != "questions"]
    fields = []
    for name in names:
        left, right = old.get(name), new.get(name)
        if name == "show_if":
            left, right = as_tree(left), as_tree(right)
        if left != right:
            fields.append(name)
    return fields


def _moved(before: list[tuple[str, Any]], after: list[tuple[str, Any]]) -> list[str]:
    """Questions not in the longest run kept in order, or now in another group."""
    keys_before = [k for k, _ in before]
    keys_after = [k for k, _ in after]
    kept = _longest_common_order(keys_before, keys_after)
    groups_before = dict(before)
    return [
        key
        for key, group in after
        if key not in kept or groups_before.get(key) != group
    ]


def _longest_common_order(a: list[str], b: list[str]) -> set[str]:
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            lengths[i + 1][j + 1] = (
                lengths[i][j] + 1
                if x == y
                else max(lengths[i][j + 1], lengths[i + 1][j])
            )
    kept, i, j = set(), len(a), len(b)
    while i and j:
        if a[i - 1] == b[j - 1]:
            kept.add(a[i - 1])
            i, j = i - 1, j - 1
        elif lengths[i - 1][j] >= lengths[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return kept
