"""The office's edits of the catalogue, one unit at a time: add, rename or move,
retire and restore. Codes never change (every export and import keys on them);
retiring never deletes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from surveyapp.analysis.catalogue import code_problem, name_problem
from surveyapp.extensions import db
from surveyapp.models import Department, Hall, ServiceItem, User, Window
from surveyapp.models.org import window_service_items
from surveyapp.services.admin.users import audit
from surveyapp.services.memory import forget_all
from surveyapp.services.organisation.messages import message
from surveyapp.services.organisation.units import MODELS

# The attribute naming each kind's parent, and the parent's kind; `required`
# when the unit cannot exist without it.
PARENTS = {
    "region": None,
    "department": ("region", False),
    "hall": ("region", True),
    "window": ("hall", True),
    "service_item": ("department", True),
}
# What retiring a unit also retires: a closed hall's windows, a dissolved
# department's service items, a region's halls (and so their windows).
CHILDREN = {"region": "hall", "hall": "window", "department": "service_item"}


class UnitError(ValueError):
    """An edit refused; `field` names the form field, `message` says why."""

    def __init__(self, field: str, text):
        super().__init__(str(text))
        self.field = field
        self.message = text


@dataclass
class UnitForm:
    """What the office's form sends: names, the parent's id, and for a window
    its department, for a service item the windows that offer it."""

    name: str = ""
    name_en: str = ""
    parent_id: int | None = None
    department_id: int | None = None
    window_ids: tuple[int, ...] = ()
    contact_email: str = ""  # a department's: where the case digest goes


# One address, no spaces or angle brackets: what an SMTP "To" can carry.
_EMAIL = re.compile(r"[^@\s<>,;\x00-\x1f]+@[^@\s<>,;\x00-\x1f]+\.[^@\s<>,;\x00-\x1f]+")


def _check_email(form: UnitForm) -> None:
    email = form.contact_email.strip()
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        raise UnitError("contact_email", message("bad_email"))


def _check_names(kind: str, form: UnitForm) -> None:
    for field, value, required in (
        ("name", form.name.strip(), True),
        ("name_en", form.name_en.strip(), False),
    ):
        found = name_problem(kind, value, required=required)
        if found is not None:
            raise UnitError(field, message(*found))


def _parent(kind: str, form: UnitForm):
    spec = PARENTS[kind]
    if spec is None:
        return None
    parent_kind, required = spec
    parent = (
        db.session.get(MODELS[parent_kind], form.parent_id) if form.parent_id else None
    )
    if parent is None and required:
        raise UnitError("parent_id", message("unknown_parent"))
    if parent is not None and not parent.active:
        raise UnitError("parent_id", message("parent_retired"))
    return parent


def _set(row, kind: str, form: UnitForm) -> None:
    row.name, row.name_en = form.name.strip(), form.name_en.strip()
    parent = _parent(kind, form)
    if kind == "department":
        _check_email(form)
        row.contact_email = form.contact_email.strip()
    if kind in ("department", "hall"):
        row.region = parent
    elif kind == "window":
        row.hall = parent
        department = (
            db.session.get(Department, form.department_id)
            if form.department_id
            else None
        )
        row.department = department
    elif kind == "service_item":
        row.department = parent
        windows = (
            db.session.scalars(
                select(Window).where(Window.id.in_(form.window_ids), Window.active)
            ).all()
            if form.window_ids
            else []
        )
        for window in offering(row) if row.id else []:
            if window not in windows:
                window.service_items.remove(row)
        for window in windows:
            if row not in window.service_items:
                window.service_items.append(row)


def offering(item: ServiceItem) -> list[Window]:
    """The windows that offer a service item, retired ones too."""
    return list(
        db.session.scalars(
            select(Window)
            .join(window_service_items)
            .where(window_service_items.c.service_item_id == item.id)
            .order_by(Window.code)
        )
    )


def _snapshot(row) -> dict:
    values = {"name": row.name, "name_en": row.name_en}
    if isinstance(row, Department):
        values["contact_email"] = row.contact_email
    for attr in ("region", "hall", "department"):
        related = getattr(row, attr, None)
        values[attr] = related.code if related is not None else None
    return values


def add_unit(
    kind: str,
    code: str,
    form: UnitForm,
    *,
    actor: User,
    client_address: str | None = None,
):
    code = code.strip()
    found = code_problem(kind, code)
    if found is not None:
        raise UnitError("code", message(*found))
    model = MODELS[kind]
    if db.session.scalar(select(model.id).where(model.code == code)) is not None:
        raise UnitError("code", message("code_taken"))
    _check_names(kind, form)
    row = model(code=code)
    with db.session.no_autoflush:  # the row is whole only once _set is done
        _set(row, kind, form)
    db.session.add(row)
    audit(
        actor, "org_add", f"{kind} {code}", _snapshot(row), client_address, commit=False
    )
    db.session.commit()
    forget_all()  # the QR pages read these rows from the caches
    return row


def edit_unit(
    kind: str, row, form: UnitForm, *, actor: User, client_address: str | None = None
):
    """Rename, move (another parent), or re-assign windows; audited with the
    values before and after."""
    _check_names(kind, form)
    before = _snapshot(row)
    with db.session.no_autoflush:
        _set(row, kind, form)
    after = _snapshot(row)
    detail = {
        key: [before[key], after[key]] for key in after if before[key] != after[key]
    }
    audit(actor, "org_edit", f"{kind} {row.code}", detail, client_address, commit=False)
    db.session.commit()
    forget_all()  # the QR pages read these rows from the caches
    return row


def _descendants(kind: str, row) -> list[tuple[str, object]]:
    child_kind = CHILDREN.get(kind)
    if child_kind is None:
        return []
    attr = {"hall": Hall.region_id, "window": Window.hall_id}.get(child_kind)
    if child_kind == "service_item":
        attr = ServiceItem.department_id
    children = db.session.scalars(
        select(MODELS[child_kind]).where(attr == row.id, MODELS[child_kind].active)
    ).all()
    found = []
    for child in children:
        found.append((child_kind, child))
        found.extend(_descendants(child_kind, child))
    return found


def retire_unit(
    kind: str, row, *, actor: User, client_address: str | None = None
) -> list[str]:
    """Retire the unit and what hangs under it; returns the codes retired.
    Past responses keep pointing at them."""
    retired = [(kind, row)] + _descendants(kind, row)
    for _kind, unit in retired:
        unit.active = False
    codes = [f"{k} {unit.code}" for k, unit in retired]
    audit(
        actor,
        "org_retire",
        f"{kind} {row.code}",
        {"retired": codes},
        client_address,
        commit=False,
    )
    db.session.commit()
    forget_all()  # the QR pages read these rows from the caches
    return codes


def restore_unit(kind: str, row, *, actor: User, client_address: str | None = None):
    """Put a retired unit back in use (not what was retired with it); its
    parent must be in use."""
    spec = PARENTS[kind]
    if spec is not None:
        parent = getattr(row, spec[0])
        if parent is not None and not parent.active:
            raise UnitError("parent_id", message("parent_retired"))
    row.active = True
    audit(actor, "org_restore", f"{kind} {row.code}", {}, client_address, commit=False)
    db.session.commit()
    forget_all()  # the QR pages read these rows from the caches
    return row
