"""Working days for case deadlines: China's official calendar (public holidays
and the weekend days worked in lieu, 调休) from chinese-calendar, with the
city's own overrides."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import chinese_calendar

log = logging.getLogger(__name__)


def official_workday(day: date) -> bool:
    """The State Council's calendar where chinese-calendar knows the year;
    outside those years (it raises NotImplementedError) Monday to Friday."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


@cache
def _warn_unknown_year(year: int) -> None:
    log.warning(
        "chinese-calendar has no holidays for %s: case deadlines that year skip "
        "weekends and CASE_HOLIDAYS only (upgrade chinese-calendar, or list the "
        "holidays in CASE_HOLIDAYS and the make-up days in CASE_EXTRA_WORKDAYS)",
        year,
    )


def is_working_day(
    day: date, holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
) -> bool:
    """A day worked in lieu (extra_workdays) counts; a listed holiday does
    not; otherwise the official calendar decides."""
    if day in extra_workdays:
        return True
    if day in holidays:
        return False
    return official_workday(day)


def add_working_days(
    start: date,
    days: int,
    holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
) -> date:
    """The day `days` working days after `start` (is_working_day)."""
    off, on = set(holidays), set(extra_workdays)
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, off, on):
            left -= 1
    return day
