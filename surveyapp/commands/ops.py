"""CLI commands for ops (filled in by its issue)."""

from flask.cli import AppGroup

COMMANDS: list = []
