"""Judging responses: the cheap check at submission and the batch rescore."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import and_, bindparam, literal, select, union_all
from sqlalchemy.orm import selectinload

from surveyapp.analysis.periods import Period
from surveyapp.analysis.quality import (
    REASON_TEXT,
    OneCheck,
    OpeningHours,
    QualitySettings,
    assess,
    assess_one,
)
from surveyapp.analysis.quality_live import duplicates_of, lookback_s
from surveyapp.analysis.quality_signals import window_rate_per_hour
from surveyapp.extensions import db
from surveyapp.models import Hall, Response, User
from surveyapp.models.base import utcnow
from surveyapp.models.quality import TransactionCode
from surveyapp.services.complaints.withdrawal import follow_verdict
from surveyapp.services.quality import presence
from surveyapp.services.questionnaires.definitions import iter_questions
from surveyapp.services.responses import rollups
from surveyapp.services.responses.counting import verdict_counts
from surveyapp.services.responses.revisions import visit_window_s

log = logging.getLogger(__name__)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def settings_from_config(config=None) -> QualitySettings:
    """QualitySettings with every QUALITY_<FIELD> of the app config applied."""
    config = config if config is not None else current_app.config
    values = (config.get(key, _UNSET) for _, key in _SETTING_KEYS)
    # lists (a tuple's fields given in a dict config) as tuples, to be cached
    return _settings(tuple(tuple(v) if isinstance(v, list) else v for v in values))


_SETTING_KEYS = tuple(
    (f.name, f"QUALITY_{f.name.upper()}") for f in fields(QualitySettings)
)
_UNSET = object()


@lru_cache(maxsize=16)  # every submission asks; the config rarely changes
def _settings(values: tuple) -> QualitySettings:
    given = {
        name: value
        for (name, _), value in zip(_SETTING_KEYS, values, strict=True)
        if value is not _UNSET
    }
    return QualitySettings(**given)


def reason_texts(codes: list[str] | None, language: str = "zh") -> list[str]:
    """Human-readable reasons in the language (zh or en); unknown codes as is."""
    index = 0 if language == "zh" else 1
    return [REASON_TEXT[c][index] if c in REASON_TEXT else c for c in codes or []]


def grid_row(definition: dict, answers: dict) -> list[float]:
    """The answers of the questionnaire's grid items in order (NaN: unanswered),
    grids inside groups included."""
    row: list[float] = []
    for question in iter_questions(definition):
        if question.get("kind") != "grid":
            continue
        given = answers.get(question["key"]) or {}
        for item in question.get("items", []):
            value = given.get(item["key"]) if isinstance(given, dict) else None
            row.append(float(value) if isinstance(value, int | float) else np.nan)
    return row


# --- at submission -------------------------------------------------------------


def presence_errors(ctx) -> dict:
    """Form errors for the 一事一评 code (checked before anything is stored);
    a valid code's hash is put in ctx.extra for judge_on_submit."""
    from flask_babel import lazy_gettext as _l

    # An interviewer vouches for presence face to face: no code in that mode.
    if ctx.mode != "qr" or not presence.requires_transaction_code(ctx.hall):
        return {}
    raw = str(ctx.extra.get("transaction_code") or "")
    if not raw.strip():
        return {
            "transaction_code": _l(
                "Please enter the code printed on your queue ticket."
            )
        }
    digest = presence.known_code(ctx.hall, raw)
    if digest is None:
        return {
            "transaction_code": _l(
                "We do not know this code. Please check the code on your queue ticket."
            )
        }
    ctx.extra["transaction_code_hash"] = digest
    return {}


