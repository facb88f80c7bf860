"""Seeding a city's years for benchmarks/scale.py: 50 halls, responses with
their complaints and 差评 cases, into PostgreSQL by COPY (psycopg 3's
``cursor.copy``) or into SQLite by executemany in large transactions.

The schema comes from the real migrations (`flask db upgrade`) beforehand;
the secondary indexes are dropped while the rows go in and built again
after, from the models' own definitions (which a test keeps equal to the
migrations).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import (
    Complaint,
    ComplaintCase,
    Department,
    Hall,
    Region,
    Response,
    ServiceItem,
    Window,
)
from surveyapp.services.admin.demo import seed_organisation, seed_questionnaire
from surveyapp.services.questionnaires.default import DRIVER_KEYS
from surveyapp.services.questionnaires.versions import current_version

HALLS = 50
YEARS = 3
CHUNK = 250_000
# Shares of the ratings 1..5: about one response in sixteen is a 差评.
RATING_SHARES = [0.03, 0.03, 0.10, 0.34, 0.50]
COMPLAINT_SHARE = 0.7  # of the 差评, those with a comment
CATEGORIES = ["waiting_time", "staff_attitude", "materials_process", "system_failure"]
COMMENTS = ["等了两个小时", "工作人员态度差", "材料被退回三次", "系统一直登不上"]
STATES = ["new", "assigned", "being_fixed", "replied", "closed", "appealed"]

RESPONSE_COLUMNS = [
    "id",
    "public_id",
    "version_id",
    "hall_id",
    "window_id",
    "service_item_id",
    "started_at",
    "submitted_at",
    "duration_s",
    "language",
    "mode",
    "ua_family",
    "contact_consent",
    "overall",
    "answers",
    "comment",
    "verdict",
    "quality_score",
    "reasons",
    "created_at",
    "over_quota",
    "quota_counted",
    "reviewed",
    "honeypot",
    "has_form_cookie",
]
COMPLAINT_COLUMNS = [
    "id",
    "response_id",
    "hall_id",
    "submitted_at",
    "category",
    "confidence",
    "routing",
    "department_id",
    "model_version",
    "created_at",
]
CASE_COLUMNS = [
    "id",
    "complaint_id",
    "hall_id",
    "department_id",
    "state",
    "opened_at",
    "due_at",
    "assignee",
    "rectification",
    "reply",
    "reply_channel",
    "replied_at",
]
TABLES = (Response, Complaint, ComplaintCase)


def seed_city() -> list[tuple[int, int, int, int | None]]:
    """The demo's 8 halls and 42 more (each with the demo's departments'
    windows): (window id, hall id, service item id, department id) per window."""
    seed_organisation()
    seed_questionnaire()
    region = db.session.scalar(select(Region).order_by(Region.id))
    departments = db.session.scalars(
        select(Department).where(Department.region_id == region.id)
    ).all()
    have = db.session.scalar(select(db.func.count(Hall.id)))
    for number in range(have + 1, HALLS + 1):
        hall = Hall(
            code=f"HB{number:03d}",
            name=f"第{number}政务服务站",
            name_en=f"Service point {number}",
            region=region,
            opening_hours={},
        )
        db.session.add(hall)
        for k, department in enumerate(departments, start=1):
            db.session.add(
                Window(
                    code=f"WB{number:03d}-{k:02d}",
                    name=f"{k}号窗口",
                    name_en=f"Window {k}",
                    hall=hall,
                    department=department,
                )
            )
    db.session.commit()
    windows = []
    for window in db.session.scalars(select(Window).order_by(Window.id)):
        items = db.session.scalars(
            select(ServiceItem.id).where(
                ServiceItem.department_id == window.department_id
            )
        ).all()
        windows.append(
            (
                window.id,
                window.hall_id,
                items[0] if items else None,
                window.department_id,
            )
        )
    return windows


def _timestamps(rng, count: int, end: datetime) -> np.ndarray:
    """Sorted submission instants (UTC seconds) over YEARS years before `end`,
    in opening hours (09:00-17:00 in Yulin)."""
    days = rng.integers(0, 365 * YEARS, count)
    seconds = rng.integers(3600, 9 * 3600, count)
    start = np.datetime64(end.date() - timedelta(days=365 * YEARS), "s")
    return np.sort(start + (days * 86400 + seconds).astype("timedelta64[s]"))


def _text_times(instants: np.ndarray, sqlite: bool) -> list[str]:
    text = np.datetime_as_string(instants, unit="s")
    if sqlite:  # SQLAlchemy's SQLite DateTime format, which comparisons rely on
        return [t.replace("T", " ") + ".000000" for t in text]
    return list(text)


def generate(count: int, windows, version_id: int, sqlite: bool, seed: int = 22):
    """Chunks of (responses, complaints, cases) rows as tuples, in id order."""
    rng = np.random.default_rng(seed)
    end = datetime(2026, 12, 1)
    instants = _timestamps(rng, count, end)
    complaint_id = 0
    for first in range(0, count, CHUNK):
        part = instants[first : first + CHUNK]
        n = len(part)
        ids = np.arange(first + 1, first + n + 1)
        picks = rng.integers(0, len(windows), n)
        overall = rng.choice(np.arange(1, 6), n, p=RATING_SHARES)
        jitter = rng.integers(-1, 2, (n, len(DRIVER_KEYS)))
        drivers = np.clip(overall[:, None] + jitter, 1, 5)
        durations = np.round(np.exp(rng.normal(np.log(75), 0.45, n)), 1)
        submitted = _text_times(part, sqlite)
        started = _text_times(part - durations.astype("timedelta64[s]"), sqlite)
        complains = (overall <= 2) & (rng.random(n) < COMPLAINT_SHARE)
        responses, complaints, cases = [], [], []
        for i in range(n):
            window_id, hall_id, item_id, department_id = windows[picks[i]]
            rating = int(overall[i])
            answers = {
                "overall": rating,
                "drivers": dict(zip(DRIVER_KEYS, map(int, drivers[i]), strict=True)),
            }
            comment = ""
            if complains[i]:
                comment = COMMENTS[i % len(COMMENTS)]
                answers["complaint"] = comment
            row_id = int(ids[i])
            responses.append(
                (
                    row_id,
                    f"bench-{row_id:09d}",
                    version_id,
                    hall_id,
                    window_id,
                    item_id,
                    started[i],
                    submitted[i],
                    float(durations[i]),
                    "zh",
                    "qr",
                    "wechat",
                    False,
                    rating,
                    json.dumps(answers, ensure_ascii=False),
                    comment,
                    "ok",
                    1.0,
                    "[]",
                    submitted[i],
                    False,
                    False,
                    False,
                    False,
                    True,
                )
            )
            if not complains[i]:
                continue
            complaint_id += 1
            complaints.append(
                (
                    complaint_id,
                    row_id,
                    hall_id,
                    submitted[i],
                    CATEGORIES[i % len(CATEGORIES)],
                    0.9,
                    "routed",
                    department_id,
                    "bench",
                    submitted[i],
                )
            )
            opened = part[i]
            due = opened + np.timedelta64(7 * 86400, "s")
            recent = (np.datetime64(end, "s") - opened) < np.timedelta64(
                14 * 86400, "s"
            )
            state = STATES[i % 3] if recent else STATES[3 + i % 2]
            replied = (
                None
                if state in ("new", "assigned", "being_fixed")
                else (
                    _text_times(
                        np.array([opened + np.timedelta64(3 * 86400, "s")]), sqlite
                    )[0]
                )
            )
            cases.append(
                (
                    complaint_id,
                    complaint_id,
                    hall_id,
                    department_id,
                    state,
                    submitted[i],
                    _text_times(np.array([due]), sqlite)[0],
                    "",
                    "",
                    "已处理" if replied else "",
                    "none" if replied else "",
                    replied,
                )
            )
        yield responses, complaints, cases


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _copy(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    """COPY rows in, through psycopg 3's documented ``cursor.copy`` API."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(statement) as copy:
        buffer = []
        for row in rows:
            buffer.append("\t".join(map(_copy_text, row)))
            if len(buffer) == 20_000:
                copy.write("\n".join(buffer) + "\n")
                buffer = []
        if buffer:
            copy.write("\n".join(buffer) + "\n")


