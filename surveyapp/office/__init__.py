"""The performance office's pages: sign-in, halls and QR codes, responses, summaries."""

from flask import Blueprint

from surveyapp.auth import office_required, protect_blueprint

bp = Blueprint("office", __name__)
# Every user changes their own password here (account_password checks its
# own roles), and a password link works signed out.
protect_blueprint(
    bp,
    office_required,
    exempt=("login", "logout", "account_password", "password_link"),
)

from surveyapp.office import (  # noqa: E402,F401
    account,
    admin,
    complaints,
    indices,
    org_import,
    organisation,
    projects,
    quality,
    questionnaire_versions,
    questionnaires,
    routes,
)
