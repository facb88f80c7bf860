"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware now in UTC; stored naive-UTC for SQLite compatibility."""
    return datetime.now(UTC).replace(tzinfo=None)
