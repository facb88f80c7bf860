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

from surveyapp.analysis.index import (
    METHODS,
    DesignSettings,
    IndexSettings,
    IndexTable,
    PointsRule,
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
    "run_parameters",
    "run_settings",
    "supersede_run",
    "verify_run",
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
        "window",
        "day",
        "overall",
        *DRIVER_KEYS,
        "reason",
    ]
    digest.update(frame[columns].to_csv(index=False).encode())
    digest.update(volumes.to_csv(index=False).encode())
    inputs = {k: v for k, v in params.items() if k not in OUTPUTS}
    digest.update(repr(sorted(inputs.items())).encode())
    return digest.hexdigest()


def _clean(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else round(value, 10)


# Parameters that record what the method reported rather than what it was given.
OUTPUTS = ("method_details",)


def run_settings(config) -> IndexSettings:
    """The index settings the configuration asks for."""
    try:
        return IndexSettings(
            min_n_eff=float(config["INDEX_MIN_N_EFF"]),
            min_driver_share=float(config["INDEX_MIN_DRIVER_SHARE"]),
            band_level=float(config["INDEX_BAND_LEVEL"]),
            design=DesignSettings(
                cluster=config["INDEX_CLUSTER"],
                fpc=bool(config["INDEX_FPC"]),
                trim_ratio=float(config["INDEX_TRIM_UPPER"]) or None,
                level=float(config["INDEX_LEVEL"]),
            ),
            points=PointsRule.from_dict(config["INDEX_POINTS"]),
        )
    except (TypeError, ValueError) as exc:
        raise IndexRunError(f"index settings: {exc}") from None


def run_parameters(
    method: str,
    fixed: dict[str, float] | None,
    pairwise: list[list[float]] | None,
    override_cr: bool,
) -> dict:
    """Everything an index run depends on besides its data: what it records and
    what ``compute_table`` applies."""
    config = current_app.config
    if method == "fixed":
        fixed = fixed or config["INDEX_DIMENSION_WEIGHTS"] or None
        fixed = fixed or dict.fromkeys(DRIVER_KEYS, 1 / len(DRIVER_KEYS))
    return {
        **run_settings(config).to_dict(),
        "include_flagged": bool(config["INDEX_INCLUDE_FLAGGED"]),
        "timezone": config.get("TIMEZONE", "Asia/Shanghai"),
        "max_cr": float(config["INDEX_AHP_MAX_CR"]),
        "fixed_weights": {k: float(v) for k, v in fixed.items()}
        if method == "fixed"
        else None,
        "pairwise": pairwise if method == "ahp" else None,
        "override_cr": bool(override_cr) if method == "ahp" else None,
    }


def compute_table(
    period: Period, level: str, method: str, params: dict, cutoff: datetime
) -> tuple[pd.DataFrame, pd.DataFrame, IndexTable]:
    """The run's inputs and results from its parameters (nothing is stored)."""
    settings = IndexSettings.from_dict(params)
    frame = load_frame(
        period,
        level,
        cutoff,
        bool(params["include_flagged"]),
        params["timezone"],
        settings.min_driver_share,
    )
    if frame.empty:
        raise IndexRunError(f"no responses in {period.label} before the cut-off")
    included = frame[frame["reason"] == ""].copy()
    if included.empty:
        raise IndexRunError(f"every response of {period.label} is excluded")
    included["unit"] = included["unit_id"].astype(int)
    volumes = load_volumes(period)
    try:
        table = unit_indices(
            included,
            drivers=DRIVER_KEYS,
            weights=params.get("fixed_weights") if method == "fixed" else None,
            method=method,
            pairwise=params.get("pairwise"),
            max_cr=float(params.get("max_cr", 0.10)),
            override=bool(params.get("override_cr")),
            volumes=volumes,
            settings=settings,
        )
    except (ValueError, RuntimeError) as exc:
        raise IndexRunError(str(exc)) from None
    return frame, volumes, table


def _result_fields(row) -> dict:
    """The stored columns of one unit's result, from a row of IndexTable.units."""
    band = row.band if isinstance(row.band, str) else None
    return {
        "n": int(row.n),
        "n_eff": _clean(row.n_eff),
        "deff": _clean(row.deff),
        "df": _clean(row.df),
        "index": _clean(row.index),
        "se": _clean(row.se),
        "ci_low": _clean(row.ci_low),
        "ci_high": _clean(row.ci_high),
        **{
            f"{rate}{part}": _clean(getattr(row, f"{rate}{part}"))
            for rate in ("good_rate", "bad_rate")
            for part in ("", "_se", "_ci_low", "_ci_high")
        },
        "overall_mean": _clean(row.overall_mean),
        "driver_scores": {k: _clean(v) for k, v in row.driver_scores.items()},
        "driver_intervals": {
            k: {p: _clean(x) for p, x in v.items()}
            for k, v in row.driver_intervals.items()
        },
        "rankable": bool(row.rankable),
        "band": band,
        "vs_overall": {
            "diff": _clean(row.diff),
            "se": _clean(row.diff_se),
            "ci_low": _clean(row.diff_ci_low),
            "ci_high": _clean(row.diff_ci_high),
        },
        "rank": None if np.isnan(row.rank) else int(row.rank),
        "points": _clean(row.points),
    }


def _ordered(table: IndexTable) -> pd.DataFrame:
    return table.units.sort_values(
        ["rank", "index"], ascending=[True, False], na_position="last"
    )


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
    if level not in LEVELS:
        raise IndexRunError(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    if method not in METHODS:
        raise IndexRunError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    period = parse_period(period_text)
    cutoff = cutoff or utcnow().replace(microsecond=0)
    params = run_parameters(method, fixed, pairwise, override_cr)
    frame, volumes, table = compute_table(period, level, method, params, cutoff)
    params["method_details"] = table.weight_details
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
        dimension_weights=table.dimension_weights,
        method_notes=table.notes,
        overall={k: _clean(v) for k, v in table.overall.items()},
        cutoff=cutoff,
        code_version=code_version(),
        response_count=len(frame),
        excluded={r: int((frame["reason"] == r).sum()) for r in EXCLUSION_REASONS},
        inputs_sha256=_inputs_digest(frame, volumes, params),
        created_by_id=user.id if user is not None else None,
    )
    for position, row in enumerate(_ordered(table).itertuples(index=False)):
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
                trend={
                    m: {k: _clean(v) for k, v in est.items()}
                    for m, est in table.trend.get(str(row.unit), {}).items()
                },
                excluded=reasons,
                excluded_total=sum(reasons.values()),
                **_result_fields(row),
            )
        )
    db.session.add(run)
    db.session.commit()
    return run


def verify_run(run: IndexRun, changes: dict | None = None) -> list[str]:
    """Recompute a stored run from its recorded parameters (with ``changes``)
    and list every figure that differs from the stored one ([]: all agree)."""
    params = {**run.parameters, **(changes or {})}
    period = parse_period(run.period)
    if (period.start, period.end) != (run.period_start, run.period_end):
        period = Period(run.period, run.period_start, run.period_end)
    _frame, _volumes, table = compute_table(
        period, run.level, run.method, params, run.cutoff
    )
    names = unit_names(run.level)
    fresh = {
        names.get(int(row.unit), (str(row.unit), ""))[0]: _result_fields(row)
        for row in table.units.itertuples(index=False)
    }
    stored = {r.unit_code: r for r in run.results}
    problems = []
    for code in sorted(set(fresh) | set(stored)):
        if code not in fresh or code not in stored:
            problems.append(f"{code}: in only one of the two")
            continue
        for field, value in fresh[code].items():
            if getattr(stored[code], field) != value:
                problems.append(
                    f"{code} {field}: stored {getattr(stored[code], field)!r},"
                    f" recomputed {value!r}"
                )
    if table.dimension_weights != run.dimension_weights:
        problems.append("dimension weights differ")
    return problems


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
