"""Reading XLSForm, the ODK/KoboToolbox standard.

The file goes through pyxform (ODK's own reader: `get_xlsform` and
`workbook_to_json`); what the definition format supports is kept and the
rest refused, naming each row. xlsform_export.py writes the other way.
docs/formats.md lists the subset.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2json import get_xlsform, workbook_to_json

from surveyapp.analysis.conditions import (
    SELF,
    ConditionError,
    parse,
)
from surveyapp.numbers import is_ascii_digits
from surveyapp.services.questionnaires.definitions import APPEARANCES, KEY
from surveyapp.services.questionnaires.editing import make_question
from surveyapp.services.questionnaires.problems import Problem, condition_problem

_LANGUAGE = re.compile(r"\((zh|en)(?:[-_][A-Za-z]+)?\)\s*$", re.IGNORECASE)
_TYPES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "integer": "integer",
    "decimal": "decimal",
    "text": "text",
    "note": "note",
    "group": "begin_group",
}
_FIELDS = {"type", "name", "label", "hint", "bind", "control", "children"}
_SELECT_FIELDS = {"choices", "itemset", "list_name", "parameters"}
_BINDS = {"relevant", "required", "constraint"}
# Messages of their own that the form does not show (it shows surveyapp's).
_IGNORED_BINDS = {
    "jr:constraintMsg": "constraint_message",
    "jr:requiredMsg": "required_message",
}
_YES = {"yes", "true", "true()", "1"}
_NO = {"no", "false", "false()", "0", ""}
RATING_NAMES = [str(n) for n in range(1, 6)]
SCALE10_NAMES = [str(n) for n in range(0, 11)]


class XLSFormRefused(ValueError):
    """An XLSForm outside the supported subset; `problems` names each row."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass
class Imported:
    definition: dict
    warnings: list[Problem] = field(default_factory=list)


# --- reading -------------------------------------------------------------------


def read_xlsform(source: Path | str | bytes) -> Imported:
    """The definition an XLSForm file (a path, or its bytes) describes;
    XLSFormRefused with every problem when any part is unsupported."""
    try:
        workbook = get_xlsform(
            xlsform=io.BytesIO(source) if isinstance(source, bytes) else str(source)
        )
        survey = workbook_to_json(workbook_dict=workbook, warnings=[])
    except PyXFormError as exc:
        raise XLSFormRefused(
            [Problem("xls_unreadable", params={"message": str(exc).strip()})]
        ) from None
    reader = _Reader(workbook.survey or [])
    questions = reader.questions(survey.get("children") or [])
    # The settings as written: pyxform rewrites quotes in form_title.
    settings = {
        str(k).strip().lower(): str(v).strip()
        for k, v in ((workbook.settings or [{}])[0]).items()
    }
    definition = {
        "title": _texts_of(settings, "form_title", "title_en"),
        "intro": _texts_of(settings, "intro_zh", "intro_en"),
        "questions": questions,
    }
    if reader.problems:
        raise XLSFormRefused(reader.problems)
    return Imported(definition, reader.warnings)


def _texts_of(settings: dict, zh: str, en: str) -> dict:
    return {
        lang: settings[name]
        for lang, name in (("zh", zh), ("en", en))
        if settings.get(name)
    }


def _language(key: str) -> str | None:
    """zh, en, None for XLSForm's default language, or "" for another."""
    if key == "default":
        return None
    match = _LANGUAGE.search(key)
    return match.group(1).lower() if match else ""


