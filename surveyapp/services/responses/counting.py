"""What counts: the one definition of the responses every figure is made of.

A response counts unless it was rejected (a bot, a duplicate, a reviewer's
rejection): flagged responses count while they wait for review, as the
responses export shows them. The office's summary, the index, the cases, the
complaints inbox, the public record and the API all select through here.

A case counts unless it was withdrawn: a rejected response opens no complaint
and no case, and the case of a response rejected later is withdrawn
(services/complaints/withdrawal.py) until the rejection is reversed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from surveyapp.models import Response
from surveyapp.models.complaints import ComplaintCase

COUNTED_VERDICTS = ("ok", "flagged")


def response_counts() -> ColumnElement[bool]:
    """The WHERE clause of the responses that count."""
    return Response.verdict.in_(COUNTED_VERDICTS)


def verdict_counts(verdict: str | None) -> bool:
    """The same rule for one response already in memory."""
    return verdict in COUNTED_VERDICTS


def case_counts() -> ColumnElement[bool]:
    """The WHERE clause of the cases that count (not withdrawn)."""
    return ComplaintCase.withdrawn_at.is_(None)
