"""Exports of an index run for the performance scoring system: CSV, XLSX, JSON."""

from __future__ import annotations

import json

from surveyapp.models import IndexResult, IndexRun
from surveyapp.tables.writer import MEDIA_TYPES as TABLE_MEDIA_TYPES
from surveyapp.tables.writer import Sheet, table_bytes

FORMATS = ("csv", "xlsx", "json")
MEDIA_TYPES = {**TABLE_MEDIA_TYPES, "json": "application/json"}
# The scoring system's import columns (sheet 1), in order: key, header.
COLUMNS = [
    ("unit_code", "unit_code"),
    ("unit_name", "unit_name"),
    ("period", "period"),
    ("n", "n"),
    ("n_eff", "n_eff"),
    ("index", "index"),
    ("se", "se"),
    ("ci_low", "ci_low"),
    ("ci_high", "ci_high"),
    ("good_rate", "好评率"),
    ("good_rate_se", "好评率_se"),
    ("good_rate_ci_low", "好评率_ci_low"),
    ("good_rate_ci_high", "好评率_ci_high"),
    ("bad_rate", "差评率"),
    ("bad_rate_se", "差评率_se"),
    ("bad_rate_ci_low", "差评率_ci_low"),
    ("bad_rate_ci_high", "差评率_ci_high"),
    ("band", "band"),
    ("rank", "rank"),
    ("points", "points"),
    ("rankable", "rankable"),
    ("excluded_total", "excluded_responses"),
    ("vs_overall_diff", "index_minus_overall"),
    ("vs_overall_ci_low", "index_minus_overall_ci_low"),
    ("vs_overall_ci_high", "index_minus_overall_ci_high"),
]
# Each driver's score with its SE and interval, after the columns above.
DRIVER_PARTS = ("", "_se", "_ci_low", "_ci_high")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _driver_columns(run: IndexRun) -> list[tuple[str, str]]:
    keys = list(run.dimension_weights)
    return [(f"score_{k}{part}", f"{k}{part}") for k in keys for part in DRIVER_PARTS]


def counted_responses(result: IndexResult) -> int:
    """The unit's responses that count (services/responses/counting.py): the
    ones the index used plus those it left out for its own reasons (flagged,
    missing drivers), not the rejected. The office's summary shows the same."""
    rejected = int((result.excluded or {}).get("rejected", 0))
    return int(result.n) + int(result.excluded_total or 0) - rejected


def result_row(run: IndexRun, result: IndexResult) -> dict:
    vs = result.vs_overall or {}
    row = {
        "unit_code": result.unit_code,
        "unit_name": result.unit_name,
        "period": run.period,
        "n": result.n,
        "n_eff": _round(result.n_eff, 1),
        "index": _round(result.index, 2),
        "se": _round(result.se, 3),
        "ci_low": _round(result.ci_low, 2),
        "ci_high": _round(result.ci_high, 2),
        "good_rate": _round(result.good_rate, 4),
        "good_rate_se": _round(result.good_rate_se, 4),
        "good_rate_ci_low": _round(result.good_rate_ci_low, 4),
        "good_rate_ci_high": _round(result.good_rate_ci_high, 4),
        "bad_rate": _round(result.bad_rate, 4),
        "bad_rate_se": _round(result.bad_rate_se, 4),
        "bad_rate_ci_low": _round(result.bad_rate_ci_low, 4),
        "bad_rate_ci_high": _round(result.bad_rate_ci_high, 4),
        "band": result.band,
        "rank": result.rank,
        "points": _round(result.points, 2),
        "rankable": result.rankable,
        "excluded_total": result.excluded_total,
        "vs_overall_diff": _round(vs.get("diff"), 2),
        "vs_overall_ci_low": _round(vs.get("ci_low"), 2),
        "vs_overall_ci_high": _round(vs.get("ci_high"), 2),
    }
    intervals = result.driver_intervals or {}
    for key in run.dimension_weights:
        row[f"score_{key}"] = _round((result.driver_scores or {}).get(key), 2)
        for part in DRIVER_PARTS[1:]:
            value = intervals.get(key, {}).get(part[1:])
            row[f"score_{key}{part}"] = _round(value, 3 if part == "_se" else 2)
    return row


def run_summary(run: IndexRun) -> dict:
    """The run's metadata and method, as the API and the JSON export give it."""
    return {
        "id": run.id,
        "period": run.period,
        "period_start": run.period_start.isoformat(),
        "period_end": run.period_end.isoformat(),
        "level": run.level,
        "method": run.method,
        "status": run.status,
        "dimension_weights": run.dimension_weights,
        "parameters": run.parameters,
        "method_notes": run.method_notes,
        "cutoff": run.cutoff.isoformat() + "Z",
        "code_version": run.code_version,
        "response_count": run.response_count,
        "excluded": run.excluded,
        "inputs_sha256": run.inputs_sha256,
        "overall": run.overall,
        "supersedes_id": run.supersedes_id,
        "supersede_reason": run.supersede_reason or None,
        "published_at": run.published_at.isoformat() + "Z"
        if run.published_at
        else None,
        "created_at": run.created_at.isoformat() + "Z",
    }


def method_rows(run: IndexRun) -> list[tuple[str, str]]:
    rows = [
        ("run", str(run.id)),
        ("period", f"{run.period} ({run.period_start} .. {run.period_end}, local)"),
        ("level", run.level),
        ("status", run.status),
        ("dimension weight method", run.method),
    ]
    rows += [(f"weight: {k}", f"{v:.4f}") for k, v in run.dimension_weights.items()]
    rows += [
        (f"parameter: {k}", json.dumps(v, ensure_ascii=False))
        for k, v in sorted(run.parameters.items())
    ]
    rows += [("note", note) for note in run.method_notes]
    rows += [
        ("data cut-off (UTC)", run.cutoff.isoformat()),
        ("code version", run.code_version),
        ("responses", str(run.response_count)),
        ("excluded", json.dumps(run.excluded)),
        ("inputs sha256", run.inputs_sha256),
        (
            "index",
            "weighted mean of each respondent's composite (0-100) of the "
            "drivers; interval t with df = sampling units - halls (docs/methods.md)",
        ),
        ("overall index", json.dumps(run.overall)),
        (
            "band",
            "above / below: the interval of (index - overall index) lies above / "
            "below 0; same: it contains 0",
        ),
    ]
    if run.supersedes_id:
        rows.append(("supersedes run", f"{run.supersedes_id}: {run.supersede_reason}"))
    return rows


def export_run(run: IndexRun, fmt: str) -> bytes:
    """The run's results (and, in XLSX, a second sheet with its method)."""
    rows = [result_row(run, r) for r in run.results]
    if fmt == "json":
        body = {"run": run_summary(run), "results": rows}
        return json.dumps(body, ensure_ascii=False, indent=2).encode()
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    columns = COLUMNS + _driver_columns(run)
    results = Sheet(
        "indices",
        [header for _key, header in columns],
        ([row[k] for k, _h in columns] for row in rows),
    )
    method = Sheet("method", ["item", "value"], method_rows(run))
    return table_bytes(fmt, [results, method])
