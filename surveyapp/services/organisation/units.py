"""The stored organisation as the catalogue's plain data, units in use for
pickers, and whether a QR code points at a retired hall or window."""

from __future__ import annotations

from sqlalchemy import func, select

from surveyapp.analysis.catalogue import Catalogue, Unit
from surveyapp.extensions import db
from surveyapp.models import Department, Hall, Region, ServiceItem, Window
from surveyapp.models.org import window_service_items

MODELS = {
    "region": Region,
    "department": Department,
    "hall": Hall,
    "window": Window,
    "service_item": ServiceItem,
}


def current_catalogue() -> Catalogue:
    """Every stored unit, retired ones too, and every window-item link."""
    catalogue = Catalogue()
    codes = {
        kind: dict(db.session.execute(select(model.id, model.code)).all())
        for kind, model in MODELS.items()
    }
    for row in db.session.execute(
        select(Region.code, Region.name, Region.name_en, Region.active)
    ):
        catalogue.add(
            Unit("region", row.code, row.name, row.name_en, active=row.active)
        )
    for row in db.session.execute(
        select(
            Department.code,
            Department.name,
            Department.name_en,
            Department.region_id,
            Department.active,
        )
    ):
        region = codes["region"].get(row.region_id)
        catalogue.add(
            Unit(
                "department", row.code, row.name, row.name_en, region, None, row.active
            )
        )
    for row in db.session.execute(
        select(Hall.code, Hall.name, Hall.name_en, Hall.region_id, Hall.active)
    ):
        region = codes["region"][row.region_id]
        catalogue.add(
            Unit("hall", row.code, row.name, row.name_en, region, None, row.active)
        )
    for row in db.session.execute(
        select(
            Window.code,
            Window.name,
            Window.name_en,
            Window.hall_id,
            Window.department_id,
            Window.active,
        )
    ):
        hall = codes["hall"][row.hall_id]
        department = codes["department"].get(row.department_id)
        catalogue.add(
            Unit(
                "window", row.code, row.name, row.name_en, hall, department, row.active
            )
        )
    for row in db.session.execute(
        select(
            ServiceItem.code,
            ServiceItem.name,
            ServiceItem.name_en,
            ServiceItem.department_id,
            ServiceItem.active,
        )
    ):
        department = codes["department"][row.department_id]
        catalogue.add(
            Unit(
                "service_item",
                row.code,
                row.name,
                row.name_en,
                department,
                None,
                row.active,
            )
        )
    links = db.session.execute(
        select(window_service_items.c.window_id, window_service_items.c.service_item_id)
    )
    catalogue.links = {(codes["window"][w], codes["service_item"][i]) for w, i in links}
    return catalogue


def active_halls() -> list[Hall]:
    """The halls in use, in code order (the QR page, new fieldwork)."""
    return list(db.session.scalars(select(Hall).where(Hall.active).order_by(Hall.code)))


def active_service_items() -> list[ServiceItem]:
    return list(
        db.session.scalars(
            select(ServiceItem).where(ServiceItem.active).order_by(ServiceItem.code)
        )
    )


def is_retired_target(hall_id: int, window_id: int | None) -> bool:
    """Whether a code's hall, or its window, exists but is retired (as
    opposed to never having existed)."""
    hall = db.session.get(Hall, hall_id)
    if hall is None:
        return False
    if window_id is None:
        return not hall.active
    window = db.session.get(Window, window_id)
    if window is None or window.hall_id != hall.id:
        return False
    return not (hall.active and window.active)


def counts() -> dict[str, tuple[int, int]]:
    """Per kind, (units in use, retired units)."""
    result = {}
    for kind, model in MODELS.items():
        rows = dict(
            db.session.execute(
                select(model.active, func.count()).group_by(model.active)
            ).all()
        )
        result[kind] = (rows.get(True, 0), rows.get(False, 0))
    return result
