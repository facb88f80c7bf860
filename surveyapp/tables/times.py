"""Times in files: written as local time with its offset, read as local time
unless the text carries an offset of its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def local_iso(value: datetime | None, tz: str) -> str:
    """A stored (naive UTC) time as local ISO text with its offset."""
    if value is None:
        return ""
    local = value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
    return local.isoformat(timespec="seconds")


def parse_local_time(text: str, tz: str) -> datetime | None:
    """`2026-11-03 10:42`, `2026/11/03 10:42`, `2026-11-03` or ISO with an
    offset, as naive UTC for storage. A time without an offset is local time
    in `tz` (Asia/Shanghai: 10:42 is 02:42 UTC); one with an offset keeps it.
    None when the text is not a date or time."""
    text = text.strip().replace("/", "-")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.combine(date.fromisoformat(text), time(0))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz))
    try:
        return when.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # e.g. 0001-01-01 00:00 local is before year 1 in UTC
        return None
