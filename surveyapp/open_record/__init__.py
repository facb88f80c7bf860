"""The public record (/open/): every hall's figures, no sign-in, nothing personal."""

from flask import Blueprint

bp = Blueprint("open", __name__)

from surveyapp.open_record import routes  # noqa: E402,F401
