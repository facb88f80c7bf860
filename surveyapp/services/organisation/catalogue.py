"""The organisation the other services and views read: halls by code, the
service items a window offers."""

from __future__ import annotations

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Hall, ServiceItem, Window
from surveyapp.services.memory import (
    MISSING,
    ProcessMemory,
    attach,
    detached_copy,
    in_session,
)


def all_halls() -> list[Hall]:
    """Every hall, in code order (filters, pickers, the QR page)."""
    return list(db.session.scalars(select(Hall).order_by(Hall.code)))


def hall_by_code(code: str) -> Hall | None:
    return db.session.scalar(select(Hall).where(Hall.code == code))


# The service items a form offers change only when an admin edits them
# (services/memory.py).
_service_items = ProcessMemory(30.0, (Hall, Window, ServiceItem))


def service_items_for(hall: Hall, window: Window | None) -> list[ServiceItem]:
    """The window's service items, else every item of the hall's windows."""
    key = (hall.id, window.id if window is not None else None)
    remembered = _service_items.get(key)
    if remembered is not MISSING:
        return [attach(db.session, copy) for copy in remembered]
    # A submission passes the target's detached rows (SurveyTarget.detached);
    # their relationships load in the session.
    hall, window = in_session(db.session, hall), in_session(db.session, window)
    # Retired items and windows are no longer offered.
    own = [i for i in window.service_items if i.active] if window is not None else []
    if own:
        items = own
    else:
        seen: dict[int, ServiceItem] = {}
        for w in hall.windows:
            for item in w.service_items if w.active else ():
                if item.active:
                    seen.setdefault(item.id, item)
        items = sorted(seen.values(), key=lambda item: item.code)
    _service_items.put(key, tuple(map(detached_copy, items)))
    return items
