"""CLI commands for operations: `flask backup create|restore`, `flask retention purge`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

backup_cli = AppGroup("backup", help="Back up and restore the database.")
retention_cli = AppGroup("retention", help="PIPL data retention.")


def _database_url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


@backup_cli.command("create")
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the backup file (default BACKUP_DIR).",
)
def backup_create(out: Path | None) -> None:
    """Write a timestamped backup (SQLite online backup, or pg_dump -Fc)."""
    from surveyapp.services.admin.backup import BackupError, create_backup
    from surveyapp.services.admin.users import audit

    try:
        path = create_backup(
            _database_url(), out or Path(current_app.config["BACKUP_DIR"])
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    size = path.stat().st_size
    audit(None, "backup_create", path.name, {"bytes": size, "via": "cli"})
    click.echo(f"wrote {path} ({size} bytes)")


@backup_cli.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: replace the database's contents.")
@click.option(
    "--no-safety-copy",
    is_flag=True,
    help="Do not back up the current database first (into BACKUP_DIR).",
)
def backup_restore(backup: Path, yes: bool, no_safety_copy: bool) -> None:
    """Replace the configured database with BACKUP. Stop the app first."""
    from sqlalchemy.engine import make_url

    from surveyapp.extensions import db
    from surveyapp.services.admin.backup import (
        BackupError,
        check_backup,
        create_backup,
        restore_backup,
    )
    from surveyapp.services.admin.users import audit

    url = _database_url()
    if not yes:
        shown = make_url(url).render_as_string(hide_password=True)
        raise click.ClickException(
            f"this replaces every row of {shown} with {backup}; stop the app "
            "instances, then run again with --yes"
        )
    db.session.remove()
    db.engine.dispose()
    safety = None
    try:
        check_backup(url, backup)
        if not no_safety_copy and _has_data(url):
            safety = create_backup(
                url, Path(current_app.config["BACKUP_DIR"]), label="pre-restore"
            )
        restore_backup(url, backup)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.engine.dispose()
    audit(None, "backup_restore", backup.name, {"safety_copy": str(safety or "")})
    if safety:
        click.echo(f"saved the previous database as {safety}")
    click.echo(f"restored {backup}")


def _has_data(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return bool(parsed.database) and Path(parsed.database).is_file()
    return True


@retention_cli.command("purge")
@click.option(
    "--before",
    "before",
    default=None,
    help="YYYY-MM-DD: purge records from before this day (default: today "
    "minus RETENTION_DAYS).",
)
@click.option("--dry-run", is_flag=True, help="Only count; change nothing.")
def retention_purge(before: str | None, dry_run: bool) -> None:
    """Clear personal fields (address, device and phone hashes, encrypted
    phones, consent) of old records; the anonymous answers stay."""
    from surveyapp.services.admin.retention import (
        cutoff_instant,
        default_cutoff,
        purge_personal_data,
    )

    config = current_app.config
    try:
        day = date.fromisoformat(before) if before else None
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--before") from None
    today = datetime.now(ZoneInfo(config["TIMEZONE"])).date()
    if day is not None and day > today:
        # A future day would clear what is still inside the retention period,
        # today's included: a typo must not wipe call-back numbers.
        raise click.BadParameter(
            f"{day} is in the future (today is {today})", param_hint="--before"
        )
    day = day or default_cutoff(config["RETENTION_DAYS"], today)
    result = purge_personal_data(
        cutoff_instant(day, config["TIMEZONE"]), dry_run=dry_run
    )
    verb = "would clear" if dry_run else "cleared"
    click.echo(f"records before {day} ({config['TIMEZONE']}): {verb}")
    for table, rows in result.rows.items():
        fields = ", ".join(f"{k} {v}" for k, v in result.fields[table].items())
        click.echo(f"  {table}: {rows} rows ({fields})")
    if dry_run:
        click.echo("dry run: nothing changed")


COMMANDS: list = [backup_cli, retention_cli]
