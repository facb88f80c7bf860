# ruff: noqa: F401 - this module re-exports every model
"""All models, imported so Alembic and the app see one metadata."""

from surveyapp.models.audit import AuditLog
from surveyapp.models.complaints import *  # noqa: F403
from surveyapp.models.indices import *  # noqa: F403
from surveyapp.models.org import (
    CatalogueUpload,
    Department,
    Hall,
    Region,
    ServiceItem,
    Window,
)
from surveyapp.models.quality import *  # noqa: F403
from surveyapp.models.responses import Response, ResponseDayCount, RollupMark
from surveyapp.models.sampling import *  # noqa: F403
from surveyapp.models.surveys import (
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireVersion,
)
from surveyapp.models.users import ApiToken, Firm, User
