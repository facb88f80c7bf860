"""CLI: `flask quality rescore` (whole-period signals) and `import-codes` (一事一评)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

quality_cli = AppGroup("quality", help="Fraud and data-quality checks.")


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-07-01") from None


@quality_cli.command("rescore")
@click.option("--from", "start", help="First local day (YYYY-MM-DD).")
@click.option("--to", "end", help="Last local day, inclusive (default: --from).")
@click.option("--period", help="2026-07, 2026-Q3, 2026 or 2026-07-01..2026-07-31.")
def rescore_command(start, end, period):
    """Judge every response of a period with all signals (relative speed,
    duplicates, bursts, pasted text, opening hours). Reviewers' decisions stand.
    Without options: yesterday (run it nightly from cron)."""
    from surveyapp.services.indices.inputs import IndexRunError, parse_period
    from surveyapp.services.quality.verdicts import rescore_period

    if period and (start or end):
        raise click.UsageError("give either --period or --from/--to")
    if period:
        try:
            parsed = parse_period(period)
        except IndexRunError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
        first, last = parsed.start, parsed.end
    elif start:
        first = _day(start)
        last = _day(end) or first
    else:
        if end:
            raise click.UsageError("--to needs --from")
        tz = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
        first = last = datetime.now(tz).date() - timedelta(days=1)
    if last < first:
        raise click.BadParameter("--to is before --from")
    result = rescore_period(first, last)
    verdicts = ", ".join(f"{k} {v}" for k, v in sorted(result.verdicts.items()))
    click.echo(
        f"{first}..{last}: {result.scored} responses scored, {result.changed} "
        f"verdicts changed, {result.kept_reviewed} reviewer decisions kept"
        + (f" ({verdicts})" if verdicts else "")
    )


@quality_cli.command("import-codes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--hall", "hall_code", required=True, help="Hall code, e.g. H450900.")
def import_codes_command(path: Path, hall_code: str):
    """Import the transaction codes a hall's queue system printed (one per line,
    or the first column of a CSV or XLSX); only salted hashes are stored."""
    from surveyapp.commands.files import refused
    from surveyapp.services.organisation.catalogue import hall_by_code
    from surveyapp.services.quality.presence import import_transaction_codes
    from surveyapp.tables.reader import COMMAND_LINE, FileRefused, read_rows

    hall = hall_by_code(hall_code)
    if hall is None:
        raise click.BadParameter(
            f"no hall with code {hall_code!r}", param_hint="--hall"
        )
    try:
        rows = read_rows(path.read_bytes(), path.name, limits=COMMAND_LINE)
    except FileRefused as exc:
        raise refused(exc) from None
    codes = [cells[0] for _number, cells in rows if cells and cells[0]]
    added = import_transaction_codes(hall, codes)
    click.echo(f"{added} new codes for {hall.code} ({len(codes)} lines read)")


COMMANDS = [quality_cli]
