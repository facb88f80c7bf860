"""Reporting periods: a year, a quarter, a month or a range of local days.

Every figure a person reads (the office's summary, the index, the cases, the
public record, the API) is for a period of local days (Asia/Shanghai by
default); this module is the one parser of the texts that name them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

KINDS = ("year", "quarter", "month", "range")
# The years a period may name: wider than any data, narrow enough that every
# bound is a valid date on every database.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class PeriodError(ValueError):
    """A text that names no period; the message says what is accepted."""


@dataclass(frozen=True)
class Period:
    label: str
    start: date  # first local day
    end: date  # last local day, inclusive
    kind: str = "range"

    def utc_bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start, end) as naive UTC, the way times are stored."""
        zone = ZoneInfo(tz)

        def to_utc(day: date) -> datetime:
            local = datetime(day.year, day.month, day.day, tzinfo=zone)
            return local.astimezone(UTC).replace(tzinfo=None)

        return to_utc(self.start), to_utc(self.end + timedelta(days=1))

    def has_ended(self, today: date) -> bool:
        return self.end < today

    def months(self) -> list[str]:
        """YYYY-MM of every month the period touches, in order."""
        out, day = [], self.start.replace(day=1)
        while day <= self.end:
            out.append(f"{day.year:04d}-{day.month:02d}")
            day = month_end(day.year, day.month) + timedelta(days=1)
        return out


def month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def year_period(year: int) -> Period:
    _check_year(year)
    return Period(f"{year}", date(year, 1, 1), date(year, 12, 31), "year")


def quarter_period(year: int, quarter: int) -> Period:
    _check_year(year)
    if not 1 <= quarter <= 4:
        raise PeriodError(f"quarter {quarter} is not 1-4")
    return Period(
        f"{year}-Q{quarter}",
        date(year, 3 * quarter - 2, 1),
        month_end(year, 3 * quarter),
        "quarter",
    )


def month_period(year: int, month: int) -> Period:
    _check_year(year)
    if not 1 <= month <= 12:
        raise PeriodError(f"month {month} is not 1-12")
    return Period(
        f"{year}-{month:02d}", date(year, month, 1), month_end(year, month), "month"
    )


def containing(day: date, kind: str) -> Period:
    """The year, quarter or month that holds `day`."""
    if kind == "year":
        return year_period(day.year)
    if kind == "quarter":
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    if kind == "month":
        return month_period(day.year, day.month)
    raise PeriodError(f"unknown kind of period {kind!r}")


def parse_period(text: str | None) -> Period:
    """2026, 2026-Q3, 2026-07 or 2026-07-01..2026-09-30 (local days, inclusive)."""
    value = (text or "").strip()
    if m := re.fullmatch(r"([0-9]{4})", value):
        return year_period(int(m[1]))
    if m := re.fullmatch(r"([0-9]{4})-[Qq]([0-9])", value):
        return quarter_period(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{2})", value):
        return month_period(int(m[1]), int(m[2]))
    if m := re.fullmatch(
        r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})", value
    ):
        try:
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as exc:
            raise PeriodError(f"period {value!r}: {exc}") from None
        _check_year(start.year)
        _check_year(end.year)
        if end < start:
            raise PeriodError(f"period {value!r} ends before it starts")
        return Period(value, start, end, "range")
    raise PeriodError(
        f"period {value!r} not understood: use 2026, 2026-Q3, 2026-07 or "
        "2026-07-01..2026-09-30"
    )


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
