"""Import of monthly transaction volumes per hall and service item (CSV or XLSX)."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Hall, ServiceItem, TransactionVolume
from surveyapp.tables.reader import FileRefused, Limits, Problem, read_table
from surveyapp.tables.writer import Sheet, table_bytes

__all__ = ["COLUMNS", "FileRefused", "import_volumes", "parse_volumes", "template"]

COLUMNS = ("hall_code", "service_item_code", "month", "count")
TEMPLATE_ROWS = [
    ("H450900", "S450900-re-transfer", "2026-07", 1520),
    ("H450900", "S450900-hf-withdraw", "2026-07", 980),
    ("H450981", "", "2026-07", 2400),
]
# A blank hall_code gives a service item's total over all halls (a margin): when
# only margins are known, the weights are raked to hall and item margins.
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})")


def _month(text: str) -> str | None:
    match = _MONTH.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    return match.group(0)


def _count(text: str) -> int | None:
    try:
        count = float(text)
    except ValueError:
        return None
    if count < 0 or not count.is_integer():
        return None
    return int(count)


def _check_row(number: int, cells, halls: dict, items: dict, problems: list):
    """(hall_id, item_id, month, count) of a valid row; else its problems."""
    start = len(problems)
    hall_code, item_code = cells["hall_code"], cells["service_item_code"]
    hall_id = halls.get(hall_code)
    if not hall_code and not item_code:
        problems.append(
            Problem(number, "hall_code", _l("give a hall, a service item or both"))
        )
    elif hall_id is None and hall_code:
        problems.append(
            Problem(number, "hall_code", _l("unknown hall %(code)s", code=hall_code))
        )
    item_id = items.get(item_code) if item_code else None
    if item_code and item_id is None:
        problems.append(
            Problem(
                number,
                "service_item_code",
                _l("unknown service item %(code)s", code=item_code),
            )
        )
    month = _month(cells["month"])
    if month is None:
        problems.append(
            Problem(
                number,
                "month",
                _l("%(value)s is not a month YYYY-MM", value=cells["month"]),
            )
        )
    count = _count(cells["count"])
    if count is None:
        problems.append(
            Problem(
                number,
                "count",
                _l("%(value)s is not a whole number >= 0", value=cells["count"]),
            )
        )
    if len(problems) > start:
        return None
    return hall_id, item_id, month, count


def parse_volumes(
    content: bytes, filename: str
) -> list[tuple[int, int | None, str, int]]:
    """Validate every row; return (hall_id, item_id, month, count) or raise
    FileRefused with the row and column of each problem."""
    table = read_table(
        content,
        filename,
        required=COLUMNS,
        limits=Limits.from_config(current_app.config),
    )
    halls = dict(db.session.execute(select(Hall.code, Hall.id)).all())
    items = dict(db.session.execute(select(ServiceItem.code, ServiceItem.id)).all())
    problems: list[Problem] = []
    parsed: list[tuple[int, int | None, str, int]] = []
    seen: dict[tuple, int] = {}
    for row in table.rows:
        checked = _check_row(row.number, row, halls, items, problems)
        if checked is None:
            continue
        key = checked[:3]
        if key in seen:
            problems.append(
                Problem(
                    row.number,
                    "service_item_code",
                    _l("duplicate of row %(row)d", row=seen[key]),
                )
            )
            continue
        seen[key] = row.number
        parsed.append(checked)
    if problems:
        raise FileRefused(problems)
    if not parsed:
        raise FileRefused([Problem(2, "", _l("no data rows"))])
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
    return table_bytes(fmt, [Sheet("volumes", COLUMNS, TEMPLATE_ROWS)])
