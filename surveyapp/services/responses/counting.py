"""What counts: the one definition of the responses every figure is made of.

A response counts unless it was rejected (a bot, a duplicate, a reviewer's
rejection): flagged responses count while they wait for review, as the
responses export shows them. The office's summary, the index, the cases, the
complaints inbox, the public record and the API all select through here.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from surveyapp.models import Response

COUNTED_VERDICTS = ("ok", "flagged")


def response_counts() -> ColumnElement[bool]:
    """The WHERE clause of the responses that count."""
    return Response.verdict.in_(COUNTED_VERDICTS)


def verdict_counts(verdict: str | None) -> bool:
    """The same rule for one response already in memory."""
    return verdict in COUNTED_VERDICTS
