"""The performance office's pages: sign-in, halls and QR codes, responses, summaries."""

from flask import Blueprint

from surveyapp.auth import office_required, protect_blueprint

bp = Blueprint("office", __name__)
protect_blueprint(bp, office_required, exempt=("login", "logout"))

from surveyapp.office import (  # noqa: E402,F401
    admin,
    complaints,
    indices,
    projects,
    quality,
    questionnaire_versions,
    questionnaires,
    routes,
)
