"""Inputs of an index run: periods, the response frame and the transaction volumes."""

from __future__ import annotations

import subprocess
from datetime import datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from surveyapp.analysis import periods
from surveyapp.analysis.index import TOTAL
from surveyapp.analysis.periods import Period, PeriodError
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
from surveyapp.services.responses.counting import verdict_counts

LEVELS = ("hall", "department", "window", "service_item", "region")
DRIVER_KEYS = [key for key, _zh, _en in DRIVERS]
EXCLUSION_REASONS = ("rejected", "flagged", "missing_drivers", "no_unit")
RUN_STATUSES_VISIBLE = ("published", "draft")


class IndexRunError(ValueError):
    """A run that cannot be computed, published or superseded as asked."""


class InvalidPeriod(IndexRunError, PeriodError):
    """A period text that names no period (analysis/periods.py says why)."""


def parse_period(text: str) -> Period:
    """analysis.periods.parse_period, its error as an IndexRunError too."""
    try:
        return periods.parse_period(text)
    except PeriodError as exc:
        raise InvalidPeriod(str(exc)) from None


def months_of(period: Period) -> list[str]:
    return period.months()


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
    # The responses that count (services/responses/counting.py): the same as
    # the office's summary, the cases and the API; the index may leave out
    # more of them (flagged, unless INDEX_INCLUDE_FLAGGED; missing drivers).
    frame["counted"] = [verdict_counts(v) for v in verdicts]
    for verdict, answered, unit in zip(verdicts, share, frame["unit_id"], strict=True):
        if not verdict_counts(verdict):
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
