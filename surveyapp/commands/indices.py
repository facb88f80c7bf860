"""CLI commands for indices (filled in by its issue)."""

from flask.cli import AppGroup

COMMANDS: list = []
