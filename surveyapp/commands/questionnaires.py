"""CLI for questionnaires: XLSForm import and export, publish, assign to QR codes."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

questionnaires_cli = AppGroup(
    "questionnaires", help="Questionnaires: XLSForm in and out, publish, assign."
)


def _fail(problems, summary: str) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    raise click.ClickException(summary)


def _questionnaire(code: str):
    from surveyapp.services.questionnaires.drafts import QuestionnaireError, get

    try:
        return get(code)
    except QuestionnaireError as exc:
        raise click.ClickException(str(exc)) from None


@questionnaires_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code", required=True, help="The questionnaire's code.")
def import_command(path: Path, code: str) -> None:
    """Store an XLSForm as the draft of questionnaire CODE (created if new)."""
    from surveyapp.services.admin.users import audit
    from surveyapp.services.questionnaires.definitions import DefinitionError
    from surveyapp.services.questionnaires.drafts import (
        QuestionnaireError,
        import_draft,
        problems_of,
    )
    from surveyapp.services.questionnaires.xlsform import XLSFormRefused, read_xlsform

    try:
        imported = read_xlsform(path)
        questionnaire, created = import_draft(code, imported.definition)
    except (XLSFormRefused, DefinitionError) as exc:
        _fail(exc.problems, f"{path.name} refused; nothing stored")
    except QuestionnaireError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in imported.warnings:
        click.echo(f"note: {warning}", err=True)
    audit(None, "import_questionnaire", code, {"via": "cli", "file": path.name})
    count = len(imported.definition["questions"])
    made = "created questionnaire" if created else "stored a new draft of"
    click.echo(f"{made} {questionnaire.code} ({count} top-level questions)")
    for problem in problems_of(questionnaire):
        label = "note" if problem.warning else "to fix before publishing"
        click.echo(f"{label}: {problem}")


@questionnaires_cli.command("export")
@click.option("--code", required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--version",
    "number",
    type=int,
    default=None,
    help="A published version (default: the draft, else the latest version).",
)
def export_command(code: str, out: Path, number: int | None) -> None:
    """Write questionnaire CODE as an XLSForm."""
    from surveyapp.services.questionnaires.drafts import draft_of, version
    from surveyapp.services.questionnaires.xlsform_export import write_xlsform

    questionnaire = _questionnaire(code)
    if number is None:
        definition, label = draft_of(questionnaire), "draft"
        if questionnaire.draft is None and questionnaire.latest_published():
            label = str(questionnaire.latest_published().number)
    else:
        found = version(questionnaire, number)
        if found is None:
            raise click.ClickException(f"{code} has no published version {number}")
        definition, label = found.definition, str(number)
    out.write_bytes(write_xlsform(definition, code, label))
    click.echo(f"wrote {out} ({code}, version {label})")


@questionnaires_cli.command("template")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def template_command(out: Path) -> None:
    """Write a starter XLSForm: the default 好差评 questionnaire."""
    from surveyapp.services.questionnaires.default import DEFAULT_DEFINITION
    from surveyapp.services.questionnaires.xlsform_export import write_xlsform

    out.write_bytes(write_xlsform(DEFAULT_DEFINITION, "HCP"))
    click.echo(f"wrote {out}")


@questionnaires_cli.command("publish")
@click.option("--code", required=True)
def publish_command(code: str) -> None:
    """Publish the draft of CODE as its next immutable version."""
    from surveyapp.services.admin.users import audit
    from surveyapp.services.questionnaires.definitions import DefinitionError
    from surveyapp.services.questionnaires.drafts import (
        QuestionnaireError,
        publish_draft,
    )

    questionnaire = _questionnaire(code)
    try:
        published = publish_draft(questionnaire)
    except DefinitionError as exc:
        _fail(exc.problems, f"{code} not published; fix these first")
    except QuestionnaireError as exc:
        raise click.ClickException(str(exc)) from None
    audit(None, "publish_questionnaire", published.label, {"via": "cli"})
    click.echo(f"published {published.label}")


@questionnaires_cli.command("assign")
@click.option("--code", required=True, help="The questionnaire.")
@click.option("--hall", "hall_code", required=True)
@click.option("--window", "window_code", default=None, help="Only this window.")
def assign_command(code: str, hall_code: str, window_code: str | None) -> None:
    """Make CODE the questionnaire of a hall's QR codes (or one window's)."""
    _assign(_questionnaire(code), hall_code, window_code)


@questionnaires_cli.command("unassign")
@click.option("--hall", "hall_code", required=True)
@click.option("--window", "window_code", default=None)
def unassign_command(hall_code: str, window_code: str | None) -> None:
    """Remove a hall's (or window's) assignment: its codes open what they name."""
    _assign(None, hall_code, window_code)


def _assign(questionnaire, hall_code: str, window_code: str | None) -> None:
    from sqlalchemy import select

    from surveyapp.extensions import db
    from surveyapp.models import Window
    from surveyapp.services.admin.users import audit
    from surveyapp.services.organisation.catalogue import hall_by_code
    from surveyapp.services.questionnaires.assignments import AssignmentError, assign

    hall = hall_by_code(hall_code)
    if hall is None:
        raise click.ClickException(f"no hall with code {hall_code}")
    window = None
    if window_code:
        window = db.session.scalar(select(Window).where(Window.code == window_code))
        if window is None:
            raise click.ClickException(f"no window with code {window_code}")
    try:
        done = assign(questionnaire, hall, window)
    except AssignmentError as exc:
        raise click.ClickException(str(exc)) from None
    audit(
        None,
        "assign_questionnaire",
        done.place,
        {"before": done.before, "after": done.after, "via": "cli"},
    )
    after = done.after or "the questionnaire printed on each code"
    click.echo(f"{done.place}: {done.before or 'as printed'} -> {after}")


@questionnaires_cli.command("list")
def list_command() -> None:
    """Every questionnaire: versions, draft, default, assignments."""
    from surveyapp.services.questionnaires.assignments import assignments
    from surveyapp.services.questionnaires.drafts import list_questionnaires

    places: dict[int, list[str]] = {}
    for row in assignments():
        place = row.window.code if row.window else row.hall.code
        places.setdefault(row.questionnaire.id, []).append(place)
    for q in list_questionnaires():
        latest = q.latest_published()
        parts = [
            q.code,
            q.title,
            f"v{latest.number}" if latest else "unpublished",
            "draft" if q.draft is not None else "",
            "default" if q.is_default else "",
            ", ".join(places.get(q.id, [])),
        ]
        click.echo("\t".join(parts))


COMMANDS = (questionnaires_cli,)
