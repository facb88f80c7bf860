"""CLI: `flask indices run|export|publish|supersede|verify|list`, `flask volumes
import`, `flask api-tokens create`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from surveyapp.analysis.index import METHODS
from surveyapp.analysis.scoring import BANDS

indices_cli = AppGroup("indices", help="Weighted satisfaction indices.")
volumes_cli = AppGroup("volumes", help="Transaction volumes (survey weights).")
tokens_cli = AppGroup("api-tokens", help="Bearer tokens of the JSON API.")


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@indices_cli.command("run")
@click.option(
    "--period",
    required=True,
    help="2026, 2026-Q3, 2026-07 or 2026-07-01..2026-09-30 (local dates).",
)
@click.option(
    "--level",
    required=True,
    type=click.Choice(["hall", "department", "window", "service_item", "region"]),
)
@click.option(
    "--method", default="fixed", show_default=True, type=click.Choice(METHODS)
)
@click.option(
    "--weights",
    "weights_json",
    default=None,
    help='Fixed dimension weights as JSON, e.g. {"timeliness": 2, ...}.',
)
@click.option(
    "--pairwise",
    "pairwise_json",
    default=None,
    help="AHP: 6x6 pairwise matrix as JSON, drivers in the standard order.",
)
@click.option("--override-cr", is_flag=True, help="AHP: accept a CR above 0.10.")
@click.option("--publish", is_flag=True, help="Publish the run at once.")
def run_command(
    period, level, method, weights_json, pairwise_json, override_cr, publish
):
    """Compute and store an index run (a draft unless --publish)."""
    from surveyapp.services.indices.runs import IndexRunError, compute_run, publish_run

    try:
        fixed = json.loads(weights_json) if weights_json else None
        pairwise = json.loads(pairwise_json) if pairwise_json else None
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"bad JSON: {exc}") from None
    try:
        run = compute_run(
            period,
            level,
            method,
            fixed=fixed,
            pairwise=pairwise,
            override_cr=override_cr,
        )
        if publish:
            publish_run(run)
    except IndexRunError as exc:
        raise _fail(exc) from None
    if publish:
        _warn_if_not_ended(run)
    ranked = sum(1 for r in run.results if r.rankable)
    bands = {b: sum(1 for r in run.results if r.band == b) for b in BANDS}
    click.echo(
        f"run {run.id}: {run.period} {run.level} {run.method}, {len(run.results)} "
        f"units ({ranked} rankable: {bands['above']} above, {bands['same']} not "
        f"different, {bands['below']} below the overall), {run.response_count} "
        f"responses, {run.status}"
    )
    for note in run.method_notes:
        click.echo(f"  note: {note}")


@indices_cli.command("verify")
@click.option("--run", "run_id", required=True, type=int)
def verify_command(run_id: int):
    """Recompute a run from its recorded parameters and compare with its figures."""
    from surveyapp.services.indices.runs import IndexRunError, get_run, verify_run

    try:
        problems = verify_run(get_run(run_id))
    except IndexRunError as exc:
        raise _fail(exc) from None
    if problems:
        for problem in problems[:50]:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(
            f"run {run_id}: {len(problems)} figure(s) differ from a recomputation"
        )
    click.echo(
        f"run {run_id}: recomputed from its recorded parameters, all figures agree"
    )


@indices_cli.command("list")
def list_command():
    """List the stored runs."""
    from surveyapp.services.indices.runs import list_runs

    for run in list_runs():
        click.echo(f"{run.id}\t{run.period}\t{run.level}\t{run.method}\t{run.status}")


@indices_cli.command("export")
@click.option("--run", "run_id", required=True, type=int)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="xlsx"
)
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def export_command(run_id: int, fmt: str, out: Path):
    """Write a run for the performance scoring system."""
    from surveyapp.services.indices.exports import export_run
    from surveyapp.services.indices.runs import IndexRunError, get_run

    try:
        data = export_run(get_run(run_id), fmt)
    except IndexRunError as exc:
        raise _fail(exc) from None
    out.write_bytes(data)
    click.echo(f"wrote {out} ({len(data)} bytes)")


@indices_cli.command("publish")
@click.option("--run", "run_id", required=True, type=int)
def publish_command(run_id: int):
    """Publish a draft run; it never changes afterwards."""
    from surveyapp.services.indices.runs import IndexRunError, get_run, publish_run

    try:
        run = publish_run(get_run(run_id))
    except IndexRunError as exc:
        raise _fail(exc) from None
    click.echo(f"run {run.id} published")
    _warn_if_not_ended(run)


def _warn_if_not_ended(run) -> None:
    from surveyapp.services.indices.runs import period_not_ended

    if period_not_ended(run):
        click.echo(
            f"warning: the period {run.period} has not ended yet; responses that come"
            " in later are not in this published run (supersede it after the end)",
            err=True,
        )


@indices_cli.command("supersede")
@click.option("--run", "run_id", required=True, type=int, help="The published run.")
@click.option(
    "--by", "new_id", required=True, type=int, help="The corrected draft run."
)
@click.option("--reason", required=True)
def supersede_command(run_id: int, new_id: int, reason: str):
    """Replace a published run by a corrected one; both stay visible."""
    from surveyapp.services.indices.runs import IndexRunError, get_run, supersede_run

    try:
        new = supersede_run(get_run(run_id), get_run(new_id), reason)
    except IndexRunError as exc:
        raise _fail(exc) from None
    click.echo(f"run {new.id} published, superseding run {run_id}")


@volumes_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def volumes_import(file: Path):
    """Import transaction volumes (CSV or XLSX; see docs): all rows or none."""
    from surveyapp.commands.files import refused
    from surveyapp.services.indices.volumes import import_volumes
    from surveyapp.tables.reader import FileRefused

    try:
        counts = import_volumes(file.read_bytes(), file.name)
    except FileRefused as exc:
        raise refused(exc) from None
    click.echo(f"imported: {counts['created']} new, {counts['updated']} updated")


@volumes_cli.command("template")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def volumes_template(out: Path):
    """Write an example import file (.csv or .xlsx by the name)."""
    from surveyapp.services.indices.volumes import template

    out.write_bytes(template("xlsx" if out.suffix.lower() == ".xlsx" else "csv"))
    click.echo(f"wrote {out}")


@tokens_cli.command("create")
@click.option("--name", required=True, help="Who uses the token, e.g. scoring.")
def token_create(name: str):
    """Create a token and print it once; only its SHA-256 is stored."""
    from surveyapp.services.admin.api_tokens import create_token

    token = create_token(name)
    click.echo(token)


@tokens_cli.command("revoke")
@click.option("--name", required=True)
def token_revoke(name: str):
    """Revoke every token with this name."""
    from surveyapp.services.admin.api_tokens import revoke_tokens

    click.echo(f"revoked {revoke_tokens(name)} token(s)")


COMMANDS: list = [indices_cli, volumes_cli, tokens_cli]
