"""Shared column helpers for the models."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import inspect


def utcnow() -> datetime:
    """Timezone-aware now in UTC; stored naive-UTC for SQLite compatibility."""
    return datetime.now(UTC).replace(tzinfo=None)


class UnfitText(ValueError):
    """A text its column cannot hold: longer than the column, or holding a
    control character or a Unicode non-character (which no XLSX can carry).
    Refused before it reaches the database, so SQLite (which would store it)
    and PostgreSQL (which would refuse it with a DataError) behave alike; the
    page answers 400 (errors.py)."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


# C0 controls but tab, newline and carriage return; DEL; the non-characters.
_UNFIT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0-\ufdef\ufffe\uffff"
    + "".join(
        f"{chr(plane * 0x10000 + 0xFFFE)}-{chr(plane * 0x10000 + 0xFFFF)}"
        for plane in range(1, 17)
    )
    + "]"
)


def check_column_lengths(session, flush_context, instances) -> None:
    """Session `before_flush` hook: every new or changed text fits its column
    and holds no character an export could not write.

    The net under each form's own length check (which gives a friendlier
    message); nothing of the flush is written when it fails."""
    for obj in (*session.new, *session.dirty):
        mapper = inspect(obj).mapper
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            length = getattr(column.type, "length", None)
            value = getattr(obj, attr.key, None)
            if not isinstance(value, str):
                continue
            name = f"{mapper.local_table.name}.{column.name}"
            if length and len(value) > length:
                raise UnfitText(name, f"longer than {length} characters")
            if _UNFIT.search(value):
                raise UnfitText(name, "a control character or a non-character")
