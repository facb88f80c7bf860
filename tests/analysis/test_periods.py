"""Reporting periods: the one parser of the texts that name them."""

from datetime import date, datetime

import pytest

from surveyapp.analysis.periods import PeriodError, containing, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "year"),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "quarter"),
        ("2026-q1", date(2026, 1, 1), date(2026, 3, 31), "quarter"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
        ("2026-07-01..2026-09-30", date(2026, 7, 1), date(2026, 9, 30), "range"),
    ],
)
def test_periods_name_local_days(text, start, end, kind):
    period = parse_period(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Q4 2026",
        "2026-Q5",
        "2026-13",
        "9999",
        "0001-01-01..9999-12-31",
        "2026-02-30..2026-03-01",
        "2026-09-30..2026-07-01",
        "2026-00",
    ],
)
def test_what_names_no_period_is_refused_with_a_reason(text):
    with pytest.raises(PeriodError) as refused:
        parse_period(text)
    assert str(refused.value)


def test_local_days_become_utc_bounds():
    start, end = parse_period("2026-11").utc_bounds("Asia/Shanghai")
    assert start == datetime(2026, 10, 31, 16, 0)
    assert end == datetime(2026, 11, 30, 16, 0)


def test_the_period_containing_a_day():
    day = date(2026, 12, 3)
    assert containing(day, "quarter").label == "2026-Q4"
    assert containing(day, "month").label == "2026-12"
    assert containing(day, "year").months()[0] == "2026-01"
    assert not containing(day, "quarter").has_ended(day)
