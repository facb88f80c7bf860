"""Survey firms' pages: projects, sample plans, quotas and interviewer fieldwork."""

from flask import Blueprint

from surveyapp.auth import firm_required, protect_blueprint

bp = Blueprint("firm", __name__)
protect_blueprint(bp, firm_required)

from surveyapp.firm import fieldwork, routes  # noqa: E402,F401
