"""Demo data for Yulin's service halls: organisation, questionnaire, responses."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, insert, select

from surveyapp.extensions import db
from surveyapp.models import (
    Department,
    Hall,
    Questionnaire,
    Region,
    Response,
    ServiceItem,
    Window,
)
from surveyapp.models.base import utcnow
from surveyapp.services.organisation.catalogue import hall_by_code
from surveyapp.services.questionnaires.default import (
    DEFAULT_DEFINITION,
    DRIVERS,
    PROBLEMS,
)
from surveyapp.services.questionnaires.versions import current_version, publish_version

REGIONS = [
    ("450900", "玉林市本级", "Yulin City", "city"),
    ("450902", "玉州区", "Yuzhou District", "county"),
    ("450903", "福绵区", "Fumian District", "county"),
    ("450981", "北流市", "Beiliu City", "county"),
    ("450921", "容县", "Rong County", "county"),
    ("450922", "陆川县", "Luchuan County", "county"),
    ("450923", "博白县", "Bobai County", "county"),
    ("450924", "兴业县", "Xingye County", "county"),
]

DEPARTMENTS = [
    (
        "nr",
        "自然资源局（不动产登记）",
        "Natural Resources (Real Estate Registration)",
        [
            ("re-transfer", "不动产转移登记", "Real estate transfer registration"),
            ("re-mortgage", "不动产抵押登记", "Real estate mortgage registration"),
        ],
    ),
    (
        "hf",
        "住房公积金管理中心",
        "Housing Provident Fund Centre",
        [
            ("hf-withdraw", "住房公积金提取", "Provident fund withdrawal"),
            ("hf-loan", "住房公积金贷款", "Provident fund loan"),
        ],
    ),
    (
        "mr",
        "市场监督管理局",
        "Market Regulation",
        [
            ("mr-license", "营业执照办理（企业开办）", "Business licence"),
            ("mr-food", "食品经营许可", "Food business permit"),
        ],
    ),
    (
        "hr",
        "人力资源和社会保障局",
        "Human Resources and Social Security",
        [
            ("hr-card", "社保卡申领", "Social security card"),
            ("hr-pension", "养老保险参保登记", "Pension insurance enrolment"),
        ],
    ),
    (
        "hi",
        "医疗保障局",
        "Healthcare Security",
        [
            ("hi-remote", "医保异地就医备案", "Out-of-town medical care filing"),
            ("hi-claim", "医保费用报销", "Medical expense reimbursement"),
        ],
    ),
    (
        "ps",
        "公安局（户政、出入境）",
        "Public Security (Household, Exit-Entry)",
        [
            ("ps-id", "居民身份证办理", "Resident ID card"),
            ("ps-hukou", "户口迁移", "Household registration transfer"),
            ("ps-exit", "出入境证件办理", "Exit-entry documents"),
        ],
    ),
    (
        "tx",
        "税务局",
        "Taxation",
        [
            ("tx-invoice", "发票申领", "Invoice application"),
            ("tx-iit", "个人所得税汇算", "Individual income tax settlement"),
        ],
    ),
]

WEEKDAY_HOURS = [["08:30", "12:00"], ["14:30", "17:30"]]
OPENING_HOURS = {day: WEEKDAY_HOURS for day in ("mon", "tue", "wed", "thu", "fri")}

COMPLAINTS = [
    "排队等了一个多小时，窗口只开了两个，希望高峰期多开窗口。",
    "工作人员态度冷淡，问了两遍都不耐烦。",
    "材料要求前后说法不一致，让我跑了三趟。",
    "系统一直显示故障，等了很久也没办成。",
    "不动产登记要的材料太多，网上说明和窗口要求不一样。",
    "公积金提取的政策没有解释清楚，不知道还要补什么材料。",
    "大厅没有足够的座位，老人只能站着等。",
    "叫号系统乱，有人插队也没人管。",
]


def seed_organisation() -> dict[str, int]:
    """Create regions, halls, departments, windows and service items if missing."""
    created = {"regions": 0, "halls": 0, "windows": 0}
    for code, name, name_en, level in REGIONS:
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None:
            region = Region(code=code, name=name, name_en=name_en, level=level)
            db.session.add(region)
            created["regions"] += 1
        hall_code = f"H{code}"
        hall = hall_by_code(hall_code)
        if hall is not None:
            continue
        hall_name = "玉林市政务服务中心" if level == "city" else f"{name}政务服务中心"
        hall_en = f"{name_en} Government Service Centre"
        hours = dict(OPENING_HOURS)
        if level == "city":
            hours["sat"] = [["09:00", "12:00"]]
        hall = Hall(
            code=hall_code,
            name=hall_name,
            name_en=hall_en,
            region=region,
            opening_hours=hours,
        )
        db.session.add(hall)
        created["halls"] += 1
        for number, (key, dname, dname_en, items) in enumerate(DEPARTMENTS, start=1):
            prefix = "玉林市" if level == "city" else name
            department = Department(
                code=f"D{code}-{key}",
                name=prefix + dname,
                name_en=dname_en,
                region=region,
            )
            db.session.add(department)
            service_items = [
                ServiceItem(
                    code=f"S{code}-{item_key}",
                    name=item_name,
                    name_en=item_en,
                    category=key,
                    department=department,
                )
                for item_key, item_name, item_en in items
            ]
            db.session.add_all(service_items)
            window = Window(
                code=f"W{code}-{number:02d}",
                name=f"{number}号窗口 · {dname.split('（')[0]}",
                name_en=f"Window {number} · {dname_en.split(' (')[0]}",
                hall=hall,
                department=department,
                service_items=service_items,
            )
            db.session.add(window)
            created["windows"] += 1
    db.session.commit()
    return created


def seed_questionnaire() -> Questionnaire:
    questionnaire = db.session.scalar(
        select(Questionnaire).where(Questionnaire.code == "HCP")
    )
    if questionnaire is None:
        questionnaire = Questionnaire(
            code="HCP", title="政务服务“好差评”满意度调查", is_default=True
        )
        db.session.add(questionnaire)
        db.session.commit()
    if current_version(questionnaire.id) is None:
        publish_version(questionnaire, DEFAULT_DEFINITION)
    return questionnaire


def _opening_moment(rng: np.random.Generator, day: datetime) -> datetime | None:
    if day.weekday() >= 5:
        return None
    session = WEEKDAY_HOURS[int(rng.integers(0, 2))]
    start_h, start_m = map(int, session[0].split(":"))
    end_h, end_m = map(int, session[1].split(":"))
    minutes = int(rng.integers(start_h * 60 + start_m, end_h * 60 + end_m))
    local = day.replace(
        hour=minutes // 60, minute=minutes % 60, second=int(rng.integers(60))
    )
    return local - timedelta(hours=8)  # Asia/Shanghai to UTC


def seed_responses(count: int, seed: int = 2009, days: int = 90) -> int:
    """Add plausible responses over the last `days` days; deterministic, and
    running it again adds only those not yet stored."""
    questionnaire = seed_questionnaire()
    version = current_version(questionnaire.id)
    existing = set(
        db.session.scalars(
            select(Response.public_id).where(Response.public_id.like(f"demo-{seed}-%"))
        )
    )
    windows = db.session.scalars(select(Window).order_by(Window.code)).all()
    if not windows:
        return 0
    rng = np.random.default_rng(seed)
    hall_effect = {w.hall_id: rng.normal(0, 0.35) for w in windows}
    window_effect = {w.id: rng.normal(0, 0.25) for w in windows}
    now = utcnow()
    # Today's date in Yulin (UTC+8); its opening hours may still lie ahead.
    today = (now + timedelta(hours=8)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    rows = []
    for i in range(count):
        public_id = f"demo-{seed}-{i:07d}"
        window = windows[int(rng.integers(len(windows)))]
        submitted = None
        while submitted is None or submitted > now:  # never in the future
            day = today - timedelta(days=int(rng.integers(0, days)))
            submitted = _opening_moment(rng, day)
        person = rng.normal(
            0.9 + hall_effect[window.hall_id] + window_effect[window.id], 0.8
        )
        drivers = {
            key: int(np.clip(np.rint(4 + person + rng.normal(0, 0.6)), 1, 5))
            for key, _, _ in DRIVERS
        }
        overall = int(
            np.clip(np.rint(np.mean(list(drivers.values())) + rng.normal(0, 0.4)), 1, 5)
        )
        answers: dict = {"overall": overall, "drivers": drivers}
        comment = ""
        if overall <= 2:
            answers["problems"] = list(
                rng.choice(
                    [p[0] for p in PROBLEMS[:-1]],
                    size=int(rng.integers(1, 3)),
                    replace=False,
                )
            )
            if rng.random() < 0.7:
                comment = COMPLAINTS[int(rng.integers(len(COMPLAINTS)))]
                answers["complaint"] = comment
        if rng.random() < 0.6:
            answers["recommend"] = int(
                np.clip(np.rint(2 * overall + rng.normal(0, 1)), 0, 10)
            )
        if rng.random() < 0.5:
            answers["visits"] = str(rng.choice(["1", "1", "1", "2", "3+"]))
        if public_id in existing:
            continue
        duration = float(np.exp(rng.normal(np.log(75), 0.45)))
        items = window.service_items
        rows.append(
            {
                "public_id": public_id,
                "version_id": version.id,
                "hall_id": window.hall_id,
                "window_id": window.id,
                "service_item_id": items[int(rng.integers(len(items)))].id
                if items
                else None,
                "started_at": submitted - timedelta(seconds=duration),
                "submitted_at": submitted,
                "duration_s": round(duration, 1),
                "language": "zh" if rng.random() < 0.97 else "en",
                "mode": "qr",
                "device_hash": f"demo-device-{rng.integers(10**9)}",
                "ua_family": str(
                    rng.choice(["wechat", "wechat", "alipay", "chrome", "safari"])
                ),
                "overall": overall,
                "answers": answers,
                "comment": comment,
                "verdict": "ok",
                "quality_score": 1.0,
                "reasons": [],
                "contact_consent": False,
                "created_at": submitted,
            }
        )
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Response), rows[start : start + 2000])
    db.session.commit()
    return len(rows)


def seed_demo(responses: int = 0) -> dict[str, int]:
    created = seed_organisation()
    seed_questionnaire()
    created["responses"] = seed_responses(responses) if responses else 0
    return created


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(Hall.id)))
