"""Forms of the office pages."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from surveyapp.numbers import parse_day, parse_id
from surveyapp.services.responses.summaries import ResponseFilter


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=200)]
    )


def _int(value: str | None) -> int | None:
    return parse_id(value)


def _date(value: str | None) -> date | None:
    return parse_day(value)


def filters_from_args(args) -> ResponseFilter:
    """Filters from the query string; anything unreadable is ignored, not an error."""
    rating = _int(args.get("rating"))
    verdict = args.get("verdict") or None
    return ResponseFilter(
        hall_id=_int(args.get("hall")),
        date_from=_date(args.get("from")),
        date_to=_date(args.get("to")),
        rating=rating if rating in range(1, 6) else None,
        verdict=verdict if verdict in ("ok", "flagged", "rejected") else None,
    )