class _Reader:
    def __init__(self, rows: list[dict]):
        self.rows: dict[str, tuple[int, str]] = {}
        for number, row in enumerate(rows, start=2):  # as pyxform counts them
            row = {str(k).strip().lower(): str(v).strip() for k, v in row.items()}
            if row.get("name") and row["name"] not in self.rows:
                self.rows[row["name"]] = (number, row.get("type", ""))
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.seen: set[str] = set()

    def refuse(
        self, code: str, name: str, detail: Problem | None = None, **params
    ) -> None:
        row, raw_type = self.rows.get(name, ("?", ""))
        params = {"row": row, "name": name, "type": raw_type, **params}
        self.problems.append(Problem(code, params=params, detail=detail))

    def questions(self, children: list[dict]) -> list[dict]:
        out = []
        for child in children:
            control = child.get("control") or {}
            if child.get("name") == "meta" and control.get("bodyless"):
                continue  # pyxform's own instanceID
            question = self.question(child)
            if question is not None:
                out.append(question)
        return out

    def question(self, child: dict) -> dict | None:
        name, kind = str(child.get("name", "")), _TYPES.get(child.get("type", ""))
        if kind is None or (kind == "select_one" and _external(child)):
            raw = self.rows.get(name, ("?", child.get("type", "")))[1]
            self.refuse("xls_type", name, type=raw or child.get("type", ""))
            return None
        if not KEY.fullmatch(name):
            self.refuse("xls_name", name)
            return None
        if name.lower() in self.seen:
            self.refuse("xls_duplicate", name)
        self.seen.add(name.lower())
        self.check_fields(child, name, kind)
        common = {
            "label": self.texts_of(child.get("label"), name),
            "hint": self.texts_of(child.get("hint"), name),
            "show_if": self.relevant(child, name),
            "appearance": (child.get("control") or {}).get("appearance") or None,
        }
        if kind == "begin_group":
            return self.group(child, name, common)
        common["required"] = self.required(child, name)
        if kind in ("select_one", "select_multiple"):
            return self.select(child, name, kind, common)
        if kind in ("integer", "decimal"):
            low, high = self.constraint(child, name, kind)
            return self.made(kind, name, kind, common, minimum=low, maximum=high)
        return self.made(kind, name, kind, common)

    def made(self, kind: str, name: str, xls_type: str, common: dict, **extra) -> dict:
        appearance = common.get("appearance")
        if appearance and appearance not in APPEARANCES.get(kind, ()):
            self.refuse("xls_appearance", name, appearance=appearance, type=xls_type)
        return make_question(kind, name, **common, **extra)

    def check_fields(self, child: dict, name: str, kind: str) -> None:
        allowed = _FIELDS | (_SELECT_FIELDS if kind.startswith("select") else set())
        for column in sorted(set(child) - allowed):
            self.refuse("xls_column", name, column=column)
        for column in sorted(set(child.get("control") or {}) - {"appearance"}):
            self.refuse("xls_column", name, column=column)
        for column in sorted(set(child.get("bind") or {}) - _BINDS):
            if column in _IGNORED_BINDS:
                row = self.rows.get(name, ("?", ""))[0]
                self.warnings.append(
                    Problem(
                        "xls_ignored",
                        params={
                            "row": row,
                            "name": name,
                            "column": _IGNORED_BINDS[column],
                        },
                        warning=True,
                    )
                )
            else:
                self.refuse("xls_column", name, column=column)
        if (child.get("bind") or {}).get("constraint") and kind not in (
            "integer",
            "decimal",
        ):
            self.refuse("xls_column", name, column="constraint")
        if child.get("parameters"):
            self.refuse("xls_column", name, column="parameters")

    def texts_of(self, value: Any, name: str) -> dict:
        if value is None:
            return {}
        if isinstance(value, str):
            return {"zh": value.strip()} if value.strip() else {}
        texts: dict[str, str] = {}
        for key, text in value.items():
            lang = _language(key)
            if lang == "":
                self.refuse("xls_language", name, language=key)
                continue
            if str(text).strip() and (lang or "zh") not in texts:
                texts[lang or "zh"] = str(text).strip()
        return {lang: texts[lang] for lang in ("zh", "en") if lang in texts}

    def relevant(self, child: dict, name: str) -> dict | None:
        text = (child.get("bind") or {}).get("relevant", "").strip()
        if not text:
            return None
        try:
            return parse(text)
        except ConditionError as exc:
            self.refuse(
                "xls_relevant",
                name,
                expression=text,
                detail=condition_problem(exc, name),
            )
            return None

    def required(self, child: dict, name: str) -> bool:
        value = str((child.get("bind") or {}).get("required", "")).strip()
        if value.lower() in _YES:
            return True
        if value.lower() not in _NO:
            self.refuse("xls_required", name, value=value)
        return False

    def constraint(self, child: dict, name: str, kind: str):
        text = (child.get("bind") or {}).get("constraint", "").strip()
        if not text:
            return None, None
        bounds: dict[str, float] = {}
        try:
            tree = parse(text, allow_self=True)
            parts = tree["args"] if tree["op"] == "and" else [tree]
            for part in parts:
                number = part.get("value")
                side = {">=": "min", "<=": "max"}.get(part["op"])
                if (
                    part.get("ref") != SELF
                    or side is None
                    or side in bounds
                    or isinstance(number, str)
                    or (kind == "integer" and not float(number).is_integer())
                ):
                    raise ValueError(text)
                bounds[side] = int(number) if kind == "integer" else number
        except (ConditionError, ValueError, KeyError):
            self.refuse("xls_constraint", name, expression=text)
            return None, None
        return bounds.get("min"), bounds.get("max")

    def select(self, child: dict, name: str, kind: str, common: dict) -> dict:
        choices = child.get("choices") or []
        list_name = child.get("list_name") or child.get("itemset") or ""
        options = []
        for choice in choices:
            for column in sorted(set(choice) - {"name", "label"}):
                self.problems.append(
                    Problem(
                        "xls_choice_column",
                        params={"list": list_name, "column": column},
                    )
                )
            value = str(choice.get("name", ""))
            options.append(
                {
                    "value": value,
                    "label": self.texts_of(choice.get("label"), name) or {},
                }
            )
        names = [o["value"] for o in options]
        if kind == "select_multiple":
            return self.made("multi", name, kind, common, options=options)
        if sorted(names) == RATING_NAMES:
            return self.made("rating5", name, kind, common, options=_numbered(options))
        if sorted(names, key=_sort_number) == SCALE10_NAMES:
            levels = _numbered(options)
            return self.made("scale10", name, kind, common, options=_labelled(levels))
        return self.made("single", name, kind, common, options=options)

    def group(self, child: dict, name: str, common: dict) -> dict:
        children = child.get("children") or []
        if _is_grid(children):
            for item in children:
                if item["name"].lower() in self.seen or not KEY.fullmatch(item["name"]):
                    self.refuse(
                        "xls_duplicate" if KEY.fullmatch(item["name"]) else "xls_name",
                        item["name"],
                    )
                self.seen.add(item["name"].lower())
            items = [
                {
                    "key": item["name"],
                    "label": self.texts_of(item.get("label"), item["name"]),
                }
                for item in children
            ]
            required = any(self.required(item, item["name"]) for item in children)
            return self.made(
                "grid",
                name,
                "begin_group",
                {**common, "required": required},
                items=items,
                options=_labelled(
                    _numbered(
                        [
                            {
                                "value": str(c.get("name", "")),
                                "label": self.texts_of(c.get("label"), name),
                            }
                            for c in children[0].get("choices") or []
                        ]
                    )
                ),
            )
        questions = self.questions(children)
        return self.made("group", name, "begin_group", common, questions=questions)


