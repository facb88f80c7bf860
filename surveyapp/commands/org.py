"""CLI for the organisation catalogue: `flask org import|export|template`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

org_cli = AppGroup("org", help="The organisation catalogue: halls, windows, items.")

KIND_NAMES = {
    "region": "regions",
    "department": "departments",
    "hall": "halls",
    "window": "windows",
    "service_item": "service items",
}


def _english():
    """Messages are translated lazily; operators read them in English."""
    return current_app.test_request_context(headers={"Accept-Language": "en"})


def _summary(plan) -> list[str]:
    lines = []
    for kind, actions in plan.counts().items():
        done = ", ".join(f"{n} {action}" for action, n in actions.items() if n)
        if done:
            lines.append(f"{KIND_NAMES[kind]}: {done}")
    if plan.links_added or plan.links_removed:
        lines.append(
            f"window-item links: {len(plan.links_added)} added, "
            f"{len(plan.links_removed)} removed"
        )
    return lines or ["nothing to change"]


@org_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--retire-missing",
    is_flag=True,
    help="Retire the units the file no longer lists, and drop the links it omits.",
)
@click.option("--dry-run", is_flag=True, help="Only say what would change.")
def import_command(path: Path, retire_missing: bool, dry_run: bool) -> None:
    """Upsert the catalogue by code from a CSV or XLSX file (one row per
    service item offered at a window); any problem refuses the whole file."""
    from surveyapp.services.organisation.imports import (
        CatalogueRefused,
        import_catalogue,
        plan_import,
    )

    data = path.read_bytes()
    try:
        if dry_run:
            plan = plan_import(data, path.name, retire_missing=retire_missing)
        else:
            plan = import_catalogue(data, path.name, retire_missing=retire_missing)
    except CatalogueRefused as exc:
        with _english():
            for problem in exc.problems:
                click.echo(
                    f"row {problem.row}, column {problem.column or '-'}: "
                    f"{problem.message}",
                    err=True,
                )
        raise click.ClickException(
            f"{len(exc.problems)} problem(s): file refused, nothing changed"
        ) from None
    for line in _summary(plan):
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing changed")


@org_cli.command("export")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def export_command(out: Path) -> None:
    """Write the units in use in the import's format (.csv or .xlsx)."""
    from surveyapp.services.organisation.exports import catalogue_bytes, format_for

    _write(out, catalogue_bytes, format_for)


@org_cli.command("template")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def template_command(out: Path) -> None:
    """Write an empty catalogue file (.csv or .xlsx) with one example row."""
    from surveyapp.services.organisation.exports import format_for, template_bytes

    _write(out, template_bytes, format_for)


def _write(out: Path, produce, format_for) -> None:
    try:
        fmt = format_for(out.name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    data = produce(fmt)
    out.write_bytes(data)
    click.echo(f"wrote {out} ({len(data)} bytes)")


COMMANDS: list = [org_cli]
