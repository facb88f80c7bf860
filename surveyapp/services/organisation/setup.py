"""A new city's set-up, in order: the organisation catalogue, a questionnaire,
the printed QR codes, the users. Each step knows whether it is done."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import AuditLog, Hall, QuestionnaireVersion, User, Window
from surveyapp.models.users import ROLE_ADMIN
from surveyapp.services.admin.demo import seed_questionnaire

STEPS = ("catalogue", "questionnaire", "codes", "users")
# Audit actions that mean QR codes were printed or exported.
PRINT_ACTIONS = ("qr_poster", "qr_export")


@dataclass(frozen=True)
class SetupStep:
    key: str
    done: bool


def _exists(query) -> bool:
    return db.session.scalar(query.limit(1)) is not None


def setup_steps() -> list[SetupStep]:
    done = {
        # A hall in use with a window in use: there is something to scan.
        "catalogue": _exists(
            select(Window.id).join(Hall).where(Window.active, Hall.active)
        ),
        "questionnaire": _exists(
            select(QuestionnaireVersion.id).where(
                QuestionnaireVersion.status == "published"
            )
        ),
        "codes": _exists(select(AuditLog.id).where(AuditLog.action.in_(PRINT_ACTIONS))),
        # Someone besides the admins: an analyst or a survey firm's user.
        "users": _exists(select(User.id).where(User.active, User.role != ROLE_ADMIN)),
    }
    return [SetupStep(key, done[key]) for key in STEPS]


def setup_complete() -> bool:
    return all(step.done for step in setup_steps())


def install_standard_questionnaire() -> bool:
    """Publish the standard 好差评 questionnaire as the default, unless a
    questionnaire is already published; says whether it did."""
    if _exists(
        select(QuestionnaireVersion.id).where(
            QuestionnaireVersion.status == "published"
        )
    ):
        return False
    seed_questionnaire()
    return True
