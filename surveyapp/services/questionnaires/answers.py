"""Validation of submitted answers against the exact questionnaire version,
and the answers as export cells (one column per question, by its name)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.analysis.conditions import holds
from surveyapp.services.questionnaires.definitions import (
    NO_ANSWER_KINDS,
    answer_names,
    choice_values,
)
from surveyapp.tables.cells import has_unstorable

# C0 control characters other than tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INTEGER = re.compile(r"[+-]?[0-9]+")
# Larger numbers are typing slips, and would not survive a spreadsheet.
NUMBER_LIMIT = 10**12

Getter = Callable[[str], list[str]]


def field_name(question_key: str, item_key: str | None = None) -> str:
    return f"q_{question_key}" if item_key is None else f"q_{question_key}_{item_key}"


def condition_met(question: dict, values: dict[str, Any]) -> bool:
    """Whether the question is asked, given the answers so far by name (a
    grid's items by their own names; a question not asked is unanswered)."""
    return holds(question.get("show_if"), values)


def clean_answers(
    definition: dict, getlist: Getter, *, text_max: int = 2000
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (answers, errors). `getlist(name)` gives the raw strings a form sent.

    A question whose condition (or whose group's) does not hold is neither
    required nor stored, so a citizen who changes their mind never leaves a
    stray answer behind."""
    answers: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}  # by name, for the conditions that follow
    _clean_list(definition["questions"], getlist, text_max, answers, errors, values)
    return answers, errors


def _clean_list(questions, getlist, text_max, answers, errors, values) -> None:
    for question in questions:
        key, kind = question["key"], question["kind"]
        if "show_if" in question and not condition_met(question, values):
            continue
        if kind == "group":
            _clean_list(
                question.get("questions") or [],
                getlist,
                text_max,
                answers,
                errors,
                values,
            )
            continue
        if kind in NO_ANSWER_KINDS:
            continue
        value, error = _clean_one(question, getlist, text_max)
        if error:
            errors[key] = error
        elif value in (None, "", [], {}):
            if question.get("required"):
                errors[key] = _l("Please answer this question.")
        else:
            answers[key] = value
        if kind == "grid" and isinstance(value, dict):
            values.update(value)
            if key in errors:
                answers[key] = value  # keep the partial grid for re-rendering
        elif key in answers:
            values[key] = answers[key]


def _clean_one(question: dict, getlist: Getter, text_max: int) -> tuple[Any, Any]:
    key, kind = question["key"], question["kind"]
    raw = [v for v in getlist(field_name(key)) if v is not None]
    if kind in ("rating5", "scale10"):
        if not raw or not raw[0].strip():
            return None, None
        value = _as_int(raw[0])
        allowed = choice_values(question)
        return (value, None) if value in allowed else (None, _invalid())
    if kind == "single":
        if not raw or not raw[0]:
            return None, None
        return (
            (raw[0], None) if raw[0] in _option_values(question) else (None, _invalid())
        )
    if kind == "multi":
        allowed = _option_values(question)
        chosen = list(dict.fromkeys(v for v in raw if v))
        if any(v not in allowed for v in chosen):
            return None, _invalid()
        return chosen, None
    if kind == "grid":
        return _clean_grid(question, getlist)
    if kind in ("integer", "decimal"):
        return _clean_number(question, raw[0] if raw else "")
    if kind == "text":
        text = raw[0] if raw else ""
        limit = min(int(question.get("max_length", text_max)), text_max)
        # Also what no spreadsheet can hold (U+FFFE, other non-characters):
        # one such answer would make every XLSX export unreadable.
        if _CONTROL.search(text) or has_unstorable(text):
            return None, _l("This text contains characters that cannot be stored.")
        if len(text) > limit:
            return None, _l("Please keep this under %(n)d characters.", n=limit)
        return text.strip(), None
    raise ValueError(f"unknown question kind {kind!r}")


def _as_int(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def _option_values(question: dict) -> list[str]:
    return [str(o["value"]) for o in question.get("options", [])]


def _clean_number(question: dict, raw: str) -> tuple[Any, Any]:
    text = raw.strip().replace(",", "")
    if not text:
        return None, None
    if question["kind"] == "integer":
        value: float | int | None = _as_int(text)
        if value is None:
            return None, _l("Please enter a whole number.")
    else:
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            return None, _l("Please enter a number.")
    if abs(value) >= NUMBER_LIMIT:
        return None, _l("Please enter a smaller number.")
    low, high = question.get("min"), question.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return None, _l(
                "Please enter a number from %(low)s to %(high)s.",
                low=_shown(low),
                high=_shown(high),
            )
        if low is not None:
            return None, _l("Please enter %(low)s or more.", low=_shown(low))
        return None, _l("Please enter %(high)s or less.", high=_shown(high))
    return value, None


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _clean_grid(question: dict, getlist: Getter) -> tuple[Any, Any]:
    allowed = choice_values(question)
    values: dict[str, int] = {}
    missing = invalid = False
    for item in question["items"]:
        raw = getlist(field_name(question["key"], item["key"]))
        if not raw or not raw[0].strip():
            missing = True
            continue
        value = _as_int(raw[0])
        if value not in allowed:
            invalid = True
        else:
            values[item["key"]] = value
    if invalid:
        return values, _invalid()
    if missing and values:
        return values, _l("Please rate every aspect.")
    if missing and question.get("required"):
        return values, _l("Please rate every aspect.")
    return values or None, None


def _invalid():
    return _l("Please choose one of the options.")


# --- the responses export ------------------------------------------------------


def answer_columns(definitions: Iterable[dict]) -> list[str]:
    """The answer columns of responses to these definitions: one per
    question (a grid's items each their own), named by its XLSForm name,
    in the order first met."""
    columns: dict[str, None] = {}
    for definition in definitions:
        for name, _question, _item in answer_names(definition):
            columns.setdefault(name, None)
    return list(columns)


def answer_cells(definition: dict, answers: dict[str, Any]) -> dict[str, Any]:
    """Column -> cell of one response: choices of a select_multiple joined
    with '|', an unanswered question None."""
    row: dict[str, Any] = {}
    for name, question, item in answer_names(definition):
        if item is not None:
            given = answers.get(question["key"])
            row[name] = given.get(name) if isinstance(given, dict) else None
            continue
        value = answers.get(name)
        if question["kind"] == "multi":
            row[name] = "|".join(map(str, value)) if value else None
        else:
            row[name] = value
    return row
