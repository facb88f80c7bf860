"""Rate limits: who a limit counts (a hashed address, a hashed account) and the
default counter storage that every worker process of one machine shares.

Flask-Limiter applies the limits (`@limiter.limit` in the views); its storage
comes from ``RATELIMIT_STORAGE_URI``. Production with several machines points
that at Redis. Without it, the default is ``sqlite-file://`` below: a small
SQLite file under instance/, separate from the app's database, so a count
holds across every gunicorn worker of the machine (the limits library's
``memory://`` counts per process, which multiplied each limit by the number
of workers) and a counter's write never queues behind the citizens' answers
for the app database's write lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from urllib.parse import urlsplit

from flask import request
from limits.storage import Storage

from surveyapp.security import salted_hash

__all__ = ["SQLiteFileStorage", "account_key", "address_key", "failed_sign_in"]


def address_key() -> str:
    """The client's address, as a salted hash: counters outlive the request
    (in the SQLite file or Redis) and need no raw address (PIPL)."""
    return salted_hash(request.remote_addr or "-", purpose="ratelimit-address")[:32]


def account_key() -> str:
    """The account a sign-in names, as a salted hash (an unknown name counts
    as any other, so names cannot be probed by the limit either)."""
    name = (request.form.get("username") or "").strip()
    return salted_hash(name or "-", purpose="ratelimit-account")[:32]


def failed_sign_in(response) -> bool:
    """Only a refused password counts against the sign-in limits, so the
    colleagues of an office behind one address never lock each other out."""
    return response.status_code == 401


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
