"""Long locks (a migration, another process) end with the 503 page that keeps
every answer, well before gunicorn's worker timeout would kill the worker."""

from __future__ import annotations

import html
import importlib.util
import os
import re
import sqlite3
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, func, select, text
from werkzeug.datastructures import MultiDict

from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.models import Hall, Response
from tests.conftest import full_answers, ticket_from

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
ROOT = Path(__file__).resolve().parents[2]


def _gunicorn_conf():
    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf_locks", ROOT / "gunicorn.conf.py"
    )
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_database_timeouts_end_well_before_the_worker_timeout(monkeypatch):
    monkeypatch.delenv("DATABASE_STATEMENT_TIMEOUT_S", raising=False)
    conf = _gunicorn_conf()
    statement_s = float(os.environ["DATABASE_STATEMENT_TIMEOUT_S"])  # set by it
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "DATABASE_STATEMENT_TIMEOUT_S": statement_s,
        }
    )
    lock_s = app.config["DATABASE_LOCK_TIMEOUT_S"]
    # A request may wait for a lock at its first write; a statement ends in time.
    assert 0 < lock_s <= conf.timeout / 2 and 0 < statement_s <= conf.timeout / 2
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["timeout"] == lock_s


@pytest.fixture(params=["sqlite", "postgresql"])
def locked(request, tmp_path):
    """(app, hold, release): a private database in which another connection
    can hold the responses table's write lock."""
    options = {"DATABASE_LOCK_TIMEOUT_S": 1, "DATABASE_STATEMENT_TIMEOUT_S": 5}
    if request.param == "sqlite":
        path = tmp_path / "locks.db"
        app = create_app(
            {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
            | options
        )
        holder = sqlite3.connect(path, isolation_level=None)

        def hold():
            holder.execute("BEGIN IMMEDIATE")  # the one writer's lock

        yield app, hold, lambda: holder.execute("ROLLBACK")
        holder.close()
        return
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("the PostgreSQL lock test needs TEST_DATABASE_URL=postgresql...")
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"surveyapp_locks_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = urlsplit(base)._replace(path=f"/{name}").geturl()
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url} | options)
    other = create_engine(url)
    held = {}

    def hold():
        held["conn"] = conn = other.connect()
        conn.begin()
        # What a migration altering the table takes.
        conn.execute(text("LOCK TABLE responses IN ACCESS EXCLUSIVE MODE"))

    def release():
        held.pop("conn").close()  # rolls back

    yield app, hold, release
    other.dispose()
    with app.app_context():
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_long_write_lock_gives_the_page_that_keeps_every_answer(locked):
    from surveyapp.services.admin.demo import seed_demo
    from surveyapp.services.organisation.qr import hall_codes

    app, hold, release = locked
    with app.app_context():
        db.create_all()
        seed_demo(0)
        hall = db.session.scalar(select(Hall).where(Hall.code == "H450900"))
        path = urlsplit(hall_codes(hall, "http://x.test")[1].url).path
        # The waits in force on the app's own connections.
        if db.engine.dialect.name == "postgresql":
            assert db.session.scalar(text("SHOW lock_timeout")) == "1s"
            assert db.session.scalar(text("SHOW statement_timeout")) == "5s"
        else:
            assert db.session.scalar(text("PRAGMA busy_timeout")) == 1000
        db.session.remove()
    client = app.test_client()
    page = client.get(path)
    data = {
        "ticket": ticket_from(page.get_data(as_text=True)),
        **full_answers(1, q_complaint="窗口排队等了一个小时"),
    }
    hold()
    try:
        waited = client.post(path, data=data)
        body = waited.get_data(as_text=True)
        assert waited.status_code == 503, body[:300]
        assert waited.headers["Retry-After"]
        assert "暂时无法保存您的评价" in body and "Traceback" not in body
        kept = [(name, html.unescape(value)) for name, value in HIDDEN.findall(body)]
        assert ("q_complaint", "窗口排队等了一个小时") in kept
        assert ("ticket", data["ticket"]) in kept
    finally:
        release()
    retried = client.post(path, data=MultiDict(kept))  # the "try again" button
    assert retried.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 1
        db.session.remove()
