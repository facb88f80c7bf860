"""Rate limits: a decorator on the `limits` package's public API, who a limit
counts (a hashed address, a hashed account) and the default counter storage
that every worker process of one machine shares.

`@limit("RATELIMIT_SUBMIT")` on a view counts its requests against the limits
that config key names ("20/minute;200/hour"), per client address unless the
view names another key, in fixed windows. Over a limit the view never runs:
429 in the user's language, with Retry-After. With `count=` a request is
checked first and counted only when its response qualifies (a refused
password), so a locked-out account waits before its password is checked.

The counters live in ``RATELIMIT_STORAGE_URI``. Production with several
machines points that at Redis. Without it, the default is ``sqlite-file://``
below: a small SQLite file under instance/, separate from the app's database,
so a count holds across every gunicorn worker of the machine (the limits
library's ``memory://`` counts per process, which multiplied each limit by
the number of workers) and a counter's write never queues behind the
citizens' answers for the app database's write lock. A storage that fails
(Redis away, a full disk) never fails a request: the process counts in its
own memory and asks the storage again after a while.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from functools import lru_cache, wraps
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from surveyapp.security import salted_hash

__all__ = [
    "SQLiteFileStorage",
    "account_key",
    "address_key",
    "failed_sign_in",
    "init_app",
    "limit",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

EXTENSION = "surveyapp.ratelimits"
# The settings that name limits; each is parsed when the app starts, so a
# typo stops the start instead of failing requests.
LIMIT_SETTINGS = (
    "RATELIMIT_SUBMIT",
    "RATELIMIT_TRACK",
    "RATELIMIT_LOGIN",
    "RATELIMIT_LOGIN_ACCOUNT",
)


def address_key() -> str:
    """The client's address, as a salted hash: counters outlive the request
    (in the SQLite file or Redis) and need no raw address (PIPL)."""
    return salted_hash(request.remote_addr or "-", purpose="ratelimit-address")[:32]


def account_key() -> str:
    """The account a sign-in names, as a salted hash (an unknown name counts
    as any other, so names cannot be probed by the limit either)."""
    name = (request.form.get("username") or "").strip()
    return salted_hash(name or "-", purpose="ratelimit-account")[:32]


def failed_sign_in(response: Response) -> bool:
    """Only a refused password counts against the sign-in limits, so the
    colleagues of an office behind one address never lock each other out."""
    return response.status_code == 401


@lru_cache(maxsize=64)
def limits_of(setting: str) -> tuple[RateLimitItem, ...]:
    """A setting such as "20/minute;200/hour" as the limits package's items."""
    return tuple(parse_many(setting))


class Counters:
    """One app's counting: the configured storage and, while it fails, the
    process's memory (made when first needed, so never before a fork)."""

    RETRY_STORAGE_S = 30.0

    def __init__(self, uri: str) -> None:
        self.shared = FixedWindowRateLimiter(
            storage_from_string(uri, wrap_exceptions=True)
        )
        self.local: FixedWindowRateLimiter | None = None
        self.shared_down_until = 0.0

    def _strategy(self) -> FixedWindowRateLimiter:
        if self.shared_down_until and time.monotonic() < self.shared_down_until:
            if self.local is None:
                self.local = FixedWindowRateLimiter(MemoryStorage())
            return self.local
        return self.shared

    def _run(self, step: Callable[[FixedWindowRateLimiter], T]) -> T:
        strategy = self._strategy()
        try:
            return step(strategy)
        except StorageError as error:
            if strategy is not self.shared:
                raise
            log.warning(
                "rate-limit storage failed (%s); counting in this process for %ds",
                error.storage_error,
                self.RETRY_STORAGE_S,
            )
            self.shared_down_until = time.monotonic() + self.RETRY_STORAGE_S
            return step(self._strategy())

    def hit(self, item: RateLimitItem, ids: Sequence[str]) -> bool:
        return self._run(lambda strategy: strategy.hit(item, *ids))

    def test(self, item: RateLimitItem, ids: Sequence[str]) -> bool:
        return self._run(lambda strategy: strategy.test(item, *ids))

    def refuse(self, item: RateLimitItem, ids: Sequence[str]) -> TooManyRequests:
        """429, with the seconds until the window that refused has passed."""
        reset_at = self._run(
            lambda strategy: strategy.get_window_stats(item, *ids).reset_time
        )
        return TooManyRequests(retry_after=max(1, math.ceil(reset_at - time.time())))


