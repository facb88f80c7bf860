"""The review queue: decisions with an audit trail, hall norms and patterns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from surveyapp.extensions import db
from surveyapp.models import Response, User
from surveyapp.models.base import utcnow
from surveyapp.models.quality import REVIEW_DECISIONS, QualityReview
from surveyapp.models.responses import FLAGGED
from surveyapp.services.admin.users import audit
from surveyapp.services.quality.verdicts import apply_verdict

DECISION_VERDICT = {"accept": "ok", "reject": "rejected"}


class ReviewError(ValueError):
    """A decision that cannot be taken as asked."""


def flagged_queue(hall_id: int | None = None, limit: int = 100) -> list[Response]:
    """Flagged responses no reviewer has decided, oldest first."""
    query = (
        select(Response)
        .options(selectinload(Response.hall), selectinload(Response.window))
        # The flagged rows' own index (models/responses.py) serves a query
        # whose condition is its condition as written, not a bound value.
        .where(text(FLAGGED), Response.reviewed.is_(False))
        .order_by(Response.submitted_at, Response.id)
        .limit(limit)
    )
    if hall_id is not None:
        query = query.where(Response.hall_id == hall_id)
    return list(db.session.scalars(query))


def decide(
    response: Response,
    reviewer: User,
    decision: str,
    note: str = "",
    client_address: str | None = None,
) -> QualityReview:
    """Accept (counts as ok) or reject a response; audited, reversible."""
    if decision not in REVIEW_DECISIONS:
        raise ReviewError(f"unknown decision {decision!r}")
    if response.reviewed:
        raise ReviewError("already decided; reverse that decision first")
    review = QualityReview(
        response_id=response.id,
        reviewer_id=reviewer.id,
        decision=decision,
        note=note.strip()[:2000],
        previous_verdict=response.verdict,
    )
    db.session.add(review)
    apply_verdict(response, DECISION_VERDICT[decision], reviewer)
    response.reviewed = True
    audit(
        reviewer,
        f"quality.{decision}",
        target=f"response:{response.id}",
        detail={"note": review.note, "from": review.previous_verdict},
        client_address=client_address,
        commit=False,
    )
    db.session.commit()
    return review


def reverse(
    review: QualityReview,
    user: User,
    note: str = "",
    client_address: str | None = None,
) -> QualityReview:
    """Undo a decision: the response returns to the machine's verdict."""
    if review.reversed_at is not None:
        raise ReviewError("this decision was already reversed")
    response = review.response
    review.reversed_at = utcnow()
    review.reversed_by_id = user.id
    review.reversal_note = note.strip()[:2000]
    response.reviewed = False
    apply_verdict(response, response.auto_verdict or review.previous_verdict, user)
    audit(
        user,
        "quality.reverse",
        target=f"response:{response.id}",
        detail={
            "review": review.id,
            "note": review.reversal_note,
            "decision": review.decision,
        },
        client_address=client_address,
        commit=False,
    )
    db.session.commit()
    return review


def recent_reviews(limit: int = 50) -> list[QualityReview]:
    return list(
        db.session.scalars(
            select(QualityReview)
            .options(selectinload(QualityReview.reviewer))
            .order_by(QualityReview.created_at.desc(), QualityReview.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class HallNorm:
    """A hall's normal pattern, shown next to a flagged response."""

    responses: int
    median_duration_s: float | None
    per_day: float | None
    share_flagged: float | None


def hall_norms(hall_ids: set[int], days: int = 28) -> dict[int, HallNorm]:
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(
            Response.hall_id,
            Response.duration_s,
            Response.submitted_at,
            Response.verdict,
        ).where(Response.hall_id.in_(hall_ids), Response.submitted_at >= since)
    ).all()
    frame = pd.DataFrame(rows, columns=["hall", "duration", "at", "verdict"])
    norms: dict[int, HallNorm] = {}
    for hall_id in hall_ids:
        part = frame[frame["hall"] == hall_id]
        if part.empty:
            norms[hall_id] = HallNorm(0, None, None, None)
            continue
        days_seen = pd.to_datetime(part["at"]).dt.date.nunique()
        norms[hall_id] = HallNorm(
            responses=len(part),
            median_duration_s=float(part["duration"].median()),
            per_day=len(part) / max(days_seen, 1),
            share_flagged=float((part["verdict"] != "ok").mean()),
        )
    return norms


@dataclass(frozen=True)
class PatternRow:
    """One hall or window in one week: responses, share flagged, bursts."""

    week: str
    hall: str
    window: str
    responses: int
    flagged: int
    rejected: int
    bursts: int

    @property
    def share_flagged(self) -> float:
        return (
            (self.flagged + self.rejected) / self.responses if self.responses else 0.0
        )


def patterns(
    weeks: int = 12, by_window: bool = False, now: datetime | None = None
) -> list[PatternRow]:
    """Share flagged by ISO week per hall (or per window), newest week first;
    a burst is counted once per response carrying the ``burst`` reason."""
    since = (now or utcnow()) - timedelta(weeks=weeks)
    rows = db.session.scalars(
        select(Response)
        .options(selectinload(Response.hall), selectinload(Response.window))
        .where(Response.submitted_at >= since)
    ).all()
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        year, week, _ = r.submitted_at.isocalendar()
        window = (r.window.name if r.window else "-") if by_window else ""
        key = (f"{year}-W{week:02d}", r.hall.name, window)
        entry = counts[key]
        entry[0] += 1
        entry[1] += r.verdict == "flagged"
        entry[2] += r.verdict == "rejected"
        entry[3] += "burst" in (r.reasons or [])
    out = [PatternRow(k[0], k[1], k[2], *v) for k, v in counts.items()]
    return sorted(out, key=lambda p: (p.week, p.share_flagged), reverse=True)
