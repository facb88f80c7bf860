"""Fixtures: app, client, runner, db, and factories that return callables."""

from __future__ import annotations

import contextvars
import os
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from surveyapp import create_app
from surveyapp.extensions import db as _db

# ../shared/data beside the checkout; a worktree (/work/wt/<name>) finds it further up.
SHARED_DATA = next(
    (
        parent / "shared" / "data"
        for parent in Path(__file__).resolve().parents
        if (parent / "shared" / "data").is_dir()
    ),
    Path(__file__).resolve().parents[1].parent / "shared" / "data",
)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (tests that need it skip)")
    return path


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class BufferedClient(FlaskClient):
    """Reads and closes every response as a real server does, so work deferred
    to after the response (call_on_close) runs before the test looks."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        if self.preserve_context:  # `with client:` keeps the test's contexts
            return super().open(*args, **kwargs)
        # Each request in a context of its own, as under a real server: its own
        # app context (a fresh ``g``, locale and user) and database session.
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        }
    )
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    app.test_client_class = BufferedClient
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture()
def db(app):
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        _clear(_db)


def _clear(database) -> None:
    from surveyapp.services.memory import forget_all

    # Rows go without the ORM seeing them, and ids start again with every
    # test: no cached place, version or blank form may outlive its rows.
    forget_all()
    tables = list(reversed(database.metadata.sorted_tables))
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture()
def csrf_app(app, db):
    """The test app with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture()
def demo(db):
    """Yulin's demo organisation and the published default questionnaire."""
    from surveyapp.services.admin.demo import seed_demo

    seed_demo(0)
    return db


@pytest.fixture()
def make_user(db):
    from surveyapp.services.admin.users import create_user

    def make(
        username="admin", role="admin", password="correct horse battery", firm=None
    ):
        return create_user(username, password, role, firm_id=firm.id if firm else None)

    return make


@pytest.fixture()
def login(client, make_user):
    def do(username="admin", role="admin", password="correct horse battery", firm=None):
        user = make_user(username, role, password, firm)
        response = client.post(
            "/office/login", data={"username": username, "password": password}
        )
        assert response.status_code == 302, response.data[:500]
        return user

    return do


def ticket_from(html: str) -> str:
    return re.search(r'name="ticket" value="([^"]+)"', html).group(1)


def full_answers(overall: int = 4, **extra) -> dict:
    from surveyapp.services.questionnaires.default import DRIVERS

    data = {"q_overall": str(overall)}
    for key, _zh, _en in DRIVERS:
        data[f"q_drivers_{key}"] = str(min(overall, 5))
    if overall <= 2:
        data["q_problems"] = ["waiting"]
    data.update(extra)
    return data


@pytest.fixture()
def survey_path(demo):
    """The path of the first window's QR code (hall 玉林市政务服务中心)."""
    from surveyapp.services.organisation.qr import hall_codes

    def path(index: int = 1, hall_code: str = "H450900") -> str:
        from sqlalchemy import select

        from surveyapp.models import Hall

        hall = _db.session.scalar(select(Hall).where(Hall.code == hall_code))
        url = hall_codes(hall, "http://surveys.example.test")[index].url
        return url.removeprefix("http://surveys.example.test")

    return path


@pytest.fixture()
def submit(client, survey_path):
    """Open the questionnaire, then post answers with the form's ticket."""

    def do(answers: dict | None = None, path: str | None = None, **kwargs):
        path = path or survey_path()
        page = client.get(path)
        data = {"ticket": ticket_from(page.get_data(as_text=True))}
        data.update(answers if answers is not None else full_answers())
        return client.post(path, data=data, **kwargs)

    return do