def judge_on_submit(
    response: Response, ctx, shared: dict[str, list], settings: QualitySettings
) -> None:
    """Record the presence and bot evidence and give the cheap verdict, in the
    submitting transaction (no commit); ``shared``: what ``earlier_sharing``
    read. Never raises: a failure leaves the response stored as ok and is
    logged; the rescore judges it later."""
    extra = ctx.extra
    response.honeypot = bool(str(extra.get("honeypot") or "").strip())
    response.has_form_cookie = bool(extra.get("has_form_cookie", True))
    response.rotating_token_age_s = presence.rotating_token_age(
        extra.get("rotating_token"), response.window_id, response.started_at
    )
    reused = False
    digest = extra.get("transaction_code_hash")
    if digest:
        response.transaction_code_hash = digest
        with db.session.no_autoflush:  # the row is flushed by the caller's commit
            reused = not presence.use_transaction_code(digest, response.public_id)
    if not current_app.config.get("QUALITY_ON_SUBMIT", True):
        return
    try:
        check = assess_one(
            {
                "duration_s": response.duration_s,
                "user_agent_family": response.ua_family or "",
                "honeypot_filled": response.honeypot,
                "has_form_cookie": response.has_form_cookie,
                "transaction_code_reused": reused,
                "rotating_token_age_s": response.rotating_token_age_s,
                "rotating_validity_s": current_app.config[
                    "QUALITY_ROTATING_VALIDITY_S"
                ],
            },
            grid_row(ctx.version.definition, response.answers or {}),
            settings,
        )
        live = live_duplicates(response, shared, settings)
    except Exception:  # the citizen's answer matters more than its verdict
        log.exception("quality check failed; response stored unjudged")
        return
    verdict = max(check.verdict, live.verdict, key=_RANK.get)
    reasons = [*check.reasons, *live.reasons]
    _set_verdict(response, verdict, reasons, check.quality_score * live.quality_score)


_RANK = {"ok": 0, "flagged": 1, "rejected": 2}


class Shared(NamedTuple):
    """An earlier answer of the window that shares a key with the new one."""

    id: int
    submitted_at: datetime
    device_hash: str | None
    ip_hash: str | None
    ua_family: str | None
    phone_hash: str | None


def _sharing(key: str, condition):
    """The latest `:most_<key>` rows of the window's range [:since, :now] that
    share ``key`` with the answer (``condition``), newest first: a seek of the
    window's hash index (ix_responses_window_device, _ip_ua, _phone)."""
    return (
        select(
            literal(key).label("key"),
            Response.id,
            Response.submitted_at,
            Response.device_hash,
            Response.ip_hash,
            Response.ua_family,
            Response.phone_hash,
        )
        .where(
            Response.window_id == bindparam("window_id"),
            Response.submitted_at >= bindparam("since"),
            Response.submitted_at <= bindparam("now"),
            Response.mode == "qr",
            condition,
        )
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(bindparam(f"most_{key}"))
        .subquery()
    )


# One statement for the three keys, built once: a submission only binds its
# values (a key without a value or a limit of 0 reads nothing).
_SHARING = union_all(
    *(
        select(part)
        for part in (
            _sharing("device", Response.device_hash == bindparam("device_hash")),
            _sharing("phone", Response.phone_hash == bindparam("phone_hash")),
            _sharing(
                "ip_ua",
                and_(
                    Response.ip_hash == bindparam("ip_hash"),
                    Response.ua_family == bindparam("ua_family"),
                ),
            ),
        )
    )
)


def earlier_sharing(response: Response, settings: QualitySettings) -> dict[str, list]:
    """The window's latest earlier answers that share a key with ``response``
    (device, phone, address+browser), newest first, by key: of each no more
    than its reject count (a chain that long already rejects, so more rows
    change no verdict), over the longest span a rule looks back (the duplicate
    windows, 一事一评's visit). Read once per submission, for the visit rule
    and the live check; a genuine citizen's answer finds none. An
    interviewer's tablet is no one's device: nothing is read for it."""
    if response.mode != "qr" or response.window_id is None:
        return {}
    visit_s = visit_window_s()
    span = max(lookback_s(settings), visit_s)
    now = response.submitted_at
    bound = {
        "window_id": response.window_id,
        "since": now - timedelta(seconds=span),
        "now": now,
        "device_hash": response.device_hash,
        "phone_hash": response.phone_hash,
        "ip_hash": response.ip_hash,
        "ua_family": response.ua_family,
    }
    # How many rows of each key: the live check's reject counts, and the
    # visit's one latest answer of the device; none for a key left empty.
    live = current_app.config.get("QUALITY_ON_SUBMIT", True)
    device_rows = max(settings.device_reject_at if live else 0, 1 if visit_s else 0)
    most = {
        "device": device_rows if response.device_hash else 0,
        "phone": settings.phone_reject_at if live and response.phone_hash else 0,
        "ip_ua": settings.ip_ua_reject_at if live and response.ip_hash else 0,
    }
    if not any(most.values()):
        return {}
    # Core on the session's connection (its transaction), as the insert.
    rows = db.session.connection().execute(
        _SHARING, {**bound, **{f"most_{key}": n for key, n in most.items()}}
    )
    shared: dict[str, list] = {}
    for key, *row in rows:
        shared.setdefault(key, []).append(Shared(*row))
    for found in shared.values():  # newest first (a union keeps no order)
        found.sort(key=lambda row: (row.submitted_at, row.id), reverse=True)
    return shared