def _external(child: dict) -> bool:
    itemset = str(child.get("itemset") or "")
    return not child.get("choices") or itemset.endswith((".csv", ".xml", ".geojson"))


def _is_grid(children: list[dict]) -> bool:
    """A group of two or more select_one questions on one list of the five
    levels 1..5, each with nothing but a label and a required flag."""
    if len(children) < 2:
        return False
    lists = set()
    for child in children:
        if child.get("type") != "select one" or set(child) - (
            {"type", "name", "label", "bind"} | _SELECT_FIELDS
        ):
            return False
        if set(child.get("bind") or {}) - {"required"} or child.get("parameters"):
            return False
        names = sorted(str(c.get("name", "")) for c in child.get("choices") or [])
        if names != RATING_NAMES:
            return False
        lists.add(child.get("list_name") or child.get("itemset"))
    return len(lists) == 1


def _numbered(options: list[dict]) -> list[dict]:
    return [{**o, "value": int(o["value"])} for o in options]


def _labelled(options: list[dict]) -> list[dict]:
    """Level labels only where they say more than the number (a grid's and a
    0-10 scale's numbers are shown as they are)."""
    plain = all(set((o["label"] or {}).values()) <= {str(o["value"])} for o in options)
    return [] if plain else options


def _sort_number(name: str) -> int:
    return int(name) if is_ascii_digits(name) else -1
