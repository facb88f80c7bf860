"""Index runs: compute from responses and volumes, freeze, publish and supersede."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveyapp.extensions import db
from surveyapp.models import IndexResult, IndexRun, User
from surveyapp.models.base import utcnow
from surveyapp.services.indices.computing import (
    compute_run,
    run_parameters,
    run_settings,
    verify_run,
)
from surveyapp.services.indices.inputs import (
    DRIVER_KEYS,
    EXCLUSION_REASONS,
    LEVELS,
    RUN_STATUSES_VISIBLE,
    IndexRunError,
    InvalidPeriod,
    Period,
    months_of,
    parse_period,
)

__all__ = [
    "Comparison",
    "ahp_check",
    "compare_runs",
    "compute_run",
    "get_run",
    "list_runs",
    "pairwise_matrix",
    "period_not_ended",
    "publish_run",
    "run_parameters",
    "run_settings",
    "supersede_run",
    "verify_run",
    "DRIVER_KEYS",
    "EXCLUSION_REASONS",
    "LEVELS",
    "RUN_STATUSES_VISIBLE",
    "IndexRunError",
    "InvalidPeriod",
    "Period",
    "months_of",
    "parse_period",
]


def get_run(run_id: int) -> IndexRun:
    run = db.session.scalar(
        select(IndexRun)
        .where(IndexRun.id == run_id)
        .options(selectinload(IndexRun.results))
    )
    if run is None:
        raise IndexRunError(f"no index run {run_id}")
    return run


def list_runs(
    *, period: str | None = None, level: str | None = None, status: str | None = None
) -> list[IndexRun]:
    query = select(IndexRun).order_by(IndexRun.id.desc())
    if period:
        query = query.where(IndexRun.period == period)
    if level:
        query = query.where(IndexRun.level == level)
    if status:
        query = query.where(IndexRun.status == status)
    return list(db.session.scalars(query))


def period_not_ended(run: IndexRun, today: date | None = None) -> bool:
    """Whether the run's period is still going on (local days): its figures
    will change as responses come in, so publishing it earns a warning."""
    if today is None:
        tz = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
        today = datetime.now(tz).date()
    period = Period(run.period, run.period_start, run.period_end)
    return not period.has_ended(today)


def publish_run(run: IndexRun, user: User | None = None) -> IndexRun:
    from surveyapp.services.admin.users import audit

    if run.status != "draft":
        raise IndexRunError(f"run {run.id} is {run.status}; only a draft is published")
    run.status = "published"
    run.published_at = utcnow()
    db.session.commit()
    audit(user, "publish_index_run", f"index_run:{run.id}")
    return run


def supersede_run(
    old: IndexRun, new: IndexRun, reason: str, user: User | None = None
) -> IndexRun:
    """Publish ``new`` in place of the published ``old``; both stay visible."""
    from surveyapp.services.admin.users import audit

    reason = (reason or "").strip()
    if not reason:
        raise IndexRunError("superseding a published run needs a reason")
    if old.status != "published":
        raise IndexRunError(f"run {old.id} is {old.status}; only a published run")
    if new.status != "draft" or new.id == old.id:
        raise IndexRunError(f"run {new.id} must be a different draft run")
    if (new.period, new.level) != (old.period, old.level):
        raise IndexRunError("the correction must be for the same period and level")
    old.status = "superseded"
    new.supersedes_id = old.id
    new.supersede_reason = reason
    new.status = "published"
    new.published_at = utcnow()
    db.session.commit()
    audit(
        user,
        "supersede_index_run",
        f"index_run:{old.id}",
        {"by": new.id, "reason": reason},
    )
    return new


def pairwise_matrix(judgements: dict[tuple[int, int], float], size: int) -> list:
    """A reciprocal matrix from the upper-triangle judgements a[i][j], i < j."""
    matrix = [[1.0] * size for _ in range(size)]
    for (i, j), value in judgements.items():
        if not value > 0:
            raise IndexRunError(f"judgement {i + 1}-{j + 1} must be positive")
        matrix[i][j], matrix[j][i] = float(value), 1.0 / float(value)
    return matrix


def ahp_check(matrix: list) -> dict:
    """Weights and consistency ratio of pairwise judgements of the drivers."""
    from surveyapp.analysis.weights import ahp_weights

    try:
        result = ahp_weights(matrix)
    except ValueError as exc:
        raise IndexRunError(str(exc)) from None
    return {
        "weights": dict(zip(DRIVER_KEYS, map(float, result.weights), strict=True)),
        "cr": max(0.0, float(result.cr)),
        "consistent": result.cr <= current_app.config["INDEX_AHP_MAX_CR"],
    }


@dataclass(frozen=True)
class Comparison:
    unit_code: str
    unit_name: str
    before: IndexResult | None
    after: IndexResult | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        if self.before.index is None or self.after.index is None:
            return None
        return self.after.index - self.before.index

    @property
    def change_se(self) -> float | None:
        """Independent samples: se of the difference."""
        if self.change is None or self.before.se is None or self.after.se is None:
            return None
        return float(np.hypot(self.before.se, self.after.se))

    @property
    def significant(self) -> bool | None:
        """|change| > 1.96 se of the change (normal, two-sided 5%)."""
        if self.change_se is None:
            return None
        return abs(self.change) > 1.96 * self.change_se


def compare_runs(before: IndexRun, after: IndexRun) -> list[Comparison]:
    """Units of two runs of the same level side by side, in the later run's order."""
    if before.level != after.level:
        raise IndexRunError("compare runs of the same level")
    old = {r.unit_code: r for r in before.results}
    rows = [
        Comparison(r.unit_code, r.unit_name, old.pop(r.unit_code, None), r)
        for r in after.results
    ]
    rows += [Comparison(code, r.unit_name, r, None) for code, r in old.items()]
    return rows
