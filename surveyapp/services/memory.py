"""Per-process caches of what the citizen's path reads on every request and an
administrator rarely changes: halls, windows, service items, questionnaire
versions and survey projects.

A cache holds plain values (frozen dataclasses and tuples, never ORM objects)
in a ``cachetools.TTLCache``. The service that changes such data calls
``forget_all()``, so its own process sees the change at once; every other
worker process keeps its entries until they are ``TTL_S`` seconds old
(docs/operations.md says so to the operator).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from cachetools import TTLCache, cached

TTL_S = 30.0

F = TypeVar("F", bound=Callable)
_cached_functions: list = []


def cached_per_process(maxsize: int = 1024, ttl: float = TTL_S) -> Callable[[F], F]:
    """Decorator: remember the function's result per arguments for `ttl`
    seconds (cachetools' ``cached``; a lock, as a gthread worker has threads).
    The arguments must be hashable and the result a plain value."""

    def decorate(func: F) -> F:
        cache = TTLCache(maxsize=maxsize, ttl=ttl, timer=_now)
        wrapped = cached(cache, lock=threading.Lock())(func)
        _cached_functions.append(wrapped)
        return wrapped

    return decorate


def _now() -> float:
    # The clock is looked up at each call, so a test can move it.
    return time.monotonic()


def forget_all() -> None:
    """Clear every cache of this process: called by the services that change
    halls, windows, service items, questionnaire versions or projects (and by
    tests, whose rows come and go)."""
    for function in _cached_functions:
        function.cache_clear()
