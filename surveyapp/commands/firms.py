"""CLI for survey firms: create firms, import frames and transactions, recount quotas."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

firms_cli = AppGroup("firms", help="Survey firms, projects and quotas.")


def _project(code: str):
    from sqlalchemy import select

    from surveyapp.extensions import db
    from surveyapp.models.sampling import SurveyProject

    project = db.session.scalar(select(SurveyProject).where(SurveyProject.code == code))
    if project is None:
        raise click.ClickException(f"no project with code {code}")
    return project


@firms_cli.command("create")
@click.argument("code")
@click.argument("name")
def create_firm_command(code: str, name: str) -> None:
    """Create a survey firm (add its users with `flask users create --firm CODE`)."""
    from surveyapp.services.admin.users import audit
    from surveyapp.services.fieldwork.projects import ProjectError, create_firm

    try:
        firm = create_firm(code, name)
    except ProjectError as exc:
        raise click.ClickException(str(exc)) from None
    audit(None, "create_firm", firm.code, {"via": "cli"})
    click.echo(f"created firm {firm.code}")


@firms_cli.command("deactivate")
@click.argument("code")
@click.option("--activate", is_flag=True, help="Activate the firm again.")
def deactivate_firm_command(code: str, activate: bool) -> None:
    """Deactivate a firm: its users lose access at their next request."""
    from surveyapp.services.admin.users import audit
    from surveyapp.services.fieldwork.projects import ProjectError, set_firm_active

    try:
        firm = set_firm_active(code, activate)
    except ProjectError as exc:
        raise click.ClickException(str(exc)) from None
    action = "activate_firm" if activate else "deactivate_firm"
    audit(None, action, firm.code, {"via": "cli"})
    click.echo(f"{'activated' if activate else 'deactivated'} firm {firm.code}")


def _import(kind: str, project_code: str, path: Path) -> None:
    from surveyapp.commands.files import refused
    from surveyapp.services.fieldwork import frames
    from surveyapp.tables.reader import FileRefused

    project = _project(project_code)
    importer = frames.import_frame if kind == "frame" else frames.import_transactions
    try:
        count = importer(project, path.read_bytes(), path.name)
    except FileRefused as exc:
        raise refused(exc) from None
    click.echo(f"imported {count} {kind} rows into {project.code}")


@firms_cli.command("import-frame")
@click.argument("project_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_frame_command(project_code: str, path: Path) -> None:
    """Replace a project's sampling frame from a CSV or XLSX file."""
    _import("frame", project_code, path)


@firms_cli.command("import-transactions")
@click.argument("project_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_transactions_command(project_code: str, path: Path) -> None:
    """Replace a project's transactions (for the callback list)."""
    _import("transactions", project_code, path)


@firms_cli.command("recount")
@click.argument("project_code")
def recount_command(project_code: str) -> None:
    """Set every quota cell's count from its responses that are not rejected."""
    from surveyapp.services.fieldwork.quotas import recount_quotas

    counts = recount_quotas(_project(project_code))
    click.echo(f"recounted {len(counts)} cells, {sum(counts.values())} completes")


COMMANDS: list = [firms_cli]
