"""The office builder's question form: its fields (plain strings, as a form
posts them) turned into a question, and a question into its fields.

Options and grid items are written one per line, `value | 中文 | English`;
a condition is typed in the XLSForm syntax or picked (question, comparison,
value) and joined to the typed one with and/or.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from surveyapp.analysis.conditions import (
    COMPARISONS,
    ConditionError,
    as_tree,
    parse,
    simplify,
    to_text,
)
from surveyapp.services.questionnaires.default import RATING_LEVELS
from surveyapp.services.questionnaires.definitions import (
    APPEARANCES,
    CHOICE_KINDS,
    NO_ANSWER_KINDS,
    NUMBER_KINDS,
    Problem,
    condition_problem,
)
from surveyapp.services.questionnaires.editing import make_question, texts

PICK_OPS = (*COMPARISONS, "selected")
_SEPARATOR = re.compile(r"\s*[|｜]\s*")


def starting_options(kind: str) -> str:
    """What the options box holds for a new question of this kind."""
    if kind == "rating5":
        return "\n".join(
            f"{value} | {label['zh']} | {label['en']}" for value, label in RATING_LEVELS
        )
    return ""


def question_from_fields(
    kind: str, fields: Mapping[str, str], existing: dict | None = None
) -> tuple[dict, list[Problem]]:
    """The question the fields describe, and what is wrong with them. Parts
    the form does not edit (a text's max_length) are kept from `existing`."""
    key = fields.get("key", "").strip()
    problems: list[Problem] = []
    options = items = None
    if kind in (*CHOICE_KINDS, "grid"):
        options = _lines(fields.get("options", ""), "options_line", problems)
        if kind != "single" and kind != "multi":
            options = [{**o, "value": _int_or(o["value"])} for o in options]
    if kind == "grid":
        items = [
            {"key": o["value"], "label": o["label"]}
            for o in _lines(fields.get("items", ""), "items_line", problems)
        ]
    minimum = maximum = None
    if kind in NUMBER_KINDS:
        minimum = _number(fields.get("min", ""), kind, key, problems)
        maximum = _number(fields.get("max", ""), kind, key, problems)
    appearance = fields.get("appearance", "").strip()
    if appearance not in APPEARANCES.get(kind, ()):
        appearance = ""
    question = make_question(
        kind,
        key,
        label=texts(zh=fields.get("label_zh"), en=fields.get("label_en")),
        hint=texts(zh=fields.get("hint_zh"), en=fields.get("hint_en")),
        required=fields.get("required") in ("y", "on", "1", "true"),
        show_if=_condition(fields, key, problems),
        appearance=appearance or None,
        options=options,
        items=items,
        minimum=minimum,
        maximum=maximum,
    )
    for name, value in (existing or {}).items():
        if name not in question and name in ("max_length",):
            question[name] = value
    return question, problems


def _lines(text: str, code: str, problems: list[Problem]) -> list[dict]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = _SEPARATOR.split(line.strip())
        if not parts[0] or len(parts) > 3:
            problems.append(Problem(code, params={"line": number}))
            continue
        zh = parts[1] if len(parts) > 1 else ""
        en = parts[2] if len(parts) > 2 else ""
        rows.append({"value": parts[0], "label": texts(zh=zh, en=en)})
    return rows


def _int_or(value: str) -> Any:
    return int(value) if re.fullmatch(r"-?[0-9]+", value) else value


def _number(text: str, kind: str, key: str, problems: list[Problem]):
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (kind == "integer" and not value.is_integer()):
        problems.append(Problem("number_invalid", key, {"value": text}))
        return None
    return int(value) if value.is_integer() else value


def _condition(
    fields: Mapping[str, str], key: str, problems: list[Problem]
) -> dict | None:
    typed = fields.get("condition", "").strip()
    tree = None
    if typed:
        try:
            tree = parse(typed)
        except ConditionError as exc:
            problems.append(condition_problem(exc, key))
            return None
    ref = fields.get("pick_ref", "").strip()
    op = fields.get("pick_op", "=").strip()
    if not ref:
        return tree
    value_text = fields.get("pick_value", "").strip()
    if op not in PICK_OPS or not value_text:
        problems.append(Problem("pick_incomplete", key))
        return tree
    value: Any = value_text
    if op != "selected" and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value_text):
        value = float(value_text) if "." in value_text else int(value_text)
    picked = {"op": op, "ref": ref, "value": value}
    if tree is None or fields.get("pick_join") not in ("and", "or"):
        return picked
    return simplify({"op": fields["pick_join"], "args": [tree, picked]})


def fields_of(question: dict) -> dict[str, str]:
    """The builder's fields showing an existing question."""
    label, hint = question.get("label") or {}, question.get("hint") or {}
    fields = {
        "key": question.get("key", ""),
        "label_zh": label.get("zh", ""),
        "label_en": label.get("en", ""),
        "hint_zh": hint.get("zh", ""),
        "hint_en": hint.get("en", ""),
        "required": "y" if question.get("required") else "",
        "appearance": question.get("appearance", ""),
        "condition": condition_text(question),
        "options": _text_lines(question.get("options") or [], "value"),
        "items": _text_lines(question.get("items") or [], "key"),
        "min": _number_text(question.get("min")),
        "max": _number_text(question.get("max")),
    }
    if question.get("kind") in NO_ANSWER_KINDS:
        fields["required"] = ""
    return fields


def condition_text(question: dict) -> str:
    """The question's condition in the XLSForm syntax ("" for none)."""
    try:
        tree = as_tree(question.get("show_if"))
    except ConditionError:
        return ""
    return to_text(tree) if tree else ""


def _text_lines(rows: list[dict], name: str) -> str:
    lines = []
    for row in rows:
        label = row.get("label") or {}
        parts = [str(row.get(name, "")), label.get("zh", ""), label.get("en", "")]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
