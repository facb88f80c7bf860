"""Importing the organisation catalogue file (CSV or XLSX): read, plan, apply in
one transaction; and the uploads the office previews before applying."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from surveyapp.analysis.catalogue import KINDS
from surveyapp.analysis.catalogue_plan import (
    Change,
    Plan,
    plan_changes,
    reference_problems,
)
from surveyapp.analysis.catalogue_rows import read_catalogue_rows
from surveyapp.extensions import db
from surveyapp.models import CatalogueUpload, User, Window
from surveyapp.models.base import utcnow
from surveyapp.services.admin.users import audit
from surveyapp.services.memory import forget_all
from surveyapp.services.organisation.messages import message, problem_message
from surveyapp.services.organisation.units import MODELS, current_catalogue
from surveyapp.tables.reader import FileRefused, Limits, read_rows

UPLOAD_TTL = timedelta(days=1)


@dataclass(frozen=True)
class RowProblem:
    """A row of the file (the header is row 1), its column, and what is wrong."""

    row: int
    column: str
    message: object  # a lazy translated string


class CatalogueRefused(ValueError):
    """The file was refused as a whole; nothing was changed."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class StalePlan(ValueError):
    """The catalogue changed since the preview: the file would now do
    something else (`plan`)."""

    def __init__(self, plan: Plan):
        super().__init__("the catalogue changed since the preview")
        self.plan = plan


def read_catalogue_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows, the header first, each at the index of its row number
    (blank rows empty): the one place the catalogue reads a file, through the
    project's CSV/XLSX reader and its upload limits."""
    try:
        numbered = read_rows(
            data, filename, limits=Limits.from_config(current_app.config)
        )
    except FileRefused as exc:
        raise CatalogueRefused(
            [RowProblem(p.row, p.column, p.message) for p in exc.problems]
        ) from None
    rows: list[list[str]] = [[] for _ in range(numbered[-1][0])] if numbered else []
    for number, cells in numbered:
        rows[number - 1] = cells
    return rows


def plan_import(data: bytes, filename: str, *, retire_missing: bool = False) -> Plan:
    """What importing the file would change; CatalogueRefused lists every
    problem of every row."""
    parsed = read_catalogue_rows(read_catalogue_table(data, filename))
    current = current_catalogue()
    problems = parsed.problems or reference_problems(parsed, current)
    if problems:
        raise CatalogueRefused(
            [
                RowProblem(p.row, p.column, problem_message(p))
                for p in sorted(problems, key=lambda p: (p.row, p.column))
            ]
        )
    return plan_changes(current, parsed, retire_missing=retire_missing)


def import_catalogue(
    data: bytes,
    filename: str,
    *,
    retire_missing: bool = False,
    expected: str | None = None,
    actor: User | None = None,
    client_address: str | None = None,
    via: str = "cli",
) -> Plan:
    """Read, check and apply the file in one transaction. With `expected` (a
    preview's fingerprint) a plan that differs raises StalePlan instead."""
    plan = plan_import(data, filename, retire_missing=retire_missing)
    if expected is not None and plan.fingerprint() != expected:
        raise StalePlan(plan)
    if plan.empty:
        return plan
    try:
        apply_plan(plan)
        counts = {
            kind: {action: n for action, n in actions.items() if n}
            for kind, actions in plan.counts().items()
        }
        audit(
            actor,
            "org_import",
            filename[:120],
            {
                "via": via,
                "retire_missing": retire_missing,
                "changes": {kind: n for kind, n in counts.items() if n},
                "links_added": len(plan.links_added),
                "links_removed": len(plan.links_removed),
                "fingerprint": plan.fingerprint(),
            },
            client_address,
            commit=False,
        )
        db.session.commit()
        forget_all()  # the QR pages read these rows from the caches
    except IntegrityError:
        # Another change to the same codes committed first.
        db.session.rollback()
        raise CatalogueRefused([RowProblem(1, "", message("code_taken"))]) from None
    return plan


def apply_plan(plan: Plan) -> None:
    """Write the plan's changes to the session (the caller commits)."""
    objects = {
        kind: {row.code: row for row in db.session.scalars(_load(kind))}
        for kind in KINDS
    }
    for kind in KINDS:  # parents before their children
        for change in (c for c in plan.changes if c.kind == kind):
            row = objects[kind].get(change.code)
            if row is None:
                row = objects[kind][change.code] = MODELS[kind](code=change.code)
                db.session.add(row)
            _write(row, change, objects)
    for window, item in plan.links_added:
        objects["window"][window].service_items.append(objects["service_item"][item])
    for window, item in plan.links_removed:
        objects["window"][window].service_items.remove(objects["service_item"][item])
    db.session.flush()


def _load(kind: str):
    query = select(MODELS[kind])
    if kind == "window":
        query = query.options(selectinload(Window.service_items))
    return query


def _write(row, change: Change, objects: dict) -> None:
    after = change.after
    row.name, row.name_en, row.active = after.name, after.name_en or "", after.active
    if change.kind == "hall":
        row.region = objects["region"][after.parent]
    elif change.kind == "department":
        row.region = objects["region"].get(after.parent) if after.parent else None
    elif change.kind == "window":
        row.hall = objects["hall"][after.parent]
        row.department = (
            objects["department"].get(after.department) if after.department else None
        )
    elif change.kind == "service_item":
        row.department = objects["department"][after.parent]


def keep_upload(user: User, filename: str, data: bytes) -> str:
    """Keep a file for its apply; returns the key the preview carries. A
    user's earlier uploads, and anybody's older than a day, go."""
    db.session.execute(
        delete(CatalogueUpload).where(
            (CatalogueUpload.user_id == user.id)
            | (CatalogueUpload.created_at < utcnow() - UPLOAD_TTL)
        )
    )
    token = secrets.token_hex(16)
    db.session.add(
        CatalogueUpload(
            token=token, user_id=user.id, filename=filename[:200], data=data
        )
    )
    db.session.commit()
    return token


def upload_for(user: User, token: str) -> CatalogueUpload | None:
    """The user's kept upload under that key, if not expired."""
    return db.session.scalar(
        select(CatalogueUpload).where(
            CatalogueUpload.token == token,
            CatalogueUpload.user_id == user.id,
            CatalogueUpload.created_at >= utcnow() - UPLOAD_TTL,
        )
    )


def discard_upload(upload: CatalogueUpload) -> None:
    db.session.delete(upload)
    db.session.commit()
