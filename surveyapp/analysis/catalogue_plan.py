"""The changes a catalogue file makes to the stored catalogue: what is added,
renamed, moved, restored and retired, per kind, and which window-item links
come and go. A plan has a fingerprint, so a preview is applied only while it
still describes what would happen."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from surveyapp.analysis.catalogue import (
    KINDS,
    WINDOW_DEPARTMENT,
    Catalogue,
    Problem,
    Unit,
)
from surveyapp.analysis.catalogue_rows import CatalogueFile

ACTIONS = ("added", "renamed", "moved", "restored", "retired")


@dataclass(frozen=True)
class Change:
    """One unit's change: `before` is None when it is new; `row` is the
    file's first row naming it (None when retired for being absent)."""

    kind: str
    code: str
    actions: tuple[str, ...]
    before: Unit | None
    after: Unit
    row: int | None


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    links_added: tuple[tuple[str, str], ...]
    links_removed: tuple[tuple[str, str], ...]
    retire_missing: bool

    @property
    def empty(self) -> bool:
        return not (self.changes or self.links_added or self.links_removed)

    def of(self, kind: str, action: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind and action in c.actions]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per kind, the number of units with each action."""
        counts = {kind: dict.fromkeys(ACTIONS, 0) for kind in KINDS}
        for change in self.changes:
            for action in change.actions:
                counts[change.kind][action] += 1
        return counts

    def fingerprint(self) -> str:
        """SHA-256 of everything the plan would do, in a canonical form."""
        body = {
            "retire_missing": self.retire_missing,
            "changes": [
                [c.kind, c.code, list(c.actions), _fields(c.before), _fields(c.after)]
                for c in self.changes
            ],
            "links_added": [list(link) for link in self.links_added],
            "links_removed": [list(link) for link in self.links_removed],
        }
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fields(unit: Unit | None) -> dict | None:
    return None if unit is None else unit.fields()


def reference_problems(parsed: CatalogueFile, current: Catalogue) -> list[Problem]:
    """A window's own department must be in the file or already stored."""
    problems = []
    listed = parsed.catalogue.units["department"]
    for window in parsed.catalogue.units["window"].values():
        own = window.department
        if (
            parsed.has_window_department
            and own
            and own not in listed
            and own not in current.units["department"]
        ):
            row = parsed.first_row[("window", window.code)]
            problems.append(Problem(row, WINDOW_DEPARTMENT, "unknown_department"))
    return problems


def plan_changes(
    current: Catalogue, parsed: CatalogueFile, *, retire_missing: bool = False
) -> Plan:
    """What importing `parsed` into `current` changes. Units the file does not
    list are retired, and links it does not list removed, only with
    `retire_missing`."""
    desired = parsed.catalogue
    changes: list[Change] = []
    for kind in KINDS:
        stored = current.units[kind]
        for code in sorted(desired.units[kind]):
            want = desired.units[kind][code]
            row = parsed.first_row.get((kind, code))
            have = stored.get(code)
            if have is None:
                after = replace(want, name_en=want.name_en or "")
                changes.append(Change(kind, code, ("added",), None, after, row))
                continue
            after, actions = _update(have, want)
            if actions:
                changes.append(Change(kind, code, actions, have, after, row))
        if retire_missing:
            for code in sorted(set(stored) - set(desired.units[kind])):
                have = stored[code]
                if have.active:
                    after = replace(have, active=False)
                    changes.append(Change(kind, code, ("retired",), have, after, None))
    added = sorted(desired.links - current.links)
    # A window the file lists keeps only the items the file lists for it; a
    # retired unit keeps its links (they come back if it is restored).
    removed = sorted(
        (window, item)
        for window, item in current.links - desired.links
        if retire_missing
        and window in desired.units["window"]
        and item in desired.units["service_item"]
    )
    return Plan(tuple(changes), tuple(added), tuple(removed), retire_missing)


def _update(have: Unit, want: Unit) -> tuple[Unit, tuple[str, ...]]:
    """The stored unit as the file wants it, and what that changes."""
    name_en = have.name_en if want.name_en is None else want.name_en
    # A department's region is set when it is created, not by later files.
    parent = have.parent if want.kind == "department" else want.parent
    department = want.department if want.kind == "window" else have.department
    after = replace(
        have,
        name=want.name,
        name_en=name_en,
        parent=parent,
        department=department,
        active=True,
    )
    actions = []
    if not have.active:
        actions.append("restored")
    if (after.name, after.name_en) != (have.name, have.name_en):
        actions.append("renamed")
    if (after.parent, after.department) != (have.parent, have.department):
        actions.append("moved")
    return after, tuple(actions)
