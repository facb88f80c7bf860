"""What the commands that read a file print when it is refused."""

from __future__ import annotations

import click
from flask import current_app

from surveyapp.tables.reader import FileRefused


def refused(exc: FileRefused) -> click.ClickException:
    """Print every problem (row, column, message) on stderr, in English (the
    messages are translated lazily; operators read them in English), and
    return the exception that makes the command exit non-zero."""
    with current_app.test_request_context(headers={"Accept-Language": "en"}):
        for problem in exc.problems:
            click.echo(str(problem), err=True)
    return click.ClickException(
        f"{len(exc.problems)} problem(s): the file was refused, nothing was imported"
    )
