"""The per-process caches of halls, windows, versions, service items and
projects that the citizen's path reads on every request (services/memory.py)."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from surveyapp.extensions import db as _db
from surveyapp.models import Hall, Questionnaire, Window
from surveyapp.services import memory
from surveyapp.services.fieldwork.projects import active_project_for
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


def _later(monkeypatch, seconds: float) -> None:
    now = memory.time.monotonic() + seconds
    monkeypatch.setattr(memory.time, "monotonic", lambda: now)


def test_a_resolved_code_is_remembered_as_plain_values(demo):
    token, window = _window_token(demo)
    first = resolve_token(token)
    service_items_for(first.hall, first.window)
    active_project_for(first.hall_id)
    demo.session.remove()  # the next request has a new session
    with counted_queries(demo) as statements:
        again = resolve_token(token)
        items = service_items_for(again.hall, again.window)
        project = active_project_for(again.hall_id)
    assert statements == []
    assert again == first and items and project is None
    assert (again.hall_id, again.window_id) == (window.hall_id, window.id)
    # Frozen values, never ORM rows shared between requests and sessions.
    for value in (again, again.hall, again.window, again.version, *items):
        assert dataclasses.is_dataclass(value) and not isinstance(value, _db.Model)
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.id = 0


def test_the_services_that_change_the_data_forget_it(demo):
    token, _window = _window_token(demo)
    target = resolve_token(token)
    questionnaire = demo.session.get(Questionnaire, target.version.questionnaire_id)
    newer = publish_version(questionnaire, dict(target.version.definition))
    assert resolve_token(token).version.id == newer.id
    from tests.firm_factories import make_project

    assert active_project_for(target.hall_id) is None
    project = make_project()  # create_project
    assert active_project_for(target.hall_id).id == project.id


def test_another_workers_change_is_seen_within_the_ttl(demo, monkeypatch):
    token, window = _window_token(demo)
    hall_id = window.hall_id
    before = service_items_for(window.hall, window)
    resolve_token(token)
    # Another worker switches the hall off and drops an item: this process
    # is not told.
    demo.session.execute(update(Hall).where(Hall.id == hall_id).values(active=False))
    window.service_items.remove(window.service_items[0])
    demo.session.commit()
    assert resolve_token(token).hall_id == hall_id  # still remembered
    assert service_items_for(window.hall, window) == before
    _later(monkeypatch, memory.TTL_S + 1)
    with pytest.raises(InvalidCode):
        resolve_token(token)
    assert len(service_items_for(window.hall, window)) == len(before) - 1


def test_forget_all_clears_every_cache(demo):
    token, window = _window_token(demo)
    resolve_token(token)
    demo.session.execute(
        update(Window).where(Window.id == window.id).values(active=False)
    )
    demo.session.commit()
    memory.forget_all()
    with pytest.raises(InvalidCode):
        resolve_token(token)
