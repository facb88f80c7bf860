"""CLI: `flask cases remind` mails the day's digest of cases due soon (issue 21)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

cases_cli = AppGroup("cases", help="差评 follow-up cases.")


@cases_cli.command("remind")
def remind() -> None:
    """Mail each department's contact address its cases due soon or overdue.
    Without MAIL_SERVER no mail is sent (a note in the log); exit status 0."""
    from flask import current_app

    from surveyapp.services.complaints.reminders import mail_configured, send_digests

    if not mail_configured(current_app.config):
        send_digests()
        click.echo("No mail server configured (MAIL_SERVER): no digest was sent.")
        return
    sent = send_digests()
    click.echo(f"{sent} digest(s) sent.")


COMMANDS = (cases_cli,)