def init_app(app: Flask) -> None:
    for setting in LIMIT_SETTINGS:
        try:
            limits_of(app.config[setting])
        except ValueError as error:
            raise RuntimeError(f"{setting}: {error}") from error
    app.extensions[EXTENSION] = Counters(app.config["RATELIMIT_STORAGE_URI"])


def limit(
    setting: str,
    *,
    key: Callable[[], str] = address_key,
    scope: str | None = None,
    methods: Sequence[str] | None = None,
    count: Callable[[Response], bool] | None = None,
):
    """Limit a view by the limits in ``app.config[setting]``, counted per
    ``key()`` (the client's hashed address) apart for each view (or each
    `scope`). `methods` limits only those methods (a form's POST, not its
    page); `count` counts a request only when its response qualifies."""

    def decorate(view):
        name = scope or f"{view.__module__}.{view.__name__}"

        @wraps(view)
        def limited(*args, **kwargs):
            config = current_app.config
            if not config["RATELIMIT_ENABLED"] or (
                methods is not None and request.method not in methods
            ):
                return view(*args, **kwargs)
            counters: Counters = current_app.extensions[EXTENSION]
            items = limits_of(config[setting])
            ids = (config["RATELIMIT_KEY_PREFIX"], name, key())
            check = counters.test if count is not None else counters.hit
            for item in items:
                if not check(item, ids):
                    raise counters.refuse(item, ids)
            if count is None:
                return view(*args, **kwargs)
            response = current_app.make_response(view(*args, **kwargs))
            if count(response):
                for item in items:
                    counters.hit(item, ids)
            return response

        return limited

    return decorate


class SQLiteFileStorage(Storage):
    """A `limits` storage (its documented extension point) in one SQLite file.

    ``sqlite-file:///absolute/path.sqlite3``. Each counter is one row: an
    atomic UPSERT increments it or, once its window has passed, starts it
    again, so concurrent workers never lose a hit. Counters are worth little
    after a crash, so the file is not synced to disk on every write; expired
    rows are swept at most once a minute per process. Supports the
    fixed-window strategy (Flask-Limiter's default).
    """

    STORAGE_SCHEME = ["sqlite-file"]
    SWEEP_EVERY_S = 60.0

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        timeout: float = 5.0,
        **options,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        path = urlsplit(uri or "").path
        if not path:
            raise ValueError(
                "sqlite-file:// needs a path, e.g. sqlite-file:///srv/rl.db"
            )
        self.path = path
        self.timeout = float(timeout)
        self._local = threading.local()
        self._next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        """This thread's connection; a forked worker opens its own."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            try:
                os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            except OSError:
                pass  # sqlite3 says why it cannot open the file
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS counters ("
                " key TEXT PRIMARY KEY, count INTEGER NOT NULL,"
                " expires_at REAL NOT NULL)"
            )
            local.conn, local.pid = conn, os.getpid()
        return local.conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        db = self._db()
        (count,) = db.execute(
            "INSERT INTO counters (key, count, expires_at) VALUES (?1, ?2, ?3)"
            " ON CONFLICT (key) DO UPDATE SET"
            "  count = CASE WHEN expires_at <= ?4 THEN ?2 ELSE count + ?2 END,"
            "  expires_at = CASE WHEN expires_at <= ?4 THEN ?3 ELSE expires_at END"
            " RETURNING count",
            (key, amount, now + expiry, now),
        ).fetchone()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY_S
            db.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return count

    def get(self, key: str) -> int:
        row = (
            self._db()
            .execute(
                "SELECT count FROM counters WHERE key = ? AND expires_at > ?",
                (key, time.time()),
            )
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._db()
            .execute(
                "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?",
                (key, now),
            )
            .fetchone()
        )
        return row[0] if row else now

    def check(self) -> bool:
        try:
            self._db().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))