def _drop_indexes(connection) -> list:
    indexes = [index for model in TABLES for index in model.__table__.indexes]
    for index in indexes:
        index.drop(connection)
    return indexes


def load(count: int, windows) -> dict[str, float]:
    """Put `count` responses with their complaints and cases in; the seconds
    of each step."""
    version_id = current_version(seed_questionnaire().id).id
    engine = db.engine
    sqlite = engine.dialect.name == "sqlite"
    timings: dict[str, float] = {}
    began = time.perf_counter()
    with engine.begin() as connection:
        indexes = _drop_indexes(connection)
    complaints_total = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not sqlite:
            cursor.execute("SET synchronous_commit = off")
        for responses, complaints, cases in generate(
            count, windows, version_id, sqlite
        ):
            complaints_total += len(complaints)
            for table, columns, rows in (
                ("responses", RESPONSE_COLUMNS, responses),
                ("complaints", COMPLAINT_COLUMNS, complaints),
                ("complaint_cases", CASE_COLUMNS, cases),
            ):
                if not rows:
                    continue
                if sqlite:
                    marks = ", ".join("?" * len(columns))
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                        rows,
                    )
                else:
                    _copy(cursor, table, columns, rows)
            raw.commit()
        if not sqlite:
            for table in ("responses", "complaints", "complaint_cases"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            raw.commit()
    finally:
        raw.close()
    timings["rows_s"] = time.perf_counter() - began
    began = time.perf_counter()
    with engine.begin() as connection:
        for index in indexes:
            index.create(connection)
    timings["indexes_s"] = time.perf_counter() - began
    began = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    timings["analyze_s"] = time.perf_counter() - began
    timings["complaints"] = complaints_total
    return timings
