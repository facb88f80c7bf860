"""The office's first page: figures of the current quarter above the summary
table, each linking to the table behind it, and the cases due soon."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from surveyapp.figures import (
    RateRow,
    cases_by_state,
    distribution,
    rate_intervals,
    trend,
)
from surveyapp.models import User
from surveyapp.services.complaints.cases import state_counts
from surveyapp.services.complaints.reminders import reminders_for
from surveyapp.services.publication.records import (
    current_period,
    hall_records,
    minimums,
    monthly_trend,
)


def dashboard(user: User, state_names: dict, level_names: dict) -> dict:
    period = current_period("quarter")
    low_responses, low_cases = minimums()
    records = hall_records(period)
    rows = []
    for record in records:
        good = record.shares(low_responses, low_cases)["good_rate"]
        rows.append(
            RateRow(
                record.name, good.rate if good.enough else None, good.low, good.high
            )
        )
    levels: dict[int, int] = {}
    for record in records:
        for level, count in record.levels.items():
            levels[level] = levels.get(level, 0) + count
    months = monthly_trend(period)
    states = [(state_names[s], n, late) for s, n, late in state_counts()]
    return {
        "period": period,
        "figures": [
            {
                "id": "fig-halls",
                "svg": rate_intervals(
                    rows,
                    _("Good rate per hall with its %(level)s interval", level="95%"),
                ),
                "caption": _("Good rate per hall, %(period)s", period=period.label),
                "href": "#summary",
            },
            {
                "id": "fig-trend",
                "svg": trend(
                    [m.period for m in months],
                    [m.good / m.rated if m.rated else None for m in months],
                    [m.responses for m in months],
                    _("Good rate per month (line) and number of answers (bars)"),
                ),
                "caption": _("Monthly trend, all halls"),
                "href": url_for("office.responses"),
            },
            {
                "id": "fig-levels",
                "svg": distribution(
                    levels,
                    level_names,
                    _("The five levels, %(period)s", period=period.label),
                ),
                "caption": _("The five levels, %(period)s", period=period.label),
                "href": "#summary",
            },
            {
                "id": "fig-cases",
                "svg": cases_by_state(states, _("Cases by state"), _("overdue")),
                "caption": _("Cases by state; overdue in red"),
                "href": url_for("office.cases"),
            },
        ],
        "reminders": reminders_for(user),
    }
