"""Index runs: compute from responses and volumes, freeze, publish and supersede."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveyapp.analysis.design import RakingConvergenceError
from surveyapp.analysis.index import (
    METHODS,
    PointsRule,
    dimension_weights,
    unit_indices,
)
from surveyapp.extensions import db
from surveyapp.models import IndexResult, IndexRun, User
from surveyapp.models.base import utcnow
from surveyapp.services.indices.inputs import (
    DRIVER_KEYS,
    EXCLUSION_REASONS,
    LEVELS,
    RUN_STATUSES_VISIBLE,
    IndexRunError,
    Period,
    code_version,
    load_frame,
    load_volumes,
    months_of,
    parse_period,
    unit_names,
)

__all__ = [
    "Comparison",
    "ahp_check",
    "compare_runs",
    "compute_run",
    "get_run",
    "list_runs",
    "pairwise_matrix",
    "publish_run",
    "supersede_run",
    "DRIVER_KEYS",
    "EXCLUSION_REASONS",
    "LEVELS",
    "RUN_STATUSES_VISIBLE",
    "IndexRunError",
    "Period",
    "months_of",
    "parse_period",
]


def _inputs_digest(frame: pd.DataFrame, volumes: pd.DataFrame, params: dict) -> str:
    digest = hashlib.sha256()
    columns = [
        "id",
        "unit_id",
        "hall",
        "item",
        "month",
        "overall",
        *DRIVER_KEYS,
        "reason",
    ]
    digest.update(frame[columns].to_csv(index=False).encode())
    digest.update(volumes.to_csv(index=False).encode())
    digest.update(repr(sorted(params.items())).encode())
    return digest.hexdigest()


def _clean(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else round(value, 10)


def compute_run(
    period_text: str,
    level: str,
    method: str = "fixed",
    *,
    fixed: dict[str, float] | None = None,
    pairwise: list[list[float]] | None = None,
    override_cr: bool = False,
    cutoff: datetime | None = None,
    user: User | None = None,
) -> IndexRun:
    """Compute and store a draft run; the same inputs give the same numbers."""
    config = current_app.config
    if level not in LEVELS:
        raise IndexRunError(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    if method not in METHODS:
        raise IndexRunError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    period = parse_period(period_text)
    cutoff = cutoff or utcnow().replace(microsecond=0)
    tz = config.get("TIMEZONE", "Asia/Shanghai")
    include_flagged = bool(config["INDEX_INCLUDE_FLAGGED"])
    frame = load_frame(period, level, cutoff, include_flagged, tz)
    if frame.empty:
        raise IndexRunError(f"no responses in {period.label} before the cut-off")
    included = frame[frame["reason"] == ""].copy()
    if included.empty:
        raise IndexRunError(f"every response of {period.label} is excluded")
    included["unit"] = included["unit_id"].astype(int)
    volumes = load_volumes(period)
    points = PointsRule(
        **{
            **config["INDEX_POINTS"],
            "bands": tuple(tuple(b) for b in config["INDEX_POINTS"]["bands"]),
        }
    )
    drivers100 = (included[DRIVER_KEYS] - 1) * 25.0
    try:
        weights, details = dimension_weights(
            method,
            drivers100,
            included["overall"],
            included["unit"],
            fixed=fixed
            or config["INDEX_DIMENSION_WEIGHTS"]
            or dict.fromkeys(DRIVER_KEYS, 1 / len(DRIVER_KEYS)),
            pairwise=pairwise,
            max_cr=config["INDEX_AHP_MAX_CR"],
            override=override_cr,
        )
        table = unit_indices(
            included,
            drivers=DRIVER_KEYS,
            weights=weights,
            volumes=volumes,
            min_n_eff=config["INDEX_MIN_N_EFF"],
            trim_ratio=config["INDEX_TRIM_UPPER"] or None,
            points=points,
        )
    except (ValueError, RakingConvergenceError) as exc:
        raise IndexRunError(str(exc)) from None
    params = {
        "min_n_eff": config["INDEX_MIN_N_EFF"],
        "include_flagged": include_flagged,
        "trim_upper": config["INDEX_TRIM_UPPER"],
        "points": points.to_dict(),
        "timezone": tz,
        "min_driver_share": 0.5,
        "fixed_weights": fixed if method == "fixed" and fixed else None,
        "pairwise": pairwise if method == "ahp" else None,
        "override_cr": override_cr if method == "ahp" else None,
        "method_details": details,
        "strata": "hall",
        "psu": "response",
        "ci": "t, df = responses - halls, 95%",
    }
    names = unit_names(level)
    excluded = frame[frame["reason"] != ""]
    per_unit = excluded.groupby(["unit_id", "reason"]).size() if len(excluded) else {}
    run = IndexRun(
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        level=level,
        method=method,
        parameters=params,
        dimension_weights=weights,
        method_notes=table.notes + frame.attrs.get("method_notes", []),
        cutoff=cutoff,
        code_version=code_version(),
        response_count=len(frame),
        excluded={r: int((frame["reason"] == r).sum()) for r in EXCLUSION_REASONS},
        inputs_sha256=_inputs_digest(frame, volumes, params),
        created_by_id=user.id if user is not None else None,
    )
    ordered = table.units.sort_values(
        ["rank", "index"], ascending=[True, False], na_position="last"
    )
    for position, row in enumerate(ordered.itertuples(index=False)):
        code, name = names.get(int(row.unit), (str(row.unit), ""))
        reasons = {
            reason: int(per_unit.get((row.unit, reason), 0))
            for reason in EXCLUSION_REASONS
            if per_unit is not None and (row.unit, reason) in per_unit
        }
        run.results.append(
            IndexResult(
                position=position,
                unit_code=code,
                unit_name=name,
                n=int(row.n),
                n_eff=_clean(row.n_eff),
                deff=_clean(row.deff),
                df=_clean(row.df),
                index=_clean(row.index),
                se=_clean(row.se),
                ci_low=_clean(row.ci_low),
                ci_high=_clean(row.ci_high),
                good_rate=_clean(row.good_rate),
                bad_rate=_clean(row.bad_rate),
                overall_mean=_clean(row.overall_mean),
                driver_scores={k: _clean(v) for k, v in row.driver_scores.items()},
                trend={
                    m: {k: _clean(v) for k, v in est.items()}
                    for m, est in table.trend.get(str(row.unit), {}).items()
                },
                excluded=reasons,
                excluded_total=sum(reasons.values()),
                rankable=bool(row.rankable),
                rank=None if np.isnan(row.rank) else int(row.rank),
                points=_clean(row.points),
            )
        )
    db.session.add(run)
    db.session.commit()
    return run


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
