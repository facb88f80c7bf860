"""Flask-Limiter's in-process counter storage, without a thread per request."""

from __future__ import annotations

import time

from limits.storage import MemoryStorage

__all__ = ["SweptMemoryStorage"]


class SweptMemoryStorage(MemoryStorage):
    """``memory://`` of the limits library, swept inline.

    ``MemoryStorage`` starts a ``threading.Timer`` on every hit once the
    previous one (10 ms) has run: under load, one new thread per submission,
    ~10% of the submission path's samples in benchmarks/load.py (py-spy).
    A counter is already dropped when it is read after its expiry
    (``MemoryStorage.get``); the sweep only frees the memory of idle keys, so
    here it runs in the request itself, at most once per ``SWEEP_EVERY_S``.
    Select it with ``RATELIMIT_STORAGE_URI=swept-memory://`` (the default);
    counts are per process, like ``memory://``: use Redis when several
    processes serve.
    """

    STORAGE_SCHEME = ["swept-memory"]
    SWEEP_EVERY_S = 1.0

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options
    ):
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    # MemoryStorage calls self.__schedule_expiry() on every hit; this is that
    # name after Python's private-name mangling.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY_S
            self._MemoryStorage__expire_events()
