"""All models, imported so Alembic and the app see one metadata."""

from surveyapp.models.audit import AuditLog
from surveyapp.models.org import Department, Hall, Region, ServiceItem, Window
from surveyapp.models.responses import Response
from surveyapp.models.surveys import Questionnaire, QuestionnaireVersion
from surveyapp.models.users import ApiToken, Firm, User

__all__ = [
    "ApiToken",
    "AuditLog",
    "Department",
    "Firm",
    "Hall",
    "Questionnaire",
    "QuestionnaireVersion",
    "Region",
    "Response",
    "ServiceItem",
    "User",
    "Window",
]
