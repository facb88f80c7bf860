"""Importing the sampling frame and transactions (CSV/XLSX), and the callback list."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import delete, select

from surveyapp.analysis.sampling import systematic_sample
from surveyapp.extensions import db
from surveyapp.models import Hall, ServiceItem, User
from surveyapp.models.sampling import FrameRow, ServiceTransaction, SurveyProject
from surveyapp.security import decrypt_text, encrypt_text, salted_hash
from surveyapp.services.admin.users import audit
from surveyapp.services.responses.exports import local_iso, table_bytes
from surveyapp.services.responses.submit import normalise_phone

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
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Problem:
    """One problem in an uploaded file: spreadsheet row (header = 1) and column."""

    row: int
    column: str
    message: str


class FileRefused(ValueError):
    """The file was refused as a whole; `problems` lists each one."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """Rows of a CSV (UTF-8, or GB18030 from Chinese Excel) or XLSX file."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        try:
            sheet = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True
            ).active
            return [
                ["" if v is None else _cell_text(v) for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
        except Exception:  # openpyxl raises many kinds for a broken file
            raise FileRefused(
                [Problem(1, "", _l("not a readable XLSX file"))]
            ) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused([Problem(1, "", _l("not a UTF-8 or GB18030 CSV file"))])
    return [row for row in csv.reader(io.StringIO(text))]


def _cell_text(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _records(rows: list[list[str]], columns: list[str], required: list[str]):
    if not rows or not any(rows[0]):
        raise FileRefused([Problem(1, "", _l("the file is empty"))])
    header = [str(h).strip().lower() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise FileRefused([Problem(1, c, _l("missing column")) for c in missing])
    for number, row in enumerate(rows[1:], start=2):
        if not any(str(v).strip() for v in row):
            continue
        padded = list(row) + [""] * (len(header) - len(row))
        yield (
            number,
            {c: str(padded[header.index(c)]).strip() for c in columns if c in header},
        )


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
    for number, record in _records(
        read_table(data, filename), FRAME_COLUMNS, FRAME_COLUMNS
    ):
        hall, item = _place(number, record, halls, items, problems)
        if not _PERIOD.match(record["period"]):
            problems.append(Problem(number, "period", _l("expected YYYY-MM")))
        volume = record["volume"]
        if not volume.isdigit():
            problems.append(
                Problem(number, "volume", _l("expected a whole number >= 0"))
            )
        key = (record["hall_code"], record["service_item_code"], record["period"])
        if key in seen:
            problems.append(
                Problem(number, "period", _l("duplicate hall, item and period"))
            )
        seen.add(key)
        if hall and item and volume.isdigit():
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


def _when(text: str) -> datetime | None:
    for parse in (
        datetime.fromisoformat,
        lambda t: datetime.combine(date.fromisoformat(t), datetime.min.time()),
    ):
        try:
            return parse(text.replace("/", "-")).replace(tzinfo=None)
        except ValueError:
            continue
    return None


def import_transactions(project: SurveyProject, data: bytes, filename: str) -> int:
    """Replace the project's transactions; phones are hashed and encrypted."""
    halls, items = _scope(project)
    problems: list[Problem] = []
    parsed = []
    required = TRANSACTION_COLUMNS[:4]
    for number, record in _records(
        read_table(data, filename), TRANSACTION_COLUMNS, required
    ):
        hall, item = _place(number, record, halls, items, problems)
        when = _when(record["occurred_at"])
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
        return table_bytes(
            FRAME_COLUMNS,
            [["H450900", "S450900-re-transfer", "2026-10", 1200]],
            fmt,
            sheet="frame",
        )
    return table_bytes(
        TRANSACTION_COLUMNS,
        [
            [
                "H450900",
                "S450900-re-transfer",
                "2026-10-08 09:30",
                "13800138000",
                "BJ-0001",
            ]
        ],
        fmt,
        sheet="transactions",
    )


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
) -> bytes:
    """The callback list for the call centre, phones decrypted; audited."""
    seed, picked = callback_list(project, n, seed)
    rows = [
        [
            pos,
            t.reference,
            t.hall.code,
            t.service_item.code,
            local_iso(t.occurred_at),
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
    return table_bytes(CALLBACK_COLUMNS, rows, fmt, sheet="callbacks")
