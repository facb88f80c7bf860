"""The default rate-limit storage: limits' memory storage, swept inline."""

from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from surveyapp.ratelimit_storage import SweptMemoryStorage


def test_the_scheme_is_registered_and_is_the_default(app):
    assert isinstance(storage_from_string("swept-memory://"), SweptMemoryStorage)
    assert app.config["RATELIMIT_STORAGE_URI"] == "swept-memory://"


@pytest.mark.parametrize(
    ("cls", "spawns"), [(MemoryStorage, True), (SweptMemoryStorage, False)]
)
def test_no_thread_per_hit(monkeypatch, cls, spawns):
    storage = cls()
    storage.timer.join()  # the one timer every instance starts
    started = []
    real_start = threading.Timer.start
    monkeypatch.setattr(
        threading.Timer, "start", lambda self: started.append(1) or real_start(self)
    )
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("1000/minute")
    for _ in range(5):
        limiter.hit(limit, "client")
        storage.timer.join()  # the library's timer ends, as between requests
    # the library's storage starts a timer thread again and again; ours none
    assert bool(started) is spawns


def test_limits_and_expiry_still_hold(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("time.time", lambda: clock[0])
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    storage = SweptMemoryStorage()
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3/minute")
    assert [limiter.hit(limit, "a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "b")  # another client has its own count
    clock[0] += 61
    assert limiter.hit(limit, "a")  # the window has passed
    # that hit swept the idle client's counter inline, without any thread
    assert set(storage.storage) == {limit.key_for("a")}
    clock[0] += 61
    storage.incr("c", 60)
    assert set(storage.storage) == {"c"}


def _limited_app(**limiter_options):
    from flask import Flask
    from flask_limiter.util import get_remote_address

    from surveyapp.extensions import RouteLimiter

    app = Flask(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "swept-memory://"
    limiter = RouteLimiter(key_func=get_remote_address, **limiter_options)
    limiter.init_app(app)

    def open_view():
        return "ok"

    @limiter.limit("2/minute")
    def guarded_view():
        return "ok"

    @limiter.per_address(lambda: app.config["DIRECT_LIMIT"])
    def direct_view():
        return "ok"

    app.config["DIRECT_LIMIT"] = "5/hour;2/minute"
    app.add_url_rule("/open", "open", open_view, methods=["POST"])
    app.add_url_rule("/guarded", "guarded", guarded_view, methods=["POST"])
    app.add_url_rule("/direct", "direct", direct_view, methods=["GET", "POST"])
    return app, limiter


def _statuses(app, path: str, n: int) -> list[int]:
    client = app.test_client()
    return [client.post(path).status_code for _ in range(n)]


def test_route_limits_hold_without_the_per_request_search(monkeypatch):
    from flask_limiter import Limiter

    app, limiter = _limited_app()
    searches = []
    real = Limiter._check_request_limit
    monkeypatch.setattr(
        Limiter,
        "_check_request_limit",
        lambda self, callable_name=None, in_middleware=True: (
            searches.append(in_middleware) or real(self, callable_name, in_middleware)
        ),
    )
    assert _statuses(app, "/guarded", 3) == [200, 200, 429]
    assert _statuses(app, "/open", 3) == [200, 200, 200]
    # Only the decorator's own checks reached the library: no middleware search.
    assert searches == [False, False, False]


def test_a_configured_default_limit_is_still_searched_for():
    app, _ = _limited_app(default_limits=["2/minute"])
    assert _statuses(app, "/open", 3) == [200, 200, 429]


def test_per_address_counts_as_the_library_decorator_does():
    app, limiter = _limited_app(key_prefix="p")
    client = app.test_client()
    # Page views pass; posts are limited by the tightest of the view's limits.
    assert [client.get("/direct").status_code for _ in range(3)] == [200] * 3
    assert [client.post("/direct").status_code for _ in range(3)] == [200, 200, 429]
    # Another address has its own count.
    other = client.post("/direct", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    # The counters are the library's own: under the same keys (prefix, address,
    # endpoint) in the same storage as `@limiter.limit` would keep them.
    two_a_minute = parse("2/minute")
    with app.test_request_context("/direct", environ_base={"REMOTE_ADDR": "10.0.0.9"}):
        assert (
            limiter.limiter.get_window_stats(
                two_a_minute, "p", "10.0.0.9", "direct"
            ).remaining
            == 1
        )
    limiter.enabled = False
    assert client.post("/direct").status_code == 200


def test_the_library_hooks_still_answer_for_its_own_checks():
    # A route under `@limiter.limit` still gets the library's headers (its
    # after-request hook runs because its check ran); per_address adds none.
    app, _ = _limited_app(headers_enabled=True)
    client = app.test_client()
    guarded = client.post("/guarded")
    assert guarded.headers["X-RateLimit-Limit"] == "2"
    assert guarded.headers["X-RateLimit-Remaining"] == "1"
    assert "X-RateLimit-Limit" not in client.post("/direct").headers
