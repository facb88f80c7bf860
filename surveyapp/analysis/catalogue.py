"""The organisation catalogue as plain data: its units, its file's columns and
the rules every code and name follows (the import, the export and the office's
forms share them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# In the order a unit's parents come before it.
KINDS = ("region", "department", "hall", "window", "service_item")
# The file's columns, in the order of a 政务服务事项清单 export.
FILE_KINDS = ("region", "hall", "department", "window", "service_item")
REQUIRED_COLUMNS = tuple(
    f"{kind}_{part}" for kind in FILE_KINDS for part in ("code", "name")
)
ENGLISH_COLUMNS = tuple(f"{kind}_name_en" for kind in FILE_KINDS)
# Optional: a window's own department ("" = a comprehensive window serving
# several departments). Without the column it follows from the window's rows.
WINDOW_DEPARTMENT = "window_department_code"
EXPORT_COLUMNS = REQUIRED_COLUMNS + ENGLISH_COLUMNS + (WINDOW_DEPARTMENT,)

# The database's column lengths (models/org.py; a test holds them equal).
CODE_MAX = {
    "region": 32,
    "hall": 32,
    "department": 32,
    "window": 48,
    "service_item": 48,
}
NAME_MAX = {
    "region": 100,
    "hall": 200,
    "department": 200,
    "window": 200,
    "service_item": 200,
}
# Letters, digits, '.', '_' and '-': codes appear in addresses, file names and
# every export, and 政务服务 codes (division codes, 事项编码) fit.
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")

# What a unit hangs under: a hall in a region, a window in a hall, a service
# item in a department. A department's region is informational: set when the
# import creates it, never moved by a later import.
PARENT_KIND = {"hall": "region", "window": "hall", "service_item": "department"}


@dataclass(frozen=True)
class Problem:
    """A row (the header is row 1) and column that break a rule; `code` names
    the rule, `params` fill its message (translated by the caller)."""

    row: int
    column: str
    code: str
    params: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Unit:
    """One region, hall, department, window or service item."""

    kind: str
    code: str
    name: str
    # None: the file had no English column for this kind (keep what is stored).
    name_en: str | None = ""
    # The code of its region (hall, department), hall (window) or department
    # (service item); None for a region.
    parent: str | None = None
    # A window's department; None for a comprehensive window.
    department: str | None = None
    active: bool = True

    def fields(self) -> dict:
        return {
            "name": self.name,
            "name_en": self.name_en,
            "parent": self.parent,
            "department": self.department,
            "active": self.active,
        }


@dataclass
class Catalogue:
    """Units by kind and code, and which window offers which service item."""

    units: dict[str, dict[str, Unit]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    links: set[tuple[str, str]] = field(default_factory=set)

    def add(self, unit: Unit) -> None:
        self.units[unit.kind][unit.code] = unit

    def active(self) -> Catalogue:
        """Only the units in use, and the links between them."""
        kept = Catalogue()
        for kind in KINDS:
            for unit in self.units[kind].values():
                if unit.active:
                    kept.add(unit)
        windows, items = kept.units["window"], kept.units["service_item"]
        kept.links = {(w, i) for w, i in self.links if w in windows and i in items}
        return kept


def code_problem(kind: str, code: str) -> tuple[str, dict] | None:
    """Why `code` cannot be a `kind`'s code, or None."""
    if not code:
        return "empty_code", {}
    if len(code) > CODE_MAX[kind]:
        return "code_too_long", {"max": CODE_MAX[kind]}
    if not CODE_PATTERN.match(code):
        return "bad_code", {}
    return None


def name_problem(kind: str, name: str, *, required: bool = True) -> tuple | None:
    """Why `name` cannot be a `kind`'s name (English too), or None."""
    if required and not name:
        return "empty_name", {}
    if len(name) > NAME_MAX[kind]:
        return "name_too_long", {"max": NAME_MAX[kind]}
    return None


def export_rows(catalogue: Catalogue) -> list[list[str]]:
    """The file's rows (EXPORT_COLUMNS) for the units in use: one per service
    item a window offers, then one for each unit no such row names (a window
    without items, a hall without windows, an item at no window...), so that
    importing them gives back the same catalogue."""
    live = catalogue.active()
    units = live.units
    rows: list[list[str]] = []
    named: dict[str, set[str]] = {kind: set() for kind in KINDS}

    def row(region=None, hall=None, department=None, window=None, item=None):
        cells = {"region": region, "hall": hall, "department": department}
        cells.update(window=window, service_item=item)
        for kind, unit in cells.items():
            if unit is not None:
                named[kind].add(unit.code)
        codes = [
            value
            for kind in FILE_KINDS
            for value in (
                (cells[kind].code, cells[kind].name) if cells[kind] else ("", "")
            )
        ]
        english = [
            cells[kind].name_en or "" if cells[kind] else "" for kind in FILE_KINDS
        ]
        own = ""
        if window is not None:
            own = window.department or ""
        rows.append(codes + english + [own])

    def region_of(unit: Unit | None) -> Unit | None:
        return units["region"].get(unit.parent) if unit and unit.parent else None

    offered: dict[str, list[str]] = {}
    for window_code, item_code in sorted(live.links):
        offered.setdefault(window_code, []).append(item_code)
    for window in sorted(units["window"].values(), key=lambda u: u.code):
        hall = units["hall"].get(window.parent)
        if hall is None:  # its hall is retired: the window is not in use either
            continue
        for item_code in offered.get(window.code, []):
            item = units["service_item"][item_code]
            department = units["department"].get(item.parent)
            row(region_of(hall), hall, department, window, item)
        if window.code not in offered:
            row(
                region_of(hall),
                hall,
                units["department"].get(window.department),
                window,
            )
    for hall in sorted(units["hall"].values(), key=lambda u: u.code):
        if hall.code not in named["hall"]:
            row(region_of(hall), hall)
    for item in sorted(units["service_item"].values(), key=lambda u: u.code):
        department = units["department"].get(item.parent)
        if item.code not in named["service_item"] and department is not None:
            row(region_of(department), None, department, None, item)
    for department in sorted(units["department"].values(), key=lambda u: u.code):
        if department.code not in named["department"]:
            row(region_of(department), None, department)
    for region in sorted(units["region"].values(), key=lambda u: u.code):
        if region.code not in named["region"]:
            row(region)
    return rows
