"""Storing a submission: its ticket, and one transaction for the row and
whatever the submission claimed with it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.models import Response
from tests.conftest import full_answers, ticket_from


def test_a_ticket_is_the_librarys_own_signed_token(app):
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    from surveyapp.services.responses.submit import (
        InvalidTicket,
        issue_ticket,
        read_ticket,
    )

    with app.test_request_context():
        token = issue_ticket(7, 3, 11, binding="ab" * 16)
        ticket = read_ticket(token)
        assert (ticket.version_id, ticket.hall_id, ticket.window_id) == (7, 3, 11)
        assert ticket.binding == "ab" * 16 and len(ticket.key) == 32
        hall_level = read_ticket(issue_ticket(7, 3, None))
        assert hall_level.window_id is None and hall_level.binding is None
        # documented itsdangerous, with the app's secret and the ticket's salt
        secret = app.config["SECRET_KEY"]
        payload = URLSafeTimedSerializer(secret, salt="form-ticket").loads(token)
        assert payload[2:] == [7, 3, 11, "ab" * 16]
        other = URLSafeTimedSerializer("another secret", salt="form-ticket")
        with pytest.raises(BadSignature):
            other.loads(token)
        body, signature = token.rsplit(".", 1)
        # The signature's first character (its last ones may carry padding
        # bits that decoding ignores).
        forged = f"{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
        for bad in (other.dumps(payload), forged, "", None):
            with pytest.raises(InvalidTicket):
                read_ticket(bad)


def test_a_failed_commit_keeps_neither_the_row_nor_its_quota_place(
    client, survey_path, db, monkeypatch
):
    """The quota claim and the row are one transaction: when the COMMIT fails
    (the citizen gets the 503 page), neither is kept; the retry stores the
    row and takes exactly one place."""
    from surveyapp.models.sampling import QuotaCell
    from tests.firm_factories import HALL, item, make_project

    make_project(targets={(HALL, "nr", "", ""): 5})
    path = survey_path()
    screened = client.post(path + "/screen", data={"service_item": str(item().id)})
    data = {
        "ticket": ticket_from(screened.get_data(as_text=True)),
        "screened": "1",
        "service_item": str(item().id),
        **full_answers(4),
    }
    dialect = db.engine.dialect

    def unavailable(dbapi_connection):
        raise dialect.loaded_dbapi.OperationalError("server closed the connection")

    monkeypatch.setattr(dialect, "do_commit", unavailable)
    assert client.post(path, data=data).status_code == 503
    monkeypatch.undo()
    cell = db.session.scalars(select(QuotaCell)).one()
    assert cell.completed == 0
    assert db.session.scalar(select(func.count(Response.id))) == 0
    assert client.post(path, data=data).status_code == 303
    db.session.refresh(cell)
    assert cell.completed == 1
    stored = db.session.scalars(select(Response)).one()
    assert stored.quota_cell_id == cell.id and stored.quota_counted
