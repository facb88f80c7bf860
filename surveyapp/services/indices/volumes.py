"""Import of monthly transaction volumes per hall and service item (CSV or XLSX)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Hall, ServiceItem, TransactionVolume

COLUMNS = ("hall_code", "service_item_code", "month", "count")
TEMPLATE_ROWS = [
    ("H450900", "S450900-re-transfer", "2026-07", 1520),
    ("H450900", "S450900-hf-withdraw", "2026-07", 980),
    ("H450981", "", "2026-07", 2400),
]
# A blank hall_code gives a service item's total over all halls (a margin): when
# only margins are known, the weights are raked to hall and item margins.


@dataclass(frozen=True)
class Problem:
    row: int  # 1 = the header line
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class VolumeImportError(ValueError):
    """The file was refused; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:20]))


def _read_rows(content: bytes, filename: str) -> list[list[str]]:
    if filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:
            raise VolumeImportError(
                [Problem(1, "-", "not a readable XLSX workbook")]
            ) from None
        sheet = book.worksheets[0]
        return [
            ["" if v is None else str(v).strip() for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise VolumeImportError(
            [Problem(1, "-", "the CSV file must be UTF-8")]
        ) from None
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def parse_volumes(
    content: bytes, filename: str
) -> list[tuple[int, int | None, str, int]]:
    """Validate every row; return (hall_id, item_id, month, count) or raise with
    the row and column of each problem."""
    rows = _read_rows(content, filename)
    if not rows:
        raise VolumeImportError([Problem(1, "-", "the file is empty")])
    header = [h.lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise VolumeImportError(
            [Problem(1, c, "column missing from the header") for c in missing]
        )
    pos = {c: header.index(c) for c in COLUMNS}
    halls = dict(db.session.execute(select(Hall.code, Hall.id)).all())
    items = dict(db.session.execute(select(ServiceItem.code, ServiceItem.id)).all())
    problems: list[Problem] = []
    parsed: list[tuple[int, int | None, str, int]] = []
    seen: dict[tuple, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(raw):
            continue
        cells = {c: (raw[i] if i < len(raw) else "") for c, i in pos.items()}
        ok = True
        hall_id = halls.get(cells["hall_code"])
        if not cells["hall_code"] and not cells["service_item_code"]:
            problems.append(
                Problem(number, "hall_code", "give a hall, a service item or both")
            )
            ok = False
        elif hall_id is None and cells["hall_code"]:
            problems.append(
                Problem(number, "hall_code", f"unknown hall {cells['hall_code']!r}")
            )
            ok = False
        item_id = None
        if cells["service_item_code"]:
            item_id = items.get(cells["service_item_code"])
            if item_id is None:
                problems.append(
                    Problem(
                        number,
                        "service_item_code",
                        f"unknown item {cells['service_item_code']!r}",
                    )
                )
                ok = False
        month = cells["month"][:7] if re.match(r"^\d{4}-\d{2}", cells["month"]) else ""
        if not month or not 1 <= int(month[5:7]) <= 12:
            problems.append(
                Problem(number, "month", f"{cells['month']!r} is not a month YYYY-MM")
            )
            ok = False
        try:
            count = float(cells["count"])
            if count < 0 or count != int(count):
                raise ValueError
            count = int(count)
        except ValueError:
            problems.append(
                Problem(
                    number, "count", f"{cells['count']!r} is not a whole number >= 0"
                )
            )
            ok = False
        if not ok:
            continue
        key = (hall_id, item_id, month)
        if key in seen:
            problems.append(
                Problem(number, "service_item_code", f"duplicate of row {seen[key]}")
            )
            continue
        seen[key] = number
        parsed.append((hall_id, item_id, month, count))
    if problems:
        raise VolumeImportError(problems)
    if not parsed:
        raise VolumeImportError([Problem(2, "-", "no data rows")])
    return parsed


def import_volumes(content: bytes, filename: str) -> dict[str, int]:
    """All rows or none: existing (hall, item, month) rows are replaced."""
    parsed = parse_volumes(content, filename)
    existing = {
        (v.hall_id, v.service_item_id, v.month): v
        for v in db.session.scalars(
            select(TransactionVolume).where(
                TransactionVolume.month.in_({m for _h, _i, m, _c in parsed})
            )
        )
    }
    created = updated = 0
    for hall_id, item_id, month, count in parsed:
        row = existing.get((hall_id, item_id, month))
        if row is None:
            db.session.add(
                TransactionVolume(
                    hall_id=hall_id,
                    service_item_id=item_id,
                    month=month,
                    count=count,
                    source=filename[:200],
                )
            )
            created += 1
        else:
            row.count, row.source = count, filename[:200]
            updated += 1
    db.session.commit()
    return {"created": created, "updated": updated}


def template(fmt: str = "csv") -> bytes:
    """A file in the import format with example rows (blank item = hall total)."""
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = "volumes"
        sheet.append(list(COLUMNS))
        for row in TEMPLATE_ROWS:
            sheet.append(list(row))
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue().encode()
