"""Scores a batch of survey responses for fraud and careless answering."""

# Verdict logic: every signal has a severity -- NOTE (shown, never decisive),
# FLAG (a person reviews it) or REJECT (excluded from the indices). A response
# takes the worst severity among its signals; quality_score multiplies the
# per-signal penalties so it falls towards 0 as evidence accumulates.

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.analysis import quality_signals as sig
from surveyapp.analysis import quality_text as qtext
from surveyapp.analysis.quality_reasons import (
    FLAG,
    NOTE,
    PENALTY,
    REASON_TEXT,
    REJECT,
    SEVERITY,
    VERDICTS,
)
from surveyapp.analysis.quality_settings import QualitySettings
from surveyapp.analysis.quality_signals import OpeningHours

__all__ = [
    "REASON_TEXT",
    "SEVERITY",
    "OneCheck",
    "OpeningHours",
    "QualitySettings",
    "assess",
    "assess_one",
]


@dataclass
class OneCheck:
    """Result of the per-request check: verdict, reasons and score."""

    verdict: str
    reasons: list[str] = field(default_factory=list)
    quality_score: float = 1.0


def _col(frame: pd.DataFrame, name: str, default: object) -> pd.Series:
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    return pd.Series([default] * len(frame), dtype=object)


def _bool(series: pd.Series) -> np.ndarray:
    # object first: a float column holding NaN cannot take False as a fill
    return series.astype(object).fillna(False).astype(bool).to_numpy()


def _severity(code: str, s: QualitySettings) -> int:
    """A code's own severity: a weak signal is only a NOTE."""
    return NOTE if code in s.weak_signals else SEVERITY[code]


def _corroborated(level, notes, s: QualitySettings):
    """Enough distinct NOTEs together make a FLAG (settings: corroboration);
    for one response's level and note count, or arrays of them."""
    if s.corroborate_notes <= 0:
        return level
    if isinstance(level, int):  # one response (assess_one): no array needed
        return FLAG if level == NOTE and notes >= s.corroborate_notes else level
    return np.where((level == NOTE) & (notes >= s.corroborate_notes), FLAG, level)


def _combine(
    codes: Mapping[str, np.ndarray],
    severity: Mapping[str, np.ndarray],
    s: QualitySettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[str]]]:
    """(worst severity, quality_score, verdict, reason codes) per response."""
    names = list(codes)
    n = len(next(iter(codes.values()))) if codes else 0
    level = np.zeros(n, dtype=int)
    notes = np.zeros(n, dtype=int)
    score = np.ones(n)
    for name in names:
        hit = codes[name]
        sev = severity[name]
        level = np.where(hit, np.maximum(level, sev), level)
        notes += hit & (sev == NOTE)
        penalty = np.vectorize(PENALTY.get, otypes=[float])(np.maximum(sev, NOTE))
        score = np.where(hit, score * (1 - penalty), score)
    level = _corroborated(level, notes, s)
    reasons = [[name for name in names if codes[name][i]] for i in range(n)]
    verdict = np.array([VERDICTS[v] for v in level], dtype=object)
    return level, score, verdict, reasons


def _straightline_severity(
    straight: np.ndarray,
    answered: np.ndarray,
    value: np.ndarray,
    slow_signal: np.ndarray,
    s: QualitySettings,
) -> np.ndarray:
    escalate = (answered >= s.straightline_alone_items) | slow_signal
    if s.straightline_flag_midpoint:
        escalate = escalate | (value == (s.scale_min + s.scale_max) / 2)
    if s.straightline_flag_inner:
        escalate = escalate | ((value > s.scale_min) & (value < s.scale_max))
    return np.where(straight & escalate, FLAG, NOTE)


