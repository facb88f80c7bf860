"""Computing an index run: its parameters, its table from them, storing it, and
recomputing a stored run to check that it records what it did."""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pandas as pd
from flask import current_app

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
    IndexRunError,
    Period,
    code_version,
    load_frame,
    load_volumes,
    parse_period,
    unit_names,
)


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
        method_notes=table.notes + frame.attrs.get("method_notes", []),
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
