"""The default 好差评 questionnaire published by the demo and new installations."""

from __future__ import annotations

RATING_LEVELS = [
    (5, {"zh": "非常满意", "en": "Very satisfied"}),
    (4, {"zh": "满意", "en": "Satisfied"}),
    (3, {"zh": "基本满意", "en": "Basically satisfied"}),
    (2, {"zh": "不满意", "en": "Dissatisfied"}),
    (1, {"zh": "非常不满意", "en": "Very dissatisfied"}),
]
BAD_LEVELS = [1, 2]

DRIVERS = [
    ("timeliness", "办理时效与等候时间", "Speed of service and waiting time"),
    ("attitude", "工作人员服务态度", "Staff attitude"),
    ("competence", "工作人员业务能力", "Staff competence"),
    ("process", "办事流程与材料便捷程度", "Ease of the process and materials"),
    ("information", "信息告知清晰程度", "Clarity of information"),
    ("environment", "大厅环境与设施", "Environment and facilities"),
]
DRIVER_KEYS = tuple(key for key, _zh, _en in DRIVERS)

PROBLEMS = [
    ("waiting", "等候时间太长", "Waited too long"),
    ("attitude", "工作人员态度不好", "Unfriendly staff"),
    ("competence", "工作人员业务不熟、效率低", "Staff unsure or slow"),
    ("materials", "材料繁琐、多次跑腿", "Too many documents or repeat visits"),
    ("information", "政策或流程解释不清", "Policy or process not explained"),
    ("system", "系统故障、网络问题", "System or network failure"),
    ("fees", "收费问题", "Fees"),
    ("facilities", "环境设施不好", "Poor facilities"),
    ("other", "其他", "Other"),
]


def _options(rows: list[tuple[str, str, str]]) -> list[dict]:
    return [{"value": v, "label": {"zh": zh, "en": en}} for v, zh, en in rows]


DEFAULT_DEFINITION: dict = {
    "title": {
        "zh": "政务服务“好差评”满意度调查",
        "en": "Government service satisfaction survey",
    },
    "intro": {
        "zh": "感谢您来办事！请花一分钟评价刚才的服务，您的意见会直接送到大厅和主管部门。",
        "en": "Thank you for your visit. Please take a minute to rate the service; "
        "your answer goes straight to the hall and its department.",
    },
    "questions": [
        {
            "key": "overall",
            "kind": "rating5",
            "required": True,
            "label": {
                "zh": "您对本次办事服务的总体评价是？",
                "en": "Overall, how satisfied are you with today's service?",
            },
            "options": [{"value": v, "label": lab} for v, lab in RATING_LEVELS],
        },
        {
            "key": "problems",
            "kind": "multi",
            "required": True,
            "show_if": {"overall": BAD_LEVELS},
            "label": {
                "zh": "您不满意的主要原因是？（可多选）",
                "en": "What went wrong? (choose all that apply)",
            },
            "options": _options(PROBLEMS),
        },
        {
            "key": "complaint",
            "kind": "text",
            "required": False,
            "max_length": 2000,
            "show_if": {"overall": BAD_LEVELS},
            "label": {
                "zh": "请具体说说遇到的问题，我们会核实整改",
                "en": "Please tell us what happened; it will be checked and fixed",
            },
        },
        {
            "key": "drivers",
            "kind": "grid",
            "required": True,
            "scale": 5,
            "label": {
                "zh": "请对以下方面打分（5 分最好）",
                "en": "Please rate each aspect (5 is best)",
            },
            "items": [
                {"key": key, "label": {"zh": zh, "en": en}} for key, zh, en in DRIVERS
            ],
        },
        {
            "key": "visits",
            "kind": "single",
            "required": False,
            "label": {
                "zh": "这件事您一共跑了几次大厅？",
                "en": "How many visits did this matter take?",
            },
            "options": _options(
                [
                    ("1", "1 次", "One"),
                    ("2", "2 次", "Two"),
                    ("3+", "3 次及以上", "Three or more"),
                ]
            ),
        },
        {
            "key": "recommend",
            "kind": "scale10",
            "required": False,
            "label": {
                "zh": "您有多大可能向亲友推荐在这里办事？（0 最不可能，10 最可能）",
                "en": "How likely are you to recommend this hall? (0 not at all, 10 very)",
            },
        },
        {
            "key": "suggestion",
            "kind": "text",
            "required": False,
            "max_length": 2000,
            "label": {
                "zh": "您还有其他意见或建议吗？（选填）",
                "en": "Any other comments or suggestions? (optional)",
            },
        },
    ],
}
