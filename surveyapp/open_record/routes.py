"""Thin views of the public record: the halls, a hall, and the data files."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.analysis.periods import Period, PeriodError, containing, parse_period
from surveyapp.downloads import send_table
from surveyapp.figures import RateRow, rate_intervals, trend
from surveyapp.open_record import bp
from surveyapp.services.publication.exports import hall_rows, halls_table
from surveyapp.services.publication.records import (
    current_period,
    department_records,
    hall_by_public_code,
    hall_records,
    minimums,
    monthly_trend,
)

KINDS = {"month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year")}


def _period() -> Period:
    """?period=2026-Q3 (a month, quarter or year), else the current one of
    ?kind (quarter by default). A bad period is a 400 page."""
    text = request.args.get("period", "").strip()
    if text:
        try:
            period = parse_period(text)
        except PeriodError:
            abort(
                400, _("This period is not understood: use 2026, 2026-Q3 or 2026-07.")
            )
        if period.kind not in KINDS:
            abort(
                400, _("This period is not understood: use 2026, 2026-Q3 or 2026-07.")
            )
        return period
    kind = request.args.get("kind", "quarter")
    return current_period(kind if kind in KINDS else "quarter")


def _choices(now_period: Period) -> list[tuple[str, list[Period]]]:
    """The periods offered by the selector: recent months, quarters, years."""
    offered = {}
    for kind, count in (("month", 12), ("quarter", 8), ("year", 3)):
        day, periods = now_period.end, []
        for _step in range(count):
            periods.append(containing(day, kind))
            day = periods[-1].start - timedelta(days=1)
        offered[kind] = periods
    months, quarters, years = offered["month"], offered["quarter"], offered["year"]
    return [
        (KINDS["month"], months),
        (KINDS["quarter"], quarters),
        (KINDS["year"], years),
    ]


def _trend_figure(period: Period, hall_id: int | None = None):
    months = monthly_trend(period, hall_id)
    low, _cases = minimums()
    rates = [m.good / m.rated if m.rated >= low else None for m in months]
    return months, trend(
        [m.period for m in months],
        rates,
        [m.responses for m in months],
        _("Good rate per month (line) and number of answers (bars)"),
    )


def _interval_rows(records, low_responses: int, low_cases: int) -> list[RateRow]:
    rows = []
    for record in records:
        good = record.shares(low_responses, low_cases)["good_rate"]
        rows.append(
            RateRow(
                record.name or _("Hall management"),
                good.rate if good.enough else None,
                good.low,
                good.high,
            )
        )
    return rows


@bp.route("/")
def index():
    period = _period()
    low_responses, low_cases = minimums()
    records = hall_records(period)
    months, trend_svg = _trend_figure(period)
    return render_template(
        "open/index.html",
        period=period,
        choices=_choices(current_period("month")),
        records=records,
        low_responses=low_responses,
        low_cases=low_cases,
        intervals_svg=rate_intervals(
            _interval_rows(records, low_responses, low_cases),
            _("Good rate per hall with its %(level)s interval", level="95%"),
        ),
        months=months,
        trend_svg=trend_svg,
    )


@bp.route("/halls/<code>")
def hall(code: str):
    found = hall_by_public_code(code[:48])
    if found is None:
        abort(404)
    period = _period()
    low_responses, low_cases = minimums()
    records = department_records(found, period)
    months, trend_svg = _trend_figure(period, found.id)
    whole = next((r for r in hall_records(period) if r.code == found.code), None)
    return render_template(
        "open/hall.html",
        hall=found,
        whole=whole,
        period=period,
        choices=_choices(current_period("month")),
        records=records,
        low_responses=low_responses,
        low_cases=low_cases,
        months=months,
        trend_svg=trend_svg,
    )


@bp.route("/halls.json")
def halls_json():
    period = _period()
    low_responses, low_cases = minimums()
    return jsonify(
        {
            "period": period.label,
            "first_day": period.start.isoformat(),
            "last_day": period.end.isoformat(),
            "min_responses": low_responses,
            "min_cases": low_cases,
            "halls": hall_rows(period),
        }
    )


@bp.route("/halls.csv")
def halls_csv():
    period = _period()
    return send_table(halls_table(period, "csv"), "csv", f"halls-{period.label}")
