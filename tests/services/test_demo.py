"""Demo data: plausible responses over the last days, never in the future."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from surveyapp.models import Response
from surveyapp.services.admin import demo as demo_service


# 02:00 UTC is 10:00 in Yulin: part of today's opening hours lies ahead;
# 20:00 UTC is 04:00 the next day there, before the halls open.
@pytest.mark.parametrize("hour", [2, 8, 20])
def test_demo_responses_are_never_in_the_future(db, monkeypatch, hour):
    now = datetime(2026, 11, 24, hour, 30)  # a Tuesday (UTC, naive as stored)
    monkeypatch.setattr(demo_service, "utcnow", lambda: now)
    demo_service.seed_demo(responses=600)
    stored = db.session.scalar(
        select(func.count(Response.id)).where(Response.public_id.like("demo-%"))
    )
    assert stored == 600
    latest = db.session.scalar(select(func.max(Response.submitted_at)))
    assert latest <= now
    earliest = db.session.scalar(select(func.min(Response.submitted_at)))
    assert earliest >= now - timedelta(days=91)