def live_duplicates(
    response: Response, shared: dict[str, list], settings: QualitySettings
) -> OneCheck:
    """Stuffing caught in the submitting request: the same device, phone or
    address+browser on the same window (analysis/quality_live.py, the rescore's
    rule), from the rows ``earlier_sharing`` read."""
    # A row sharing two keys is read twice: once is enough.
    found = {row.id: row for rows in shared.values() for row in rows}
    if not found:
        return OneCheck("ok")

    def keys(at, device, ip, family, phone) -> dict:
        return {
            "submitted_at": at,
            "device_hash": device,
            "ip_ua_hash": f"{ip}|{family}" if ip else None,
            "phone_hash": phone,
        }

    current = keys(
        response.submitted_at,
        response.device_hash,
        response.ip_hash,
        response.ua_family,
        response.phone_hash,
    )
    earlier = [keys(*row[1:]) for row in found.values()]
    return duplicates_of(current, earlier, settings)


def _set_verdict(
    response: Response, verdict: str, reasons: list[str], score: float
) -> bool:
    """Store the machine's verdict; the effective one follows unless a reviewer
    decided. Returns whether the effective verdict changed."""
    response.auto_verdict = verdict
    response.reasons = list(reasons)
    response.quality_score = round(float(score), 4)
    response.judged_at = utcnow()
    if response.reviewed or response.verdict == verdict:
        return False
    apply_verdict(response, verdict)
    return True


def apply_verdict(response: Response, verdict: str, user: User | None = None) -> None:
    """Change the effective verdict, keeping quota counts, metrics and the
    response's case (withdrawn while rejected) in step."""
    from surveyapp.observability import count_verdict
    from surveyapp.services.fieldwork.quotas import (
        claim_quota,
        counts_in_quota,
        release_quota,
    )

    held, holds = counts_in_quota(response.verdict), counts_in_quota(verdict)
    was_counted = verdict_counts(response.verdict)
    rollups.move_verdict(response, response.verdict, verdict)
    response.verdict = verdict
    if held and not holds:
        release_quota(response)
    elif holds and not held and response.quota_cell_id:
        if not claim_quota(response):
            response.over_quota = True
    follow_verdict(response, was_counted, user)
    count_verdict(verdict)


# --- batch rescore ---------------------------------------------------------------


