"""Inputs of an index run: periods, the response frame and the transaction volumes."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import select

from surveyapp.analysis.index import TOTAL
from surveyapp.analysis.periods import FIRST_YEAR, LAST_YEAR
from surveyapp.extensions import db
from surveyapp.models import (
    Department,
    Hall,
    Region,
    Response,
    ServiceItem,
    TransactionVolume,
    Window,
)
from surveyapp.services.questionnaires.default import DRIVERS
from surveyapp.services.questionnaires.definitions import driver_values
from surveyapp.services.questionnaires.drivers import version_definitions, versions_note

LEVELS = ("hall", "department", "window", "service_item", "region")
DRIVER_KEYS = [key for key, _zh, _en in DRIVERS]
EXCLUSION_REASONS = ("rejected", "flagged", "missing_drivers", "no_unit")
RUN_STATUSES_VISIBLE = ("published", "draft")


class IndexRunError(ValueError):
    """A run that cannot be computed, published or superseded as asked."""


@dataclass(frozen=True)
class Period:
    label: str
    start: date  # first local day
    end: date  # last local day, inclusive

    def utc_bounds(self, tz: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(tz)

        def to_utc(day: date) -> datetime:
            local = datetime(day.year, day.month, day.day, tzinfo=zone)
            return local.astimezone(UTC).replace(tzinfo=None)

        return to_utc(self.start), to_utc(self.end + timedelta(days=1))


def _month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def parse_period(text: str) -> Period:
    """2026, 2026-Q3, 2026-07 or 2026-07-01..2026-09-30 (local dates, inclusive),
    in the years FIRST_YEAR..LAST_YEAR (`9999` is no period: its end in UTC
    would be past the calendar)."""
    period = _parse_period(text)
    if not (FIRST_YEAR <= period.start.year and period.end.year <= LAST_YEAR):
        raise IndexRunError(
            f"period {period.label!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}"
        )
    return period


def _parse_period(text: str) -> Period:
    value = (text or "").strip()
    try:
        if m := re.fullmatch(r"([0-9]{4})", value):
            year = int(m[1])
            return Period(value, date(year, 1, 1), date(year, 12, 31))
        if m := re.fullmatch(r"([0-9]{4})-[Qq]([1-4])", value):
            year, q = int(m[1]), int(m[2])
            return Period(
                f"{year}-Q{q}",
                date(year, 3 * q - 2, 1),
                _month_end(year, 3 * q),
            )
        if m := re.fullmatch(r"([0-9]{4})-([0-9]{2})", value):
            year, month = int(m[1]), int(m[2])
            return Period(value, date(year, month, 1), _month_end(year, month))
        if m := re.fullmatch(
            r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})", value
        ):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end < start:
                raise IndexRunError(f"period {value!r} ends before it starts")
            return Period(value, start, end)
    except ValueError as exc:
        if isinstance(exc, IndexRunError):
            raise
        raise IndexRunError(f"period {value!r}: {exc}") from None
    raise IndexRunError(
        f"period {value!r} not understood: use 2026, 2026-Q3, 2026-07 or "
        "2026-07-01..2026-09-30"
    )


def months_of(period: Period) -> list[str]:
    months, day = [], period.start.replace(day=1)
    while day <= period.end:
        months.append(f"{day.year:04d}-{day.month:02d}")
        day = _month_end(day.year, day.month) + timedelta(days=1)
    return months


@cache
def code_version() -> str:
    """`git describe` of the checkout, else the package version."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--tags", "--dirty"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip()[:64]
    except (OSError, subprocess.SubprocessError):
        from importlib import metadata

        try:
            return metadata.version("surveyapp")
        except metadata.PackageNotFoundError:
            return "unknown"


def unit_names(level: str) -> dict[str, tuple[str, str]]:
    """code, name per unit key for the level."""
    model = {
        "hall": Hall,
        "window": Window,
        "service_item": ServiceItem,
        "department": Department,
        "region": Region,
    }[level]
    return {row.id: (row.code, row.name) for row in db.session.scalars(select(model))}


