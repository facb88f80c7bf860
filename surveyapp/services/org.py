"""The organisation the other services and views read: halls by code."""

from __future__ import annotations

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Hall


def all_halls() -> list[Hall]:
    """Every hall, in code order (filters, pickers, the QR page)."""
    return list(db.session.scalars(select(Hall).order_by(Hall.code)))


def hall_by_code(code: str) -> Hall | None:
    return db.session.scalar(select(Hall).where(Hall.code == code))
