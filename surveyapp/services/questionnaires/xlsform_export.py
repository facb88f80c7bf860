"""Writing a definition as XLSForm (sheets survey, choices and settings), in
the subset xlsform.py reads back to the same definition."""

from __future__ import annotations

import io

from openpyxl import Workbook

from surveyapp.analysis.conditions import as_tree, to_text

ZH, EN = "Chinese (zh)", "English (en)"

SURVEY_COLUMNS = [
    "type",
    "name",
    f"label::{ZH}",
    f"label::{EN}",
    f"hint::{ZH}",
    f"hint::{EN}",
    "required",
    "relevant",
    "appearance",
    "constraint",
]
CHOICE_COLUMNS = ["list_name", "name", f"label::{ZH}", f"label::{EN}"]
SETTINGS_COLUMNS = [
    "form_title",
    "title_en",
    "intro_zh",
    "intro_en",
    "form_id",
    "version",
    "default_language",
]


def write_xlsform(definition: dict, form_id: str, version: str = "") -> bytes:
    """The definition as an XLSForm workbook (sheets survey, choices and
    settings); read_xlsform gives the same definition back."""
    writer = _Writer()
    writer.questions(definition.get("questions") or [])
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    for row in writer.survey:
        survey.append([row.get(column, "") for column in SURVEY_COLUMNS])
    choices = workbook.create_sheet("choices")
    choices.append(CHOICE_COLUMNS)
    for row in writer.choices:
        choices.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(SETTINGS_COLUMNS)
    title, intro = definition.get("title") or {}, definition.get("intro") or {}
    settings.append(
        [
            title.get("zh", ""),
            title.get("en", ""),
            intro.get("zh", ""),
            intro.get("en", ""),
            form_id,
            version,
            ZH,
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _Writer:
    def __init__(self):
        self.survey: list[dict] = []
        self.choices: list[list] = []
        self.lists: set[str] = set()

    def questions(self, questions: list[dict]) -> None:
        for question in questions:
            self.question(question)

    def question(self, question: dict) -> None:
        kind, key = question["kind"], question["key"]
        row = {"name": key, **self.common(question)}
        if kind == "group":
            self.survey.append({**row, "type": "begin_group"})
            self.questions(question.get("questions") or [])
            self.survey.append({"type": "end_group"})
        elif kind == "grid":
            levels = self.choice_list(f"{key}_levels", _levels(question, 1, 5))
            self.survey.append({**row, "type": "begin_group", "required": ""})
            for item in question.get("items") or []:
                self.survey.append(
                    {
                        "type": f"select_one {levels}",
                        "name": item["key"],
                        **_label_columns("label", item.get("label")),
                        "required": row["required"],
                    }
                )
            self.survey.append({"type": "end_group"})
        elif kind in ("rating5", "single", "multi", "scale10"):
            options = (
                _levels(question, 0, 10)
                if kind == "scale10"
                else question.get("options") or []
            )
            name = self.choice_list(key, options)
            select = "select_multiple" if kind == "multi" else "select_one"
            self.survey.append({**row, "type": f"{select} {name}"})
        else:
            self.survey.append(
                {**row, "type": kind, "constraint": _constraint(question)}
            )

    def common(self, question: dict) -> dict:
        tree = as_tree(question.get("show_if"))
        return {
            **_label_columns("label", question.get("label")),
            **_label_columns("hint", question.get("hint")),
            "required": "yes" if question.get("required") else "",
            "relevant": to_text(tree) if tree else "",
            "appearance": question.get("appearance", ""),
        }

    def choice_list(self, wanted: str, options: list[dict]) -> str:
        name, number = wanted, 1
        while name in self.lists:
            number += 1
            name = f"{wanted}_{number}"
        self.lists.add(name)
        for option in options:
            label = option.get("label") or {}
            self.choices.append(
                [name, str(option["value"]), label.get("zh", ""), label.get("en", "")]
            )
        return name


def _levels(question: dict, low: int, high: int) -> list[dict]:
    """The levels of a grid or 0-10 scale: their labels, else their numbers."""
    given = question.get("options") or []
    if given:
        return given
    return [{"value": n, "label": {"zh": str(n)}} for n in range(low, high + 1)]


def _label_columns(column: str, texts: dict | None) -> dict:
    texts = texts or {}
    return {
        f"{column}::{ZH}": texts.get("zh", ""),
        f"{column}::{EN}": texts.get("en", ""),
    }


def _constraint(question: dict) -> str:
    parts = []
    if question.get("min") is not None:
        parts.append(f". >= {question['min']}")
    if question.get("max") is not None:
        parts.append(f". <= {question['max']}")
    return " and ".join(parts)
