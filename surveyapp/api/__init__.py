"""JSON API under /api/v1 for the city's performance scoring system."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from surveyapp.api import routes  # noqa: E402,F401
