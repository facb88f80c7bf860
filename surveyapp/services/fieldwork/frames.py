"""Importing the sampling frame and transactions (CSV/XLSX), and the callback list."""

from __future__ import annotations

import re
import secrets
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from surveyapp.analysis.sampling import systematic_sample
from surveyapp.extensions import db
from surveyapp.models import Hall, ServiceItem, User
from surveyapp.models.sampling import FrameRow, ServiceTransaction, SurveyProject
from surveyapp.numbers import is_ascii_digits
from surveyapp.security import decrypt_text, encrypt_text, salted_hash
from surveyapp.services.admin.users import audit
from surveyapp.services.responses.submit import normalise_phone
from surveyapp.tables.reader import FileRefused, Limits, Problem, read_table
from surveyapp.tables.times import local_iso, parse_local_time
from surveyapp.tables.writer import Sheet, table_bytes, table_file

FRAME_COLUMNS = ["hall_code", "service_item_code", "period", "volume"]
TRANSACTION_COLUMNS = [
    "hall_code",
    "service_item_code",
    "occurred_at",
    "phone",
    "reference",
]
CALLBACK_COLUMNS = [
    "position",
    "reference",
    "hall_code",
    "service_item_code",
    "occurred_at",
    "phone",
]
_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def _tz() -> str:
    return current_app.config.get("TIMEZONE", "Asia/Shanghai")


def _records(data: bytes, filename: str, required: list[str]):
    """(row number, {column: text}) of each data row of an upload."""
    table = read_table(
        data,
        filename,
        required=required,
        limits=Limits.from_config(current_app.config),
    )
    for row in table.rows:
        yield row.number, row.values


def _scope(project: SurveyProject) -> tuple[dict, dict]:
    halls = {h.code: h for h in project.halls}
    items = project.service_items or list(db.session.scalars(select(ServiceItem)))
    return halls, {i.code: i for i in items}


def _place(number, record, halls, items, problems) -> tuple[Hall | None, object]:
    hall = halls.get(record["hall_code"])
    if hall is None:
        problems.append(
            Problem(number, "hall_code", _l("unknown hall or not in the project"))
        )
    item = items.get(record["service_item_code"])
    if item is None:
        problems.append(
            Problem(
                number,
                "service_item_code",
                _l("unknown service item or not in the project"),
            )
        )
    return hall, item


def import_frame(project: SurveyProject, data: bytes, filename: str) -> int:
    """Replace the project's frame with the file's rows, or refuse it whole."""
    halls, items = _scope(project)
    problems: list[Problem] = []
    parsed, seen = [], set()
    for number, record in _records(data, filename, FRAME_COLUMNS):
        hall, item = _place(number, record, halls, items, problems)
        if not _PERIOD.match(record["period"]):
            problems.append(Problem(number, "period", _l("expected YYYY-MM")))
        volume = record["volume"]
        if not is_ascii_digits(volume):
            problems.append(
                Problem(number, "volume", _l("expected a whole number >= 0"))
            )
        key = (record["hall_code"], record["service_item_code"], record["period"])
        if key in seen:
            problems.append(
                Problem(number, "period", _l("duplicate hall, item and period"))
            )
        seen.add(key)
        if hall and item and is_ascii_digits(volume):
            parsed.append(
                FrameRow(
                    project_id=project.id,
                    hall_id=hall.id,
                    service_item_id=item.id,
                    period=record["period"],
                    volume=int(volume),
                )
            )
    if not problems and not parsed:
        problems.append(Problem(2, "", _l("no data rows")))
    if problems:
        raise FileRefused(problems)
    db.session.execute(delete(FrameRow).where(FrameRow.project_id == project.id))
    db.session.add_all(parsed)
    db.session.commit()
    return len(parsed)


def import_transactions(project: SurveyProject, data: bytes, filename: str) -> int:
    """Replace the project's transactions; phones are hashed and encrypted."""
    halls, items = _scope(project)
    problems: list[Problem] = []
    parsed = []
    for number, record in _records(data, filename, TRANSACTION_COLUMNS[:4]):
        hall, item = _place(number, record, halls, items, problems)
        when = parse_local_time(record["occurred_at"], _tz())
        if when is None:
            problems.append(
                Problem(
                    number, "occurred_at", _l("expected YYYY-MM-DD or YYYY-MM-DD HH:MM")
                )
            )
        phone = normalise_phone(record["phone"])
        if phone is None:
            problems.append(
                Problem(number, "phone", _l("expected an 11-digit mobile number"))
            )
        if hall and item and when and phone:
            parsed.append(
                ServiceTransaction(
                    project_id=project.id,
                    hall_id=hall.id,
                    service_item_id=item.id,
                    reference=record.get("reference", "")[:64],
                    occurred_at=when,
                    phone_hash=salted_hash(phone, purpose="phone"),
                    phone_encrypted=encrypt_text(phone),
                )
            )
    if not problems and not parsed:
        problems.append(Problem(2, "", _l("no data rows")))
    if problems:
        raise FileRefused(problems)
    db.session.execute(
        delete(ServiceTransaction).where(ServiceTransaction.project_id == project.id)
    )
    db.session.add_all(parsed)
    db.session.commit()
    return len(parsed)


def template_bytes(kind: str, fmt: str) -> bytes:
    """A downloadable template with the columns and one example row."""
    if kind == "frame":
        sheet = Sheet(
            "frame",
            FRAME_COLUMNS,
            [["H450900", "S450900-re-transfer", "2026-10", 1200]],
        )
    else:
        example = [
            "H450900",
            "S450900-re-transfer",
            "2026-10-08 09:30",
            "13800138000",
            "BJ-0001",
        ]
        sheet = Sheet("transactions", TRANSACTION_COLUMNS, [example])
    return table_bytes(fmt, [sheet])


def callback_list(project: SurveyProject, n: int, seed: int | None = None):
    """Systematic random sample of n transactions in time order: a random start
    and a fixed interval N/n. Returns (seed, transactions)."""
    seed = secrets.randbelow(2**31) if seed is None else seed
    rows = list(
        db.session.scalars(
            select(ServiceTransaction)
            .where(ServiceTransaction.project_id == project.id)
            .order_by(ServiceTransaction.occurred_at, ServiceTransaction.id)
        )
    )
    positions = systematic_sample(len(rows), n, seed=seed)
    return seed, [(int(p) + 1, rows[int(p)]) for p in positions]


def export_callbacks(
    project: SurveyProject,
    n: int,
    fmt: str,
    user: User,
    seed: int | None = None,
    client_address: str | None = None,
) -> IO[bytes]:
    """The callback list for the call centre, phones decrypted; audited. A
    file to send and close (tables.writer.table_file)."""
    seed, picked = callback_list(project, n, seed)
    tz = _tz()
    rows = [
        [
            pos,
            t.reference,
            t.hall.code,
            t.service_item.code,
            local_iso(t.occurred_at, tz),
            decrypt_text(t.phone_encrypted),
        ]
        for pos, t in picked
    ]
    audit(
        user,
        "export_callbacks",
        project.code,
        {"n": n, "seed": seed, "fmt": fmt, "rows": len(rows)},
        client_address,
    )
    return table_file(fmt, [Sheet("callbacks", CALLBACK_COLUMNS, rows)])
