"""Case reminders: cases near their deadline or past it, shown to their
handler and to admins, and the day's digest mailed to each department's
contact address (`flask cases remind`)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from surveyapp.extensions import db
from surveyapp.models import Department, User
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import ComplaintCase
from surveyapp.models.users import ROLE_ADMIN
from surveyapp.services.complaints.cases import OPEN_STATES, handler_id, is_overdue
from surveyapp.services.responses.counting import case_counts

log = logging.getLogger(__name__)


def due_soon(
    now: datetime | None = None, hours: int | None = None
) -> list[ComplaintCase]:
    """Open cases due within `hours` (CASE_REMIND_HOURS) or already overdue,
    most urgent first."""
    now = now or utcnow()
    hours = (
        hours if hours is not None else current_app.config.get("CASE_REMIND_HOURS", 24)
    )
    return list(
        db.session.scalars(
            select(ComplaintCase)
            .options(
                joinedload(ComplaintCase.hall), joinedload(ComplaintCase.department)
            )
            .where(
                ComplaintCase.state.in_(OPEN_STATES),
                ComplaintCase.due_at < now + timedelta(hours=hours),
                case_counts(),
            )
            .order_by(ComplaintCase.due_at)
            .limit(500)
        ).unique()
    )


def reminders_for(user: User, now: datetime | None = None) -> list[ComplaintCase]:
    """An admin sees every case due soon; anyone else the ones they handle."""
    cases = due_soon(now)
    if user.role == ROLE_ADMIN:
        return cases
    return [case for case in cases if handler_id(case) == user.id]


@dataclass
class Digest:
    department: Department
    cases: list[ComplaintCase] = field(default_factory=list)

    def body(self, now: datetime, base_url: str) -> str:
        lines = [
            f"{self.department.name}: {len(self.cases)} 件差评整改即将到期或已超期"
            f" / {len(self.cases)} case(s) due soon or overdue",
            "",
        ]
        for case in self.cases:
            late = "已超期 OVERDUE" if is_overdue(case, now) else "即将到期 due soon"
            lines.append(
                f"#{case.id}  {case.hall.name}  {late}  "
                f"due {case.due_at:%Y-%m-%d %H:%M} UTC  {base_url}/office/cases/{case.id}"
            )
        return "\n".join(lines) + "\n"


def digests(now: datetime | None = None) -> list[Digest]:
    """Today's digest per department with a contact e-mail. Cases of the
    hall's own management, or of a department without an address, are left
    to the office's pages (and noted in the log)."""
    grouped: dict[int, Digest] = {}
    unaddressed = 0
    for case in due_soon(now):
        department = case.department
        if department is None or not (department.contact_email or "").strip():
            unaddressed += 1
            continue
        grouped.setdefault(department.id, Digest(department)).cases.append(case)
    if unaddressed:
        log.info("case digest: %d case(s) have no department address", unaddressed)
    return [grouped[key] for key in sorted(grouped)]


def mail_configured(config: Mapping) -> bool:
    return bool((config.get("MAIL_SERVER") or "").strip())


def send_digests(now: datetime | None = None) -> int:
    """Mail each department its digest over SMTP (MAIL_* settings); returns how
    many were sent. Without MAIL_SERVER nothing is sent: a note in the log."""
    config = current_app.config
    now = now or utcnow()
    if not mail_configured(config):
        log.warning("case digest: MAIL_SERVER is not set, so no mail was sent")
        return 0
    pending = digests(now)
    if not pending:
        log.info("case digest: no case is due soon")
        return 0
    base_url = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    sent = 0
    with smtp_class(
        config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)), timeout=30
    ) as smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        for digest in pending:
            message = EmailMessage()
            message["From"] = config.get("MAIL_DEFAULT_SENDER", "surveyapp@localhost")
            message["To"] = digest.department.contact_email.strip()
            message["Subject"] = (
                f"差评整改提醒 / Case reminders {now:%Y-%m-%d}: {len(digest.cases)}"
            )
            message.set_content(digest.body(now, base_url))
            smtp.send_message(message)
            sent += 1
    log.info("case digest: %d mail(s) sent", sent)
    return sent
