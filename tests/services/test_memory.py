"""The per-process memory of halls, windows, versions and service items that
the citizen's path reads on every request (services/memory.py)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from surveyapp.models import Hall, Questionnaire, Window
from surveyapp.services import memory
from surveyapp.services.organisation.catalogue import service_items_for
from surveyapp.services.organisation.qr import InvalidCode, make_token
from surveyapp.services.questionnaires.versions import publish_version, resolve_token


@contextmanager
def counted_queries(db):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _window_token(db) -> tuple[str, Window]:
    window = db.session.scalars(select(Window).order_by(Window.id)).first()
    questionnaire = db.session.scalars(select(Questionnaire)).first()
    return make_token(window.hall_id, window.id, questionnaire.id), window


def test_a_resolved_code_is_remembered_and_needs_no_query(demo):
    token, window = _window_token(demo)
    first = resolve_token(token)
    demo.session.remove()  # the next request has a new session
    with counted_queries(demo) as statements:
        again = resolve_token(token)
        assert (again.hall.id, again.window.id, again.version.id) == (
            first.hall.id,
            first.window.id,
            first.version.id,
        )
        assert again.hall.name == first.hall.name
        assert again.version.definition == first.version.definition
    assert statements == []
    # The remembered rows belong to the new session; relationships still load.
    assert again.hall in demo.session
    assert {w.id for w in again.hall.windows} >= {window.id}


def test_a_change_in_this_process_is_seen_at_once(demo):
    token, window = _window_token(demo)
    target = resolve_token(token)
    questionnaire = demo.session.get(Questionnaire, target.version.questionnaire_id)
    definition = dict(target.version.definition)
    newer = publish_version(questionnaire, definition)
    assert resolve_token(token).version.id == newer.id
    demo.session.get(Window, window.id).active = False
    demo.session.commit()
    with pytest.raises(InvalidCode):
        resolve_token(token)


def test_another_workers_change_is_seen_within_the_ttl(demo, monkeypatch):
    token, window = _window_token(demo)
    hall_id = window.hall_id
    resolve_token(token)
    # Another worker switches the hall off: this process does not see the flush.
    demo.session.execute(update(Hall).where(Hall.id == hall_id).values(active=False))
    demo.session.commit()
    demo.session.remove()
    assert resolve_token(token).hall.id == hall_id  # still remembered
    later = memory.time.monotonic() + 31
    monkeypatch.setattr(memory.time, "monotonic", lambda: later)
    with pytest.raises(InvalidCode):
        resolve_token(token)


def test_service_items_are_remembered_and_forgotten_on_change(demo):
    _token, window = _window_token(demo)
    window = demo.session.get(Window, window.id)
    items = service_items_for(window.hall, window)
    assert items
    demo.session.remove()
    window = demo.session.get(Window, window.id)
    hall = window.hall
    with counted_queries(demo) as statements:
        again = service_items_for(hall, window)
    assert statements == []
    assert [(i.id, i.name) for i in again] == [(i.id, i.name) for i in items]
    dropped = window.service_items[0]
    window.service_items.remove(dropped)
    demo.session.commit()
    assert dropped.id not in {i.id for i in service_items_for(window.hall, window)}


def test_forget_all_clears_every_memory(demo):
    token, _window = _window_token(demo)
    resolve_token(token)
    assert any(len(m) for m in memory.ProcessMemory.instances)
    memory.forget_all()
    assert not any(len(m) for m in memory.ProcessMemory.instances)
