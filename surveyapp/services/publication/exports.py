"""The public record as data: /open/halls.json and /open/halls.csv, one row per hall.

A rate is null below its minimum number of answers (PUBLIC_MIN_RESPONSES for
好评率, PUBLIC_MIN_CASES for the case rates), never a bare percentage of a few
answers; its 95% interval and denominator are always given. docs/public.md
defines every field.
"""

from __future__ import annotations

from typing import IO

from surveyapp.analysis.periods import Period
from surveyapp.services.publication.records import Record, hall_records, minimums
from surveyapp.tables.writer import Sheet, check_format, table_file

RATES = ("good_rate", "rectification_rate", "on_time_rate", "fix_satisfaction_rate")
COLUMNS = [
    "hall_code",
    "hall_name",
    "period",
    "responses",
    "rated",
    "good_rate",
    "good_rate_ci_low",
    "good_rate_ci_high",
    "bad_reviews",
    "cases",
    "rectification_rate",
    "rectification_rate_ci_low",
    "rectification_rate_ci_high",
    "cases_due",
    "on_time_rate",
    "on_time_rate_ci_low",
    "on_time_rate_ci_high",
    "fixes_rated",
    "fix_satisfaction_rate",
    "fix_satisfaction_rate_ci_low",
    "fix_satisfaction_rate_ci_high",
]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def record_row(record: Record, min_responses: int, min_cases: int) -> dict:
    shares = record.shares(min_responses, min_cases)
    row = {
        "hall_code": record.code,
        "hall_name": record.name,
        "period": record.period,
        "responses": record.responses,
        "rated": record.rated,
        "bad_reviews": record.bad_reviews,
        "cases": record.cases.cases,
        "cases_due": record.cases.due,
        "fixes_rated": record.cases.fix_rated,
    }
    for name in RATES:
        value = shares[name]
        row[name] = _round(value.rate) if value.enough else None
        row[f"{name}_ci_low"] = _round(value.low)
        row[f"{name}_ci_high"] = _round(value.high)
    return {column: row[column] for column in COLUMNS}


def hall_rows(period: Period) -> list[dict]:
    low_responses, low_cases = minimums()
    return [
        record_row(record, low_responses, low_cases) for record in hall_records(period)
    ]


def halls_table(period: Period, fmt: str = "csv") -> IO[bytes]:
    """The same rows through the one writer (formula-safe)."""
    check_format(fmt)
    rows = hall_rows(period)
    return table_file(
        fmt,
        [Sheet("halls", COLUMNS, ([row[c] for c in COLUMNS] for row in rows))],
    )
