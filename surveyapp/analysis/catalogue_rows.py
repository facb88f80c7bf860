"""Reading a catalogue file's rows into the catalogue it describes, with every
problem of every row (nothing is half-read: any problem refuses the file)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from surveyapp.analysis.catalogue import (
    ENGLISH_COLUMNS,
    FILE_KINDS,
    REQUIRED_COLUMNS,
    WINDOW_DEPARTMENT,
    Catalogue,
    Problem,
    Unit,
    code_problem,
    name_problem,
)

# The column that holds the parent a unit is compared on, per kind.
_PARENT_COLUMN = {"hall": "region_code", "window": "hall_code"}
_PARENT_COLUMN["service_item"] = "department_code"


@dataclass
class CatalogueFile:
    """What a file says: the catalogue, the row where each unit first appears,
    which kinds carry English names, and the problems found."""

    catalogue: Catalogue = field(default_factory=Catalogue)
    first_row: dict[tuple[str, str], int] = field(default_factory=dict)
    english: frozenset[str] = frozenset()
    has_window_department: bool = False
    problems: list[Problem] = field(default_factory=list)


def read_catalogue_rows(rows: list[list[str]]) -> CatalogueFile:
    """The catalogue in a table's rows (the first is the header)."""
    result = CatalogueFile()
    if not rows or not any(str(cell).strip() for cell in rows[0]):
        result.problems.append(Problem(1, "", "empty_file"))
        return result
    header = [str(cell).strip().lower() for cell in rows[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        result.problems.extend(Problem(1, c, "missing_column") for c in missing)
        return result
    position = {name: header.index(name) for name in reversed(header)}
    result.english = frozenset(
        kind
        for kind, column in zip(FILE_KINDS, ENGLISH_COLUMNS, strict=True)
        if column in position
    )
    result.has_window_department = WINDOW_DEPARTMENT in position
    reader = _Reader(result, position)
    for number, row in enumerate(rows[1:], start=2):
        cells = [str(cell).strip() for cell in row]
        if any(cells):
            reader.read(number, cells)
    if reader.rows == 0 and not result.problems:
        result.problems.append(Problem(2, "", "no_rows"))
    reader.finish()
    return result


class _Reader:
    """Row by row: each row's own checks, then its agreement with earlier rows."""

    def __init__(self, result: CatalogueFile, position: dict[str, int]):
        self.result = result
        self.position = position
        self.rows = 0
        # code -> (row, unit) where a unit is first seen; its window's rows'
        # departments, its department's rows' regions.
        self.seen: dict[tuple[str, str], tuple[int, Unit]] = {}
        self.window_departments: dict[str, set[str]] = {}
        self.department_regions: dict[str, set[str]] = {}
        self.links: dict[tuple[str, str], int] = {}
        self.own_department: dict[str, tuple[int, str]] = {}

    def cell(self, cells: list[str], column: str) -> str:
        index = self.position.get(column)
        return cells[index] if index is not None and index < len(cells) else ""

    def problem(self, row: int, column: str, rule: str, /, **params) -> None:
        self.result.problems.append(Problem(row, column, rule, params))

    def read(self, number: int, cells: list[str]) -> None:
        present = self._present(cells)
        if not present:
            return  # only columns this file format ignores
        self.rows += 1
        before = len(self.result.problems)
        units: dict[str, Unit] = {}
        for kind in FILE_KINDS:
            unit = self._unit(number, cells, kind)
            if unit is not None:
                units[kind] = unit
        self._structure(number, present)
        if len(self.result.problems) > before:
            return  # compared with other rows only once it is sound itself
        region, department = units.get("region"), units.get("department")
        hall, window = units.get("hall"), units.get("window")
        item = units.get("service_item")
        if hall:
            units["hall"] = replace(hall, parent=region.code)
        if window:
            units["window"] = replace(window, parent=hall.code)
            departments = self.window_departments.setdefault(window.code, set())
            if department:
                departments.add(department.code)
            if self.result.has_window_department:
                self._own_department(number, window.code, cells)
        if item:
            units["service_item"] = replace(item, parent=department.code)
        if department and region:
            self.department_regions.setdefault(department.code, set()).add(region.code)
        for unit in units.values():
            self._agree(number, unit)
        if window and item:
            earlier = self.links.setdefault((window.code, item.code), number)
            if earlier != number:
                self.problem(number, "service_item_code", "duplicate_link", row=earlier)

    def _unit(self, number: int, cells: list[str], kind: str) -> Unit | None:
        code = self.cell(cells, f"{kind}_code")
        name = self.cell(cells, f"{kind}_name")
        name_en = self.cell(cells, f"{kind}_name_en")
        if not code and not name and not name_en:
            return None
        sound = True
        for column, found in (
            (f"{kind}_code", code_problem(kind, code)),
            (f"{kind}_name", name_problem(kind, name)),
            (f"{kind}_name_en", name_problem(kind, name_en, required=False)),
        ):
            if found is not None:
                self.problem(number, column, found[0], **found[1])
                sound = False
        if not sound:
            return None
        english = name_en if kind in self.result.english else None
        return Unit(kind, code, name, english)

    def _present(self, cells: list[str]) -> set[str]:
        return {
            kind
            for kind in FILE_KINDS
            if any(
                self.cell(cells, f"{kind}_{part}")
                for part in ("code", "name", "name_en")
            )
        }

    def _structure(self, number: int, present: set[str]) -> None:
        """A hall needs its region, a window its hall, a service item its
        department."""
        for kind, needs in (
            ("hall", "region"),
            ("window", "hall"),
            ("service_item", "department"),
        ):
            if kind in present and needs not in present:
                self.problem(number, f"{needs}_code", f"needs_{needs}", kind=kind)

    def _own_department(self, number: int, window: str, cells: list[str]) -> None:
        own = self.cell(cells, WINDOW_DEPARTMENT)
        if own and code_problem("department", own) is not None:
            self.problem(number, WINDOW_DEPARTMENT, "bad_code")
            return
        earlier = self.own_department.setdefault(window, (number, own))
        if earlier[1] != own:
            self.problem(
                number,
                WINDOW_DEPARTMENT,
                "conflict_department",
                code=window,
                other=earlier[1] or "-",
                row=earlier[0],
            )

    def _agree(self, number: int, unit: Unit) -> None:
        key = (unit.kind, unit.code)
        if key not in self.seen:
            self.seen[key] = (number, unit)
            self.result.first_row[key] = number
            return
        row, first = self.seen[key]
        if unit.name != first.name:
            self.problem(
                number,
                f"{unit.kind}_name",
                "conflict_name",
                code=unit.code,
                other=first.name,
                row=row,
            )
        if unit.name_en != first.name_en:
            self.problem(
                number,
                f"{unit.kind}_name_en",
                "conflict_name",
                code=unit.code,
                other=first.name_en,
                row=row,
            )
        if unit.kind in _PARENT_COLUMN and unit.parent != first.parent:
            self.problem(
                number,
                _PARENT_COLUMN[unit.kind],
                f"conflict_{unit.kind}_parent",
                code=unit.code,
                other=first.parent,
                row=row,
            )

    def finish(self) -> None:
        """Build the catalogue: each unit as first seen, a window's department
        (its own column, else the one department its rows name), a
        department's region (the one region its rows name)."""
        result = self.result
        if result.problems:
            return
        for (kind, code), (_row, unit) in self.seen.items():
            if kind == "window":
                if result.has_window_department:
                    # A department the file does not list may still be in the
                    # database: the plan checks (catalogue_plan.py).
                    unit = replace(
                        unit, department=self.own_department[code][1] or None
                    )
                else:
                    named = self.window_departments.get(code, set())
                    unit = replace(
                        unit, department=next(iter(named)) if len(named) == 1 else None
                    )
            elif kind == "department":
                regions = self.department_regions.get(code, set())
                unit = replace(
                    unit, parent=next(iter(regions)) if len(regions) == 1 else None
                )
            result.catalogue.add(unit)
        result.catalogue.links = set(self.links)
