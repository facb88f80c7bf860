"""Complaint classification runs after the thank-you redirect has been sent."""

from __future__ import annotations

from sqlalchemy import func, select

from surveyapp.models import Complaint, Response
from tests.conftest import full_answers, ticket_from


def test_complaint_is_recorded_only_once_the_response_is_closed(
    client, db, survey_path
):
    path = survey_path()
    ticket = ticket_from(client.get(path).get_data(as_text=True))
    data = {"ticket": ticket, **full_answers(1, q_complaint="窗口排队一个多小时没人管")}
    streamed = client.post(path, data=data, buffered=False)
    assert streamed.status_code == 303
    # The response row is committed before the page goes out ...
    assert db.session.scalar(select(func.count(Response.id))) == 1
    # ... the complaint and its case come after the server closes the response.
    assert db.session.scalar(select(func.count(Complaint.id))) == 0
    streamed.close()
    complaint = db.session.scalars(select(Complaint)).one()
    assert complaint.response.comment == "窗口排队一个多小时没人管"