def load_frame(
    period: Period,
    level: str,
    cutoff: datetime,
    include_flagged: bool,
    tz: str,
    min_driver_share: float = 0.5,
) -> pd.DataFrame:
    """One row per response of the period entered before the cut-off, with its unit,
    cells (hall, item, local month), window and local day (its cluster), answers
    and exclusion reason ('' = included; ``missing_drivers`` when fewer than
    ``min_driver_share`` of the drivers were answered)."""
    start, end = period.utc_bounds(tz)
    query = (
        select(
            Response.id,
            Response.hall_id,
            Response.window_id,
            Response.service_item_id,
            Response.submitted_at,
            Response.overall,
            Response.answers,
            Response.verdict,
            Response.version_id,
        )
        .where(Response.submitted_at >= start, Response.submitted_at < end)
        .where(Response.created_at <= cutoff)
        .order_by(Response.id)
    )
    rows = db.session.execute(query).all()
    columns = ["id", "hall_id", "window_id", "item_id", "submitted_at", "overall"]
    frame = pd.DataFrame([r[:6] for r in rows], columns=columns)
    if frame.empty:
        return frame
    # Each response's drivers as the version it answered asks them.
    versions = version_definitions(r.version_id for r in rows)
    given = [driver_values(versions[r.version_id][1], r.answers or {}) for r in rows]
    for key in DRIVER_KEYS:
        frame[key] = [_rating(values.get(key)) for values in given]
    frame["overall"] = [_rating(v) for v in frame["overall"]]
    local = (
        pd.to_datetime(frame["submitted_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
    )
    frame["month"] = local.dt.strftime("%Y-%m")
    frame["day"] = local.dt.strftime("%Y-%m-%d")
    frame["window"] = frame["window_id"]
    halls = dict(db.session.execute(select(Hall.id, Hall.code)).all())
    items = dict(db.session.execute(select(ServiceItem.id, ServiceItem.code)).all())
    frame["hall"] = frame["hall_id"].map(halls)
    frame["item"] = [
        items.get(i, "?") if pd.notna(i) else "?" for i in frame["item_id"]
    ]
    frame["unit_id"] = _unit_ids(frame, level)
    verdicts = [r.verdict for r in rows]
    share = frame[DRIVER_KEYS].notna().mean(axis=1)
    reasons = []
    for verdict, answered, unit in zip(verdicts, share, frame["unit_id"], strict=True):
        if verdict == "rejected":
            reasons.append("rejected")
        elif verdict == "flagged" and not include_flagged:
            reasons.append("flagged")
        elif answered < min_driver_share or answered == 0:
            reasons.append("missing_drivers")
        elif pd.isna(unit):
            reasons.append("no_unit")
        else:
            reasons.append("")
    frame["reason"] = reasons
    used = sorted(
        {r.version_id for r, why in zip(rows, reasons, strict=True) if not why}
    )
    note = versions_note([versions[v] for v in used], DRIVER_KEYS)
    frame.attrs["method_notes"] = [note] if note else []
    return frame


def _rating(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return np.nan
    return number if 1 <= number <= 5 else np.nan


def _unit_ids(frame: pd.DataFrame, level: str) -> pd.Series:
    if level == "hall":
        return frame["hall_id"]
    if level == "window":
        return frame["window_id"]
    if level == "service_item":
        return frame["item_id"]
    if level == "region":
        regions = dict(db.session.execute(select(Hall.id, Hall.region_id)).all())
        return frame["hall_id"].map(regions)
    item_dept = dict(
        db.session.execute(select(ServiceItem.id, ServiceItem.department_id)).all()
    )
    win_dept = dict(db.session.execute(select(Window.id, Window.department_id)).all())
    return pd.Series(
        [
            item_dept.get(i) if pd.notna(i) and item_dept.get(i) else win_dept.get(w)
            for i, w in zip(frame["item_id"], frame["window_id"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )


def load_volumes(period: Period) -> pd.DataFrame:
    months = months_of(period)
    query = (
        select(
            Hall.code,
            ServiceItem.code,
            TransactionVolume.month,
            TransactionVolume.count,
        )
        .outerjoin(Hall, Hall.id == TransactionVolume.hall_id)
        .outerjoin(ServiceItem, ServiceItem.id == TransactionVolume.service_item_id)
        .where(TransactionVolume.month.in_(months))
        .order_by(TransactionVolume.id)
    )
    rows = [(h or TOTAL, i or TOTAL, m, c) for h, i, m, c in db.session.execute(query)]
    frame = pd.DataFrame(rows, columns=["hall", "item", "month", "count"])
    return frame.sort_values(["month", "hall", "item"], ignore_index=True)
