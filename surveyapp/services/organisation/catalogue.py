"""The organisation the other services and views read: halls by code, the
service items a window offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Hall, ServiceItem, Window
from surveyapp.services.memory import cached_per_process


def all_halls() -> list[Hall]:
    """Every hall, in code order (filters, pickers, the QR page)."""
    return list(db.session.scalars(select(Hall).order_by(Hall.code)))


def hall_by_code(code: str) -> Hall | None:
    return db.session.scalar(select(Hall).where(Hall.code == code))


class HasId(Protocol):
    id: int


@dataclass(frozen=True)
class ServiceChoice:
    """A service item as a form offers it."""

    id: int
    code: str
    name: str
    name_en: str
    category: str


def service_items_for(hall: HasId, window: HasId | None) -> list[ServiceChoice]:
    """The window's service items, else every item of the hall's windows
    (`hall` and `window`: rows, or a SurveyTarget's places)."""
    return list(_service_items(hall.id, window.id if window is not None else None))


# A form offers them on every page view; they change only when an
# administrator edits the organisation (services/memory.py).
@cached_per_process()
def _service_items(hall_id: int, window_id: int | None) -> tuple[ServiceChoice, ...]:
    window = db.session.get(Window, window_id) if window_id is not None else None
    # Retired items and windows are no longer offered.
    own = [i for i in window.service_items if i.active] if window is not None else []
    if own:
        items = own
    else:
        hall = db.session.get(Hall, hall_id)
        seen: dict[int, ServiceItem] = {}
        for w in hall.windows if hall is not None else ():
            for item in w.service_items if w.active else ():
                if item.active:
                    seen.setdefault(item.id, item)
        items = sorted(seen.values(), key=lambda item: item.code)
    return tuple(
        ServiceChoice(i.id, i.code, i.name, i.name_en, i.category) for i in items
    )
