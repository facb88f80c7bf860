"""CLI commands for complaints (filled in by its issue)."""

from flask.cli import AppGroup

COMMANDS: list = []
