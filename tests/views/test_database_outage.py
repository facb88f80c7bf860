"""The database goes away: citizens get a friendly 503 with their answers kept,
and the site recovers by itself when the database returns."""

from __future__ import annotations

import html
import os
import re
import socket
import threading
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool
from werkzeug.datastructures import MultiDict

from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.models import Hall, Response
from tests.conftest import full_answers, ticket_from

SORRY_ZH = "暂时无法保存您的评价"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _count() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def test_failed_commit_gives_503_with_answers_kept_then_retry_works(
    client, submit, survey_path, monkeypatch
):
    answers = full_answers(2, q_suggestion="希望多开一个窗口 <b>谢谢</b>")
    path = survey_path()
    page = client.get(path)
    dialect = db.engine.dialect

    def unavailable(dbapi_connection):
        # What the driver raises when the server goes away at the COMMIT;
        # SQLAlchemy wraps it, whichever connection the submission used.
        raise dialect.loaded_dbapi.OperationalError("server closed the connection")

    monkeypatch.setattr(dialect, "do_commit", unavailable)
    data = {"ticket": ticket_from(page.get_data(as_text=True)), **answers}
    refused = client.post(path, data=data)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert SORRY_ZH in body
    assert "希望多开一个窗口 &lt;b&gt;谢谢&lt;/b&gt;" in body  # kept, escaped
    kept = [(name, html.unescape(value)) for name, value in HIDDEN.findall(body)]
    assert ("q_overall", "2") in kept and ("ticket", data["ticket"]) in kept
    assert "Traceback" not in body
    monkeypatch.undo()
    assert _count() == 0
    again = client.post(path, data=MultiDict(kept))  # the same ticket: stored once
    assert again.status_code == 303
    assert _count() == 1


class TcpProxy:
    """A TCP forwarder the test can cut and restore, standing in for a network
    or server outage without touching the real database server."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._sockets: list[socket.socket] = []
        self._running = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        server.settimeout(0.05)
        self._running.set()
        self._thread = threading.Thread(
            target=self._accept, args=(server,), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Refuse new connections and cut the open ones."""
        self._running.clear()
        if self._thread is not None:
            self._thread.join()  # the listening socket is closed when it returns
            self._thread = None
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._sockets.clear()

    def _accept(self, server: socket.socket) -> None:
        with server:
            while self._running.is_set():
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not self._running.is_set():
                    client.close()
                    return
                client.settimeout(None)
                upstream = socket.create_connection(self.upstream)
                self._sockets += [client, upstream]
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(
                        target=self._pump, args=(a, b), daemon=True
                    ).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request, tmp_path):
    """(app, cut, restore): a private database the test can take away."""
    if request.param == "sqlite":
        folder = tmp_path / "data"
        folder.mkdir()
        url = f"sqlite:///{folder / 'live.db'}"
        # No pool, so every request opens the file: moving the folder away is
        # an outage the next request meets.
        options = {"poolclass": NullPool, "connect_args": {"timeout": 1}}
        app = create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": options,
            }
        )
        away = tmp_path / "away"
        yield app, lambda: folder.rename(away), lambda: away.rename(folder)
        return
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("the PostgreSQL outage test needs TEST_DATABASE_URL=postgresql...")
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"surveyapp_outage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    parts = urlsplit(base)
    proxy = TcpProxy((parts.hostname, parts.port or 5432))
    proxy.start()
    url = f"{parts.scheme}://{parts.username}@127.0.0.1:{proxy.port}/{name}"
    # The app's real engine options: pool_pre_ping is what makes it recover.
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    yield app, proxy.stop, proxy.start
    proxy.stop()
    with app.app_context():
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_real_outage_keeps_answers_and_the_site_recovers(outage):
    from surveyapp.services.admin.demo import seed_demo
    from surveyapp.services.organisation.qr import hall_codes

    app, cut, restore = outage
    with app.app_context():
        db.create_all()
        seed_demo(0)
        hall = db.session.scalar(select(Hall).where(Hall.code == "H450900"))
        path = urlsplit(hall_codes(hall, "http://x.test")[1].url).path
        other_hall = db.session.scalar(select(Hall).where(Hall.id != hall.id))
        other = urlsplit(hall_codes(other_hall, "http://x.test")[1].url).path
        db.session.remove()
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    data = {
        "ticket": ticket_from(page.get_data(as_text=True)),
        **full_answers(1, q_suggestion="排队太久了"),
    }

    cut()
    refused = client.post(path, data=data)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert SORRY_ZH in body and "Traceback" not in body
    kept = [(name, html.unescape(value)) for name, value in HIDDEN.findall(body)]
    assert ("q_suggestion", "排队太久了") in kept
    assert ("ticket", data["ticket"]) in kept
    # A form this worker served before still opens from its memory of the
    # hall and version (services/memory.py); a code it never resolved gets
    # the friendly error page.
    assert client.get(path).status_code == 200
    outage_page = client.get(other)
    assert outage_page.status_code == 503
    assert "Traceback" not in outage_page.get_data(as_text=True)
    assert client.get("/readyz").json["reason"] == "database_unreachable"
    assert client.get("/healthz").status_code == 200

    restore()
    retried = client.post(path, data=MultiDict(kept))  # the "try again" button
    assert retried.status_code == 303, retried.get_data(as_text=True)[:500]
    assert client.get(path).status_code == 200
    with app.app_context():
        stored = db.session.scalars(select(Response)).one()
        assert stored.answers["suggestion"] == "排队太久了"
        db.session.remove()