@dataclass
class RescoreResult:
    start: date
    end: date
    scored: int = 0
    changed: int = 0
    kept_reviewed: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local dates start..end (inclusive) as naive-UTC [from, to)."""
    tz = current_app.config.get("TIMEZONE", "Asia/Shanghai")
    return Period(f"{start}..{end}", start, end).utc_bounds(tz)


def opening_hours_of(hall: Hall) -> OpeningHours:
    """Hall.opening_hours JSON -> OpeningHours; empty means always open."""
    spec = hall.opening_hours or {}
    days = [d for d in _DAYS if spec.get(d)]
    if not days:
        return OpeningHours(((time(0), time(23, 59, 59)),), frozenset(range(7)))
    sessions = tuple(
        (time.fromisoformat(a), time.fromisoformat(b)) for a, b in spec[days[0]]
    )
    return OpeningHours(sessions, frozenset(_DAYS.index(d) for d in days))


def response_frame(rows: list[Response]) -> tuple[pd.DataFrame, np.ndarray]:
    """The analysis frame (local times) and grid matrix of stored responses."""
    tz = _tz()
    validity = current_app.config["QUALITY_ROTATING_VALIDITY_S"]
    first_use = dict(
        db.session.execute(
            select(TransactionCode.code_hash, TransactionCode.used_by_public_id).where(
                TransactionCode.code_hash.in_(
                    {r.transaction_code_hash for r in rows if r.transaction_code_hash}
                )
            )
        ).all()
    )
    records, grids = [], []
    for r in rows:
        local = r.submitted_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)
        digest = r.transaction_code_hash
        # An interviewer's tablet serves many respondents: no device evidence.
        own_device = r.mode == "qr"
        records.append(
            {
                "response_id": r.id,
                "questionnaire_id": r.version.questionnaire_id,
                "hall_id": r.hall_id,
                "window_id": r.window_id,
                "submitted_at": local.replace(tzinfo=None),
                "duration_s": r.duration_s,
                "device_hash": r.device_hash if own_device else None,
                "ip_ua_hash": f"{r.ip_hash}|{r.ua_family}"
                if r.ip_hash and own_device
                else None,
                "phone_hash": r.phone_hash,
                "user_agent_family": r.ua_family or "",
                "comment": r.comment or None,
                "honeypot_filled": r.honeypot,
                "has_form_cookie": r.has_form_cookie,
                "rotating_token_age_s": r.rotating_token_age_s,
                "rotating_validity_s": validity,
                "transaction_code_reused": bool(digest)
                and first_use.get(digest) != r.public_id,
            }
        )
        grids.append(grid_row(r.version.definition, r.answers or {}))
    width = max((len(g) for g in grids), default=0)
    grid = np.full((len(grids), width), np.nan)
    for i, row in enumerate(grids):
        grid[i, : len(row)] = row
    return pd.DataFrame(records), grid


def _history(before: datetime, days: int) -> tuple[dict, dict]:
    """Median duration per questionnaire and usual rate per window from the
    non-rejected responses of the ``days`` before the period."""
    rows = db.session.scalars(
        select(Response)
        .options(selectinload(Response.version))
        .where(
            Response.submitted_at >= before - timedelta(days=days),
            Response.submitted_at < before,
            Response.verdict != "rejected",
        )
    ).all()
    s = settings_from_config()
    if not rows:
        return {}, {}
    frame = pd.DataFrame(
        {
            "q": [r.version.questionnaire_id for r in rows],
            "d": [r.duration_s for r in rows],
            "w": [r.window_id for r in rows],
            "t": [r.submitted_at for r in rows],
        }
    )
    sizes = frame.groupby("q")["d"].agg(["median", "count"])
    medians = sizes.loc[sizes["count"] >= s.speeder_min_group, "median"].to_dict()
    windows = frame.dropna(subset=["w"])
    rates = window_rate_per_hour(
        windows["w"], windows["t"], OpeningHours().hours_per_day(), None, 0.0
    )
    baseline = dict(zip(windows["w"], rates, strict=True))
    return medians, baseline


def rescore_period(start: date, end: date) -> RescoreResult:
    """Run every signal over the local dates start..end (inclusive) and update
    the verdicts; a reviewer's decision stands (only auto_verdict changes)."""
    result = RescoreResult(start, end)
    low, high = utc_bounds(start, end)
    rows = db.session.scalars(
        select(Response)
        .options(selectinload(Response.version))
        .where(Response.submitted_at >= low, Response.submitted_at < high)
        .order_by(Response.submitted_at, Response.id)
    ).all()
    if not rows:
        return result
    medians, baseline = _history(low, current_app.config["QUALITY_HISTORY_DAYS"])
    halls = db.session.scalars(
        select(Hall).where(Hall.id.in_({r.hall_id for r in rows}))
    ).all()
    frame, grid = response_frame(list(rows))
    scored = assess(
        frame,
        grid,
        settings_from_config(),
        opening_hours={h.id: opening_hours_of(h) for h in halls},
        median_duration=medians or None,
        baseline_rate=baseline or None,
    )
    for response, verdict, reasons, score in zip(
        rows, scored["verdict"], scored["reasons"], scored["quality_score"], strict=True
    ):
        result.changed += _set_verdict(response, verdict, reasons, score)
        result.kept_reviewed += response.reviewed and response.auto_verdict != (
            response.verdict
        )
        result.verdicts[response.verdict] = result.verdicts.get(response.verdict, 0) + 1
    result.scored = len(rows)
    db.session.commit()
    return result
