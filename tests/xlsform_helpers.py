"""XLSForm workbooks written in the tests (openpyxl), never committed as binaries."""

from __future__ import annotations

import io

from openpyxl import Workbook

ZH, EN = "Chinese (zh)", "English (en)"
SURVEY_HEADER = [
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
DRIVERS = (
    "timeliness",
    "attitude",
    "competence",
    "process",
    "information",
    "environment",
)

# Every supported type, a grid group, a plain group with a condition CSS cannot
# test, and every condition form: =, !=, <, <=, >, >=, selected(), and, or, ().
CITY_SURVEY = [
    [
        "note",
        "welcome",
        "欢迎参加调查",
        "Welcome",
        "约一分钟",
        "About a minute",
        "",
        "",
        "",
        "",
    ],
    [
        "select_one rate5",
        "overall",
        "总体评价",
        "Overall rating",
        "",
        "",
        "yes",
        "",
        "",
        "",
    ],
    [
        "select_multiple problems",
        "problems",
        "遇到的问题",
        "Problems",
        "",
        "",
        "yes",
        "${overall} <= 2",
        "",
        "",
    ],
    [
        "text",
        "other_problem",
        "其他问题",
        "Other problem",
        "",
        "",
        "",
        "selected(${problems}, 'other')",
        "multiline",
        "",
    ],
    [
        "begin_group",
        "drivers",
        "各方面打分",
        "Rate each aspect",
        "",
        "",
        "",
        "",
        "field-list",
        "",
    ],
    *[
        ["select_one levels", key, f"{key}中文", key.title(), "", "", "yes", "", "", ""]
        for key in DRIVERS
    ],
    ["end_group", "", "", "", "", "", "", "", "", ""],
    [
        "select_one visits",
        "visits",
        "跑了几次",
        "Visits",
        "",
        "",
        "",
        "",
        "horizontal",
        "",
    ],
    [
        "integer",
        "age",
        "年龄",
        "Age",
        "周岁",
        "Years",
        "",
        "",
        "",
        ". >= 16 and . <= 100",
    ],
    [
        "decimal",
        "wait_hours",
        "等了几小时",
        "Hours waited",
        "",
        "",
        "",
        "${visits} != '1' and (${overall} < 3 or selected(${problems}, 'waiting'))",
        "",
        ". >= 0",
    ],
    [
        "note",
        "long_wait",
        "等候过长",
        "A long wait",
        "",
        "",
        "",
        "${wait_hours} > 2",
        "",
        "",
    ],
    [
        "begin_group",
        "elderly",
        "老年人服务",
        "Older people",
        "",
        "",
        "",
        "${age} >= 60",
        "",
        "",
    ],
    [
        "select_one yesno",
        "helped",
        "有人帮助吗",
        "Were you helped?",
        "",
        "",
        "yes",
        "",
        "minimal",
        "",
    ],
    [
        "text",
        "help_note",
        "希望怎样帮助",
        "What help would you like?",
        "",
        "",
        "",
        "${helped} = 'no'",
        "",
        "",
    ],
    ["end_group", "", "", "", "", "", "", "", "", ""],
    [
        "select_one nps",
        "recommend",
        "推荐可能性",
        "Would you recommend us?",
        "",
        "",
        "",
        "${overall} > 1",
        "",
        "",
    ],
    ["text", "suggestion", "建议", "Suggestions", "", "", "", "", "", ""],
]
LEVEL_LABELS = {1: ("很差", "Very poor"), 5: ("很好", "Very good")}
CITY_CHOICES = [
    *[
        ["rate5", str(n), zh, en]
        for n, zh, en in (
            (5, "非常满意", "Very satisfied"),
            (4, "满意", "Satisfied"),
            (3, "基本满意", "Basically satisfied"),
            (2, "不满意", "Dissatisfied"),
            (1, "非常不满意", "Very dissatisfied"),
        )
    ],
    ["problems", "waiting", "等候太久", "Waited too long"],
    ["problems", "staff", "态度不好", "Unfriendly staff"],
    ["problems", "fees", "收费问题", "Fees"],
    ["problems", "other", "其他", "Other"],
    *[["levels", str(n), *LEVEL_LABELS.get(n, (str(n), str(n)))] for n in range(1, 6)],
    ["visits", "1", "1 次", "Once"],
    ["visits", "2", "2 次", "Twice"],
    ["visits", "3+", "3 次以上", "Three or more"],
    ["yesno", "yes", "有", "Yes"],
    ["yesno", "no", "没有", "No"],
    *[["nps", str(n), str(n), str(n)] for n in range(0, 11)],
]
CITY_SETTINGS = {
    "form_title": "城市服务满意度调查",
    "title_en": "City service survey",
    "intro_zh": "请评价您刚才办理的业务。",
    "intro_en": "Please rate the service you just had.",
    "form_id": "CITY",
    "default_language": ZH,
}


def xlsform_bytes(
    survey: list[list] | None = None,
    choices: list[list] | None = None,
    settings: dict | None = None,
    header: list[str] | None = None,
) -> bytes:
    """An XLSForm workbook: the city questionnaire unless told otherwise."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    sheet.append(header or SURVEY_HEADER)
    for row in CITY_SURVEY if survey is None else survey:
        sheet.append(row)
    sheet = workbook.create_sheet("choices")
    sheet.append(["list_name", "name", f"label::{ZH}", f"label::{EN}"])
    for row in CITY_CHOICES if choices is None else choices:
        sheet.append(row)
    given = CITY_SETTINGS if settings is None else settings
    if given:
        sheet = workbook.create_sheet("settings")
        sheet.append(list(given))
        sheet.append(list(given.values()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def city_answers(overall: int = 2, **extra) -> dict:
    """Form fields answering the city questionnaire (a bad rating, an older
    person who waited); q_ names as the citizen's form posts them."""
    data = {
        "q_overall": str(overall),
        "q_problems": ["waiting", "other"],
        "q_other_problem": "材料要求不清楚",
        "q_visits": "2",
        "q_age": "70",
        "q_wait_hours": "2.5",
        "q_helped": "no",
        "q_help_note": "希望有人引导",
        "q_recommend": "3",
        "q_suggestion": "增加窗口",
    }
    for key in DRIVERS:
        data[f"q_drivers_{key}"] = "2"
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}
