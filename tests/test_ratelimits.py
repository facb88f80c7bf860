"""Rate limits: the shared SQLite counter storage, the sign-in throttle (failed
sign-ins per account and per address, across worker processes) and the key
prefix."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from surveyapp import create_app
from surveyapp.ratelimits import Counters, SQLiteFileStorage

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"


def _storage(tmp_path) -> SQLiteFileStorage:
    storage = storage_from_string(f"sqlite-file://{tmp_path / 'rl' / 'counts.db'}")
    assert isinstance(storage, SQLiteFileStorage)
    return storage


def test_counts_expire_and_clear(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("surveyapp.ratelimits.time.time", lambda: clock[0])
    storage = _storage(tmp_path)
    strategy = FixedWindowRateLimiter(storage)
    limit = parse("3/minute")
    assert [strategy.hit(limit, "a") for _ in range(4)] == [True, True, True, False]
    assert strategy.hit(limit, "b")  # another key has its own count
    assert not strategy.test(limit, "a")
    assert storage.get_expiry(limit.key_for("a")) == 1060.0
    clock[0] += 61  # the window has passed
    assert strategy.test(limit, "a") and storage.get(limit.key_for("a")) == 0
    assert strategy.hit(limit, "a")
    assert storage.get(limit.key_for("a")) == 1
    storage.clear(limit.key_for("a"))
    assert storage.get(limit.key_for("a")) == 0
    # the hit after the window swept the idle key's row
    assert storage.get(limit.key_for("b")) == 0
    assert strategy.hit(limit, "c")
    assert storage.check()
    assert storage.reset() == 1 and storage.get(limit.key_for("c")) == 0


def _hammer(uri: str, n: int) -> None:
    storage = storage_from_string(uri)
    for _ in range(n):
        storage.incr("shared", 60)


def test_concurrent_processes_lose_no_hit(tmp_path):
    uri = f"sqlite-file://{tmp_path / 'counts.db'}"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hammer, args=(uri, 100)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert storage_from_string(uri).get("shared") == 400


_BROKEN = textwrap.dedent(
    """
    import json
    from surveyapp import create_app
    app = create_app({
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "sqlite-file:///dev/null/nowhere/counts.db",
        "RATELIMIT_SUBMIT": "2/hour",
    })
    client = app.test_client()
    print(json.dumps([client.post("/s/forged", data={"q": "1"}).status_code
                      for _ in range(3)]))
    """
)


def test_a_broken_storage_never_fails_a_request():
    # In a process of its own: the limiter remembers a dead storage.
    out = subprocess.run(
        [sys.executable, "-c", _BROKEN],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # no 500: the limits count in this process's memory meanwhile
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [404, 404, 429]


# --- the sign-in throttle in one process -----------------------------------------


@pytest.fixture()
def limited(app, db):
    def make(**config):
        return create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": "memory://",
                "RATELIMIT_LOGIN": "5/hour",
                "RATELIMIT_LOGIN_ACCOUNT": "3/hour",
                **config,
            }
        )

    return make


def _sign_in(client, username: str, password: str, address: str) -> int:
    return client.post(
        "/office/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def test_failed_sign_ins_lock_the_account_from_any_address(limited, make_user):
    make_user("alice", "analyst")
    make_user("bob", "analyst")
    client = limited().test_client()
    tried = [_sign_in(client, "alice", "wrong", f"10.0.0.{i}") for i in range(1, 5)]
    assert tried == [401, 401, 401, 429]
    # locked: even the right password waits until the window has passed
    assert _sign_in(client, "alice", PASSWORD, "10.0.0.9") == 429
    # ... while another account from the same addresses signs in
    assert _sign_in(limited().test_client(), "bob", PASSWORD, "10.0.0.1") == 302


def test_failed_sign_ins_lock_the_address_across_accounts(limited, make_user):
    client = limited().test_client()
    tried = [_sign_in(client, f"user{i}", "wrong", "10.0.1.1") for i in range(6)]
    assert tried == [401] * 5 + [429]
    assert _sign_in(client, "someone", "wrong", "10.0.1.2") == 401


def test_successful_sign_ins_never_lock_an_office_out(limited, make_user):
    # An office behind one address: every colleague signs in, some twice.
    for i in range(4):
        make_user(f"clerk{i}", "analyst")
    client = limited().test_client()
    signed_in = [
        _sign_in(client, f"clerk{i % 4}", PASSWORD, "10.0.2.1") for i in range(12)
    ]
    assert signed_in == [302] * 12
    # a page view of the sign-in form is never counted
    assert all(client.get("/office/login").status_code == 200 for _ in range(8))


# --- across worker processes -------------------------------------------------------

_WORKER = textwrap.dedent(
    """
    import json, sys
    from surveyapp import create_app
    from surveyapp.extensions import db
    config, attempts = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    app = create_app(config)
    with app.app_context():
        db.create_all()
        from surveyapp.models import User
        if db.session.scalar(db.select(User).where(User.username == "admin")) is None:
            from surveyapp.services.admin.users import create_user
            create_user("admin", "correct horse battery", "admin")
    client = app.test_client()
    print(json.dumps([
        client.post("/office/login", data={"username": u, "password": p},
                    environ_base={"REMOTE_ADDR": a}).status_code
        for u, p, a in attempts
    ]))
    """
)


def _worker(config: dict, attempts: list[tuple[str, str, str]]) -> list[int]:
    """One worker process of its own (as gunicorn forks them): its own app,
    its own limiter, the shared storage."""
    out = subprocess.run(
        [sys.executable, "-c", _WORKER, json.dumps(config), json.dumps(attempts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_sign_in_throttle_holds_across_worker_processes(tmp_path):
    config = {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}",
        "RATELIMIT_ENABLED": True,
        # the embedded default's kind of storage, in this test's own file
        "RATELIMIT_STORAGE_URI": f"sqlite-file://{tmp_path / 'ratelimits.db'}",
        "RATELIMIT_LOGIN": "4/hour",
        "RATELIMIT_LOGIN_ACCOUNT": "3/hour",
    }
    wrong = ("admin", "wrong", "10.0.3.1")
    # Per-process counting let each worker allow its own three failures.
    assert _worker(config, [wrong, wrong]) == [401, 401]
    assert _worker(config, [wrong, wrong]) == [401, 429]
    assert _worker(config, [("admin", PASSWORD, "10.0.3.2")]) == [429]
    # The address counted the same three failures: one more, then locked.
    assert _worker(config, [("x", "y", "10.0.3.1")] * 2) == [401, 429]
    # Another site sharing the storage under its own prefix counts apart.
    other = {**config, "RATELIMIT_KEY_PREFIX": "another-site"}
    assert _worker(other, [wrong]) == [401]


# --- the decorator's own behaviour ------------------------------------------------


def test_a_failed_storage_is_asked_again_after_a_while(tmp_path, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("surveyapp.ratelimits.time.monotonic", lambda: clock[0])
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")  # the storage's folder cannot be made under a file
    uri = f"sqlite-file://{blocker / 'counts.db'}"
    counters = Counters(uri)
    item, ids = parse("2/minute"), ("prefix", "view", "key")
    # the storage fails: this process counts in its memory, and still limits
    assert [counters.hit(item, ids) for _ in range(3)] == [True, True, False]
    blocker.unlink()
    clock[0] += Counters.RETRY_STORAGE_S - 1
    assert not counters.hit(item, ids)  # not asked again yet
    clock[0] += 2
    assert counters.hit(item, ids)  # the storage answers again and counts
    assert storage_from_string(uri).get(item.key_for(*ids)) == 1


def test_a_limit_that_does_not_parse_stops_the_start(app):
    with pytest.raises(RuntimeError, match="RATELIMIT_SUBMIT"):
        create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "RATELIMIT_SUBMIT": "twenty a minute",
            }
        )
