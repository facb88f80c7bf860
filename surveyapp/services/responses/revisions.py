"""一事一评: one visit is one rating.

A second submission from the same browser (its device cookie, hashed) for the
same window within ONE_VISIT_WINDOW_S of the first is the same visit: it
updates that rating instead of adding a row (and so a second case), and the
earlier answers are kept in the response's `revisions`, oldest first. The
look-up seeks the window's salted device hashes in a time range
(ix_responses_window_device), read once with the live duplicate check's; an
interviewer's tablet (mode "interview") serves many people and is never one
visit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from surveyapp.extensions import db
from surveyapp.models import Response

# What a revision replaces; the rest (hall, window, times, verdict, quota
# place) stays the first submission's.
REVISED_FIELDS = ("answers", "overall", "comment", "service_item_id", "language")


def visit_window_s() -> float:
    return float(current_app.config.get("ONE_VISIT_WINDOW_S", 0) or 0)


def same_visit(new: Response, now: datetime, device_rows) -> Response | None:
    """The earlier response of this browser's visit to this window, if any;
    ``device_rows``: the window's latest earlier answers of the same device,
    newest first (quality.verdicts.earlier_sharing reads them once for this
    rule and the live duplicate check)."""
    span = visit_window_s()
    if span <= 0 or new.mode != "qr" or not new.device_hash or not device_rows:
        return None
    latest = device_rows[0]
    if latest.submitted_at < now - timedelta(seconds=span):
        return None
    return db.session.get(Response, latest.id)


def revise(earlier: Response, new: Response, now: datetime) -> bool:
    """Put the new answers on the earlier response, its own kept in its
    history; a phone given now replaces the earlier one. No commit. Returns
    whether anything changed (a repeated post of the same answers changes
    nothing)."""
    if all(getattr(earlier, f) == getattr(new, f) for f in REVISED_FIELDS):
        return False
    kept = {f: getattr(earlier, f) for f in REVISED_FIELDS}
    kept["replaced_at"] = now.isoformat(timespec="seconds")
    earlier.revisions = [*(earlier.revisions or []), kept]
    for name in REVISED_FIELDS:
        setattr(earlier, name, getattr(new, name))
    if new.phone_hash:
        earlier.phone_hash = new.phone_hash
        earlier.phone_encrypted = new.phone_encrypted
        earlier.contact_consent = new.contact_consent
    return True
