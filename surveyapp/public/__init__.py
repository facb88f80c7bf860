"""Citizens' pages: the questionnaire behind a QR code and its thank-you page."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from surveyapp.public import presence, routes, track  # noqa: E402,F401
