"""CLI commands for quality (filled in by its issue)."""

from flask.cli import AppGroup

COMMANDS: list = []
