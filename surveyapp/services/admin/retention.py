"""PIPL retention: clear personal fields of old records, keep the anonymous answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, true, update

from surveyapp import models
from surveyapp.extensions import db
from surveyapp.services.admin.users import audit

# (model, the timestamp that ages it, its personal fields). Models and fields
# that do not exist (yet) are skipped, so this list can name what other
# capabilities add. Answers, scores, verdicts, hall and time stay: the indices
# need them and they identify nobody.
PERSONAL_FIELDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Response",
        "submitted_at",
        ("ip_hash", "device_hash", "phone_hash", "phone_encrypted", "contact_consent"),
    ),
    ("ServiceTransaction", "occurred_at", ("phone_hash", "phone_encrypted")),
)


@dataclass
class PurgeResult:
    """What a purge cleared (or, in a dry run, would clear), per table and field."""

    before: datetime
    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)
    fields: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def default_cutoff(retention_days: int, today: date | None = None) -> date:
    return (today or date.today()) - timedelta(days=retention_days)


def cutoff_instant(day: date, timezone: str) -> datetime:
    """Midnight at the start of `day` in the city's time zone, as naive UTC
    (how timestamps are stored)."""
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _cleared_value(column):
    """None where the column allows it; otherwise the type's empty value."""
    if column.nullable:
        return None
    python_type = column.type.python_type
    return False if python_type is bool else python_type()


def _is_set(column):
    if column.type.python_type is bool:
        return column == true()
    if column.nullable:
        return column.is_not(None) & (column != "")
    return column != ""


def personal_columns() -> list[tuple[type, object, list]]:
    """The (model, age column, personal columns) that exist in this build."""
    found = []
    for model_name, age_name, names in PERSONAL_FIELDS:
        model = getattr(models, model_name, None)
        if model is None or not hasattr(model, age_name):
            continue
        table = model.__table__
        columns = [table.c[name] for name in names if name in table.c]
        if columns:
            found.append((model, getattr(model, age_name), columns))
    return found


def purge_personal_data(
    before: datetime, *, dry_run: bool = False, user=None
) -> PurgeResult:
    """Clear personal fields of every record older than `before` (naive UTC),
    in one transaction, and record it in the audit log."""
    result = PurgeResult(before=before, dry_run=dry_run)
    for model, age, columns in personal_columns():
        table = model.__tablename__
        count = select(func.count()).select_from(model.__table__)
        old = age < before
        result.fields[table] = {
            c.name: db.session.scalar(count.where(old, _is_set(c))) for c in columns
        }
        holding = old & or_(*[_is_set(c) for c in columns])
        result.rows[table] = db.session.scalar(count.where(holding))
        if not dry_run and result.rows[table]:
            db.session.execute(
                update(model.__table__)
                .where(holding)
                .values({c.name: _cleared_value(c) for c in columns})
            )
    if dry_run:
        db.session.rollback()
        return result
    audit(
        user,
        "retention_purge",
        before.isoformat(),
        {"rows": result.rows, "fields": result.fields},
        commit=False,
    )
    db.session.commit()
    return result
