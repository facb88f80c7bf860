"""The submission's new row: a plain object that reads as a new ORM Response,
stored in one short transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from surveyapp.models import Response
from surveyapp.services.responses.submit import _COLUMN_KEYS, NewResponse, _row_values
from tests.conftest import full_answers, ticket_from


def test_a_new_response_reads_as_a_new_orm_response():
    given = {"public_id": "k1", "overall": 4, "comment": "排队太久"}
    new, orm = NewResponse(**given), Response(**given)
    # The quality and quota steps read columns the submission has not set
    # (verdict, quota_cell_id, reviewed...): None on both, as on the ORM's.
    assert {key: getattr(new, key) for key in _COLUMN_KEYS} == {
        key: getattr(orm, key) for key in _COLUMN_KEYS
    }
    new.verdict = "flagged"
    assert new.verdict == "flagged"
    # A name that is no column is a mistake, not a silent None.
    with pytest.raises(AttributeError):
        new.verdcit  # noqa: B018
    # Only what was set goes into the INSERT; the table's defaults fill the rest.
    assert _row_values(new) == {**given, "verdict": "flagged"}


def test_tickets_read_both_ways_with_the_library_serializer():
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    from surveyapp.services.responses.submit import _TICKET_SALT, _TicketSerializer

    ours = _TicketSerializer("s" * 32, salt=_TICKET_SALT)
    library = URLSafeTimedSerializer("s" * 32, salt=_TICKET_SALT)
    payload = ["0123456789abcdef" * 2, 1732400000.5, 7, "ab" * 16]
    # Tickets issued before (the library compresses this one) still read...
    assert library.dumps(payload).startswith(".")
    assert ours.loads(library.dumps(payload)) == payload
    # ... and ours are ones the library itself reads.
    assert library.loads(ours.dumps(payload)) == payload
    # The one signer serves every ticket; another key's ticket is refused.
    assert ours.make_signer() is ours.make_signer()
    other = _TicketSerializer("t" * 32, salt=_TICKET_SALT)
    with pytest.raises(BadSignature):
        ours.loads(other.dumps(payload))
    # With the secret rotated, each key (derived once) still reads its own.
    rotated = _TicketSerializer(["s" * 32, "t" * 32], salt=_TICKET_SALT)
    assert rotated.loads(ours.dumps(payload)) == payload
    assert rotated.loads(other.dumps(payload)) == payload
    assert (
        URLSafeTimedSerializer("t" * 32, salt=_TICKET_SALT).loads(
            rotated.dumps(payload)
        )
        == payload
    )  # signed with the newest


def test_a_plain_submission_is_one_core_transaction_without_a_session(
    client, survey_path, db
):
    path = survey_path()
    data = {
        "ticket": ticket_from(client.get(path).get_data(as_text=True)),
        **full_answers(5),
    }
    begun = []

    def note(session, transaction, connection):
        begun.append(session)

    event.listen(Session, "after_begin", note)
    try:
        stored = client.post(path, data=data)
    finally:
        event.remove(Session, "after_begin", note)
    assert stored.status_code == 303
    assert begun == []  # no ORM session began a transaction for it
    assert db.session.scalar(select(func.count(Response.id))) == 1
