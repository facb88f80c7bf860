"""`flask cases remind`: the day's digest per department, to a local SMTP server."""

from __future__ import annotations

import logging
import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from surveyapp.models import Department
from surveyapp.models.complaints import ComplaintCase
from tests.complaint_helpers import worker_round
from tests.conftest import full_answers


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(
            (
                envelope.rcpt_tos,
                message_from_bytes(envelope.content, policy=default_policy),
            )
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture()
def overdue_case(db, submit):
    assert (
        submit(full_answers(1, q_complaint="办事材料要求反复变化")).status_code == 303
    )
    worker_round()
    case = db.session.scalars(select(ComplaintCase)).one()
    department = db.session.scalars(select(Department).order_by(Department.id)).first()
    department.contact_email = "office@dept.example.test"
    case.department_id = department.id
    case.due_at = case.opened_at  # past its deadline
    db.session.commit()
    return case


def test_digest_arrives_at_the_smtp_server(app, runner, overdue_case, smtp_server):
    controller, inbox = smtp_server
    app.config.update(MAIL_SERVER=controller.hostname, MAIL_PORT=controller.port)
    try:
        result = runner.invoke(args=["cases", "remind"])
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
    assert result.exit_code == 0, result.output
    assert "1 digest(s) sent" in result.output
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["office@dept.example.test"]
    body = message.get_content()
    assert f"#{overdue_case.id}" in body and "OVERDUE" in body
    assert f"/office/cases/{overdue_case.id}" in body
    assert "办事材料要求反复变化" not in body  # the citizen's words stay in the office


def test_no_mail_server_means_no_mail_and_a_note(app, runner, overdue_case, caplog):
    from surveyapp.services.complaints import reminders

    app.config["MAIL_SERVER"] = ""
    # The migration test's Alembic fileConfig disables the loggers that exist
    # when it runs; `flask cases remind` runs in a process of its own.
    logging.getLogger(reminders.__name__).disabled = False
    with caplog.at_level(logging.WARNING):
        result = runner.invoke(args=["cases", "remind"])
    assert result.exit_code == 0
    assert "no digest was sent" in result.output
    assert any("MAIL_SERVER is not set" in r.getMessage() for r in caplog.records)


def test_a_case_far_from_its_deadline_is_not_in_the_digest(app, db, overdue_case):
    from surveyapp.services.complaints.reminders import digests

    assert [len(d.cases) for d in digests()] == [1]
    overdue_case.due_at = overdue_case.opened_at.replace(
        year=overdue_case.opened_at.year + 1
    )
    db.session.commit()
    assert digests() == []
