"""Command-line interface: `flask seed-demo`, `flask qr export`, `flask users ...`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from surveyapp.services.admin.users import AccountError


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(qr_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(responses_cli)
    from surveyapp.commands import (
        cases,
        complaints,
        firms,
        indices,
        ops,
        org,
        quality,
        questionnaires,
    )

    for module in (
        indices,
        quality,
        firms,
        complaints,
        cases,
        ops,
        org,
        questionnaires,
    ):
        for command in module.COMMANDS:
            app.cli.add_command(command)


@click.command("seed-demo")
@click.option(
    "--responses",
    "responses",
    default=0,
    show_default=True,
    help="Also generate N plausible responses over the last 90 days.",
)
@click.option("--if-empty", is_flag=True, help="Only when the database has no halls.")
def seed_demo_command(responses: int, if_empty: bool) -> None:
    """Load Yulin's demo halls and the default questionnaire (idempotent)."""
    from surveyapp.services.admin.demo import database_is_empty, seed_demo

    if if_empty and not database_is_empty():
        click.echo("database already has data; demo not loaded")
        return
    created = seed_demo(responses)
    click.echo(", ".join(f"{k}: {v}" for k, v in created.items()))


qr_cli = AppGroup("qr", help="QR codes for halls and windows.")


@qr_cli.command("export")
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--base-url", default=None, help="Host the codes point to (PUBLIC_BASE_URL)."
)
def qr_export(out: Path, base_url: str | None) -> None:
    """Write a PNG and an SVG per hall and window, and an A4 poster per hall."""
    from surveyapp.services.admin.users import audit
    from surveyapp.services.organisation.qr import default_base_url, export_codes

    try:
        written = export_codes(out, base_url or default_base_url())
    except LookupError as exc:  # no questionnaire published yet
        raise click.ClickException(str(exc)) from None
    audit(None, "qr_export", str(out)[:120], {"files": len(written), "via": "cli"})
    click.echo(f"wrote {len(written)} files to {out}")


users_cli = AppGroup("users", help="Accounts.")


def english(message) -> str:
    """A (lazily translated) message as operators read it: in English."""
    with current_app.test_request_context(headers={"Accept-Language": "en"}):
        return str(message)


@users_cli.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(username: str, password: str) -> None:
    """Create an office administrator."""
    _create(username, password, "admin", None)


@users_cli.command("create")
@click.option("--username", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--role",
    type=click.Choice(["admin", "analyst", "firm_manager", "interviewer"]),
    required=True,
)
@click.option("--firm", "firm_code", default=None, help="Firm code for firm roles.")
def create_user_command(
    username: str, password: str, role: str, firm_code: str | None
) -> None:
    """Create a user with any role."""
    _create(username, password, role, firm_code)


@users_cli.command("password-link")
@click.argument("username")
@click.option(
    "--base-url", default=None, help="The office's address (PUBLIC_BASE_URL)."
)
def password_link_command(username: str, base_url: str | None) -> None:
    """Print a one-time link for USERNAME to set a new password (an admin who
    forgot theirs; the office's Users page does the same)."""
    from sqlalchemy import select

    from surveyapp.extensions import db
    from surveyapp.models import User
    from surveyapp.services.admin.passwords import issue_password_token
    from surveyapp.services.organisation.qr import default_base_url

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    try:
        token = issue_password_token(user, actor=None)
    except AccountError as exc:
        raise click.ClickException(english(exc)) from None
    base = (base_url or default_base_url()).rstrip("/")
    hours = current_app.config["PASSWORD_LINK_MAX_AGE"] // 3600
    click.echo(f"{base}/office/password/{token}")
    click.echo(f"(works once, for {hours} hours)")


def _create(username: str, password: str, role: str, firm_code: str | None) -> None:
    from sqlalchemy import select

    from surveyapp.extensions import db
    from surveyapp.models import Firm
    from surveyapp.services.admin.users import audit, create_user

    firm_id = None
    if role in ("firm_manager", "interviewer"):
        firm = db.session.scalar(select(Firm).where(Firm.code == (firm_code or "")))
        if firm is None:
            raise click.ClickException(
                "firm roles need --firm with an existing firm code"
            )
        firm_id = firm.id
    try:
        user = create_user(username, password, role, firm_id=firm_id)
    except AccountError as exc:
        raise click.ClickException(english(exc)) from None
    audit(None, "create_user", user.username, {"role": role, "via": "cli"})
    click.echo(f"created {role} {user.username}")


responses_cli = AppGroup("responses", help="Responses.")


@responses_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--hall", "hall_code", default=None, help="Only this hall (code).")
@click.option("--from", "date_from", default=None, help="First day, YYYY-MM-DD.")
@click.option("--to", "date_to", default=None, help="Last day, YYYY-MM-DD.")
def export_responses_command(
    fmt: str,
    out: Path,
    hall_code: str | None,
    date_from: str | None,
    date_to: str | None,
) -> None:
    """Export responses: one row per response, with codes and every answer."""
    from datetime import date

    from surveyapp.services.organisation.catalogue import hall_by_code
    from surveyapp.services.responses.exports import write_export
    from surveyapp.services.responses.summaries import ResponseFilter

    hall_id = None
    if hall_code:
        hall = hall_by_code(hall_code)
        if hall is None:
            raise click.ClickException(f"no hall with code {hall_code}")
        hall_id = hall.id
    try:
        filters = ResponseFilter(
            hall_id=hall_id,
            date_from=date.fromisoformat(date_from) if date_from else None,
            date_to=date.fromisoformat(date_to) if date_to else None,
        )
    except ValueError as exc:
        raise click.ClickException(f"bad date: {exc}") from None
    size = write_export(filters, fmt, out)
    click.echo(f"wrote {out} ({size} bytes)")


@responses_cli.command("rollup")
@click.option(
    "--all", "everything", is_flag=True, help="Recompute every day, not the last week."
)
def rollup_responses_command(everything: bool) -> None:
    """Refresh the daily rollup behind the office summary (run it nightly)."""
    from datetime import date

    from surveyapp.services.responses import rollups

    start = date.min if everything else None
    rows = rollups.refresh(start=start)
    click.echo(f"rollup through {rollups.mark()}: {rows} rows")