def _request_signals(
    frame: pd.DataFrame, grid: np.ndarray | None, s: QualitySettings
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Signals needing no other response: (codes, severities, diagnostics).
    ``_one_signals`` is the same rules for one response; keep them in step."""
    n = len(frame)
    codes: dict[str, np.ndarray] = {}
    extra: dict[str, np.ndarray] = {}
    codes["honeypot"] = _bool(_col(frame, "honeypot_filled", False))
    if "user_agent_family" in frame.columns:
        automated, unknown = sig.automated_agent(_col(frame, "user_agent_family", ""))
    else:
        automated = unknown = np.zeros(n, dtype=bool)
    codes["bot_user_agent"] = automated
    codes["unknown_user_agent"] = unknown
    codes["no_form_cookie"] = ~_bool(_col(frame, "has_form_cookie", True))
    codes["transaction_reused"] = _bool(_col(frame, "transaction_code_reused", False))
    age = pd.to_numeric(_col(frame, "rotating_token_age_s", np.nan)).to_numpy(float)
    validity = pd.to_numeric(_col(frame, "rotating_validity_s", np.nan)).to_numpy(float)
    with np.errstate(invalid="ignore"):
        codes["stale_token"] = np.nan_to_num(age - validity, nan=-1) > s.token_grace_s
    if grid is not None and np.asarray(grid).size:
        values = np.asarray(grid, dtype=float).reshape(n, -1)
        straight, answered = sig.straightline(values, s.straightline_min_items)
        extra["longstring"] = sig.longest_run(values)
        extra["answered_items"] = answered
        with np.errstate(all="ignore"):
            value = np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=1)
    else:
        straight, answered = np.zeros(n, bool), np.zeros(n, int)
        value = np.full(n, np.nan)
    duration = pd.to_numeric(_col(frame, "duration_s", np.nan)).to_numpy(float)
    items = answered if grid is not None else np.full(n, s.speeder_floor_items)
    codes["too_fast"] = sig.below_floor(
        duration, items, s.speeder_floor_s, s.speeder_floor_items
    )
    codes["straightline"] = straight
    severity = {name: np.full(n, _severity(name, s)) for name in codes}
    severity["straightline"] = _straightline_severity(
        straight, answered, value, codes["too_fast"], s
    )
    extra["_answered"] = answered
    extra["_value"] = value
    return codes, severity, extra


def _one_signals(
    response: Mapping[str, object], grid_row: list | None, s: QualitySettings
) -> list[tuple[str, int]]:
    """``_request_signals`` for one response in plain Python (a submission has
    one row, and building frames for it is the batch's cost without the
    batch's gain): (code, severity) of each
    signal that fired, in the batch's order, so score and reasons match."""

    def given(name: str, default: bool) -> bool:  # as _bool(_col(...))
        value = response.get(name, default)
        return not sig.is_missing(value) and bool(value)

    def number(name: str) -> float:  # as pd.to_numeric(_col(...))
        value: Any = response.get(name)
        return math.nan if sig.is_missing(value) else float(value)

    automated = unknown = False
    if "user_agent_family" in response:
        automated, unknown = sig.agent_kind(response["user_agent_family"])
    stale = number("rotating_token_age_s") - number("rotating_validity_s")
    if grid_row is None:
        straight, answered, value = False, 0, math.nan
        items = s.speeder_floor_items
    else:
        straight, answered, value = sig.straightline_one(
            grid_row, s.straightline_min_items
        )
        items = answered
    too_fast = sig.below_floor_one(
        number("duration_s"), items, s.speeder_floor_s, s.speeder_floor_items
    )
    escalate = (
        answered >= s.straightline_alone_items
        or too_fast
        or (s.straightline_flag_midpoint and value == (s.scale_min + s.scale_max) / 2)
        or (s.straightline_flag_inner and s.scale_min < value < s.scale_max)
    )
    fired = {
        "honeypot": given("honeypot_filled", False),
        "bot_user_agent": automated,
        "unknown_user_agent": unknown,
        "no_form_cookie": not given("has_form_cookie", True),
        "transaction_reused": given("transaction_code_reused", False),
        "stale_token": (-1.0 if math.isnan(stale) else stale) > s.token_grace_s,
        "too_fast": too_fast,
        "straightline": straight,
    }
    severity = {code: _severity(code, s) for code in fired}
    severity["straightline"] = FLAG if escalate else NOTE
    return [(code, severity[code]) for code, hit in fired.items() if hit]


def assess_one(
    response: Mapping[str, object],
    grid_row: np.ndarray | list[float] | None = None,
    settings: QualitySettings | None = None,
) -> OneCheck:
    """Cheap check for the web request: honeypot, cookie, UA, floor speed,
    straightline, token age, transaction code. Batch signals (relative speed,
    duplicates, bursts, text, hours) are left to ``assess``; on the signals
    it has, the result equals ``assess`` on the same row."""
    s = settings or QualitySettings()
    if isinstance(grid_row, np.ndarray):
        grid_row = grid_row.ravel().tolist()
    level, notes, score, reasons = 0, 0, 1.0, []
    for code, severity in _one_signals(response, grid_row, s):
        level = max(level, severity)
        notes += severity == NOTE
        score *= 1 - PENALTY[max(severity, NOTE)]
        reasons.append(code)
    return OneCheck(VERDICTS[int(_corroborated(level, notes, s))], reasons, score)


def assess(
    frame: pd.DataFrame,
    grid: np.ndarray | None = None,
    settings: QualitySettings | None = None,
    opening_hours: Mapping[object, OpeningHours] | OpeningHours | None = None,
    median_duration: Mapping[object, float] | None = None,
    baseline_rate: Mapping[object, float] | None = None,
) -> pd.DataFrame:
    """Score every response of a batch; one row per input row, same order.

    ``frame`` columns (missing ones switch their signal off): response_id,
    questionnaire_id, hall_id, window_id, submitted_at, duration_s,
    device_hash, ip_ua_hash, phone_hash, user_agent_family, comment,
    honeypot_filled, has_form_cookie, rotating_token_age_s,
    rotating_validity_s, transaction_code_reused. ``grid`` is the
    respondents x items answer matrix (NaN = unanswered). ``opening_hours``
    maps hall_id to OpeningHours (default 8:30-12:00, 14:30-17:30 Mon-Fri);
    ``median_duration`` (questionnaire_id -> s) and ``baseline_rate``
    (window_id -> responses per open hour) may come from history.

    Returns one bool column per reason code, diagnostics (speed_ratio,
    longstring, answered_items, device_repeat, ip_ua_repeat, phone_repeat,
    burst_count, text_similarity, text_partners), quality_score in [0, 1], verdict in
    {"ok", "flagged", "rejected"} and reasons (list of codes).
    """
    s = settings or QualitySettings()
    n = len(frame)
    codes, severity, extra = _request_signals(frame, grid, s)
    answered = extra.pop("_answered")
    value = extra.pop("_value")
    window = _col(frame, "window_id", None)
    submitted = _col(frame, "submitted_at", pd.NaT)
    has_time = submitted.notna().all() and n > 0

    duration = pd.to_numeric(_col(frame, "duration_s", np.nan)).to_numpy(float)
    ratio = sig.speed_ratio(
        duration,
        _col(frame, "questionnaire_id", None),
        median_duration,
        s.speeder_min_group,
    )
    extra["speed_ratio"] = ratio
    with np.errstate(invalid="ignore"):
        codes["speeder"] = np.nan_to_num(ratio, nan=np.inf) < s.speeder_ratio
        codes["fast"] = (np.nan_to_num(ratio, nan=np.inf) < s.fast_ratio) & ~codes[
            "speeder"
        ]
    severity["speeder"] = np.full(n, FLAG)
    severity["fast"] = np.full(n, NOTE)
    slow_signal = codes["speeder"] | codes["fast"] | codes["too_fast"]
    severity["straightline"] = _straightline_severity(
        codes["straightline"], answered, value, slow_signal, s
    )

    for code, column, span, flag_at, reject_at in (
        ("duplicate_device", "device_hash", s.device_window_s, 2, s.device_reject_at),
        (
            "duplicate_ip_ua",
            "ip_ua_hash",
            s.ip_ua_window_s,
            s.ip_ua_flag_at,
            s.ip_ua_reject_at,
        ),
        ("duplicate_phone", "phone_hash", s.phone_window_s, 2, s.phone_reject_at),
    ):
        owner = _col(frame, column, None)
        key = window.astype(str) + "\x1f" + owner.astype(str)
        key[owner.isna() | window.isna()] = None
        ordinal = (
            sig.repeat_ordinal(key, submitted, span) if has_time else np.zeros(n, int)
        )
        extra[column.replace("_hash", "_repeat")] = ordinal
        hit = ordinal >= flag_at
        if column != "ip_ua_hash" and has_time:
            # a lone return visit hours later is a second errand, not stuffing
            gap = sig.gap_to_previous(key, submitted)
            hit &= (ordinal >= 3) | (gap < s.return_visit_gap_s)
        if has_time:
            # a chain that reaches the reject count was stuffing from its start
            hit |= sig.chain_peak(key, submitted, span) >= reject_at
        codes[code] = hit
        severity[code] = np.where(ordinal >= reject_at, REJECT, FLAG)

    halls = _col(frame, "hall_id", None)
    if has_time and window.notna().any():
        spec = opening_hours if isinstance(opening_hours, OpeningHours) else None
        per_day = (spec or OpeningHours()).hours_per_day()
        rate = sig.window_rate_per_hour(
            window, submitted, per_day, baseline_rate, s.burst_floor_rate
        )
        burst, count = sig.burst_members(
            window, submitted, rate, s.burst_span_s, s.burst_min_count, s.burst_alpha
        )
        codes["burst"], extra["burst_count"] = burst, count
        codes["outside_hours"] = sig.outside_hours(
            halls,
            submitted,
            opening_hours,
            s.hours_grace_before_s,
            s.hours_grace_after_s,
        )
    else:
        codes["burst"] = codes["outside_hours"] = np.zeros(n, bool)
        extra["burst_count"] = np.zeros(n, int)
    severity["burst"] = np.full(n, FLAG)
    severity["outside_hours"] = np.full(n, _severity("outside_hours", s))

    matches = qtext.match_texts(
        _col(frame, "comment", None).tolist(),
        s.text_ngram,
        s.text_similarity,
        s.text_min_chars,
    )
    length = matches.length
    best = qtext.best_similarity(matches)
    partners = qtext.partner_counts(matches)
    if has_time:
        seconds = sig.epoch_seconds(submitted)
        at_window = qtext.partner_counts(
            matches, window, seconds, s.text_cluster_window_s
        )
        at_hall = qtext.partner_counts(
            matches, halls, seconds, s.text_campaign_window_s
        )
    else:
        at_window = at_hall = np.zeros(n, int)
    long_text = length >= s.text_flag_chars
    extra["text_similarity"] = best
    extra["text_partners"] = partners
    codes["near_duplicate_text"] = (
        long_text & ((at_hall >= 1) | (partners >= s.text_large_cluster - 1))
    ) | (at_window >= s.text_short_cluster - 1)
    severity["near_duplicate_text"] = np.full(n, FLAG)

    level, score, verdict, reasons = _combine(codes, severity, s)
    out = pd.DataFrame({name: codes[name] for name in codes})
    for name, values in extra.items():
        out[name] = values
    out["quality_score"] = score
    out["verdict"] = verdict
    out["reasons"] = reasons
    if "response_id" in frame.columns:
        out.insert(0, "response_id", frame["response_id"].to_numpy())
    out.index = frame.index
    return out
