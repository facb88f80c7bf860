"""CLI commands for firms (filled in by its issue)."""

from flask.cli import AppGroup

COMMANDS: list = []
