"""Validation of submitted answers against the exact questionnaire version."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.tables.cells import has_unstorable

# C0 control characters other than tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Getter = Callable[[str], list[str]]


def field_name(question_key: str, item_key: str | None = None) -> str:
    return f"q_{question_key}" if item_key is None else f"q_{question_key}_{item_key}"


def condition_met(question: dict, answers: dict[str, Any]) -> bool:
    for key, allowed in (question.get("show_if") or {}).items():
        if answers.get(key) not in allowed:
            return False
    return True


def _as_int(text: str, low: int, high: int) -> int | None:
    try:
        value = int(text.strip())
    except (ValueError, AttributeError):
        return None
    return value if low <= value <= high else None


def _option_values(question: dict) -> list[str]:
    return [str(o["value"]) for o in question.get("options", [])]


def clean_answers(
    definition: dict, getlist: Getter, *, text_max: int = 2000
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (answers, errors). `getlist(name)` gives the raw strings a form sent.

    Conditional questions whose condition is not met are dropped, so a citizen
    who changes their mind never leaves a stray answer behind."""
    answers: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for question in definition["questions"]:
        key, kind = question["key"], question["kind"]
        if not condition_met(question, answers):
            continue
        value, error = _clean_one(question, getlist, text_max)
        if error:
            errors[key] = error
        elif value in (None, "", [], {}):
            if question.get("required"):
                errors[key] = _l("Please answer this question.")
        else:
            answers[key] = value
        if kind == "grid" and key in errors and isinstance(value, dict):
            answers[key] = value  # keep the partial grid for re-rendering
    return answers, errors


def _clean_one(question: dict, getlist: Getter, text_max: int) -> tuple[Any, Any]:
    key, kind = question["key"], question["kind"]
    raw = [v for v in getlist(field_name(key)) if v is not None]
    if kind in ("rating5", "scale10"):
        if not raw or not raw[0].strip():
            return None, None
        high, low = (5, 1) if kind == "rating5" else (10, 0)
        value = _as_int(raw[0], low, high)
        return (value, None) if value is not None else (None, _invalid())
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


def _clean_grid(question: dict, getlist: Getter) -> tuple[Any, Any]:
    scale = int(question.get("scale", 5))
    values: dict[str, int] = {}
    missing = invalid = False
    for item in question["items"]:
        raw = getlist(field_name(question["key"], item["key"]))
        if not raw or not raw[0].strip():
            missing = True
            continue
        value = _as_int(raw[0], 1, scale)
        if value is None:
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


def flatten_for_export(definition: dict, answers: dict[str, Any]) -> dict[str, Any]:
    """One column per answer: grids become key.item, multi choices join with '|'."""
    row: dict[str, Any] = {}
    for question in definition["questions"]:
        key, kind = question["key"], question["kind"]
        value = answers.get(key)
        if kind == "grid":
            for item in question["items"]:
                row[f"{key}.{item['key']}"] = (value or {}).get(item["key"])
        elif kind == "multi":
            row[key] = "|".join(value) if value else None
        else:
            row[key] = value
    return row
