"""Per-process memory of rows the citizen's path reads on every request but
that change only when an administrator edits them (halls, windows, published
questionnaire versions, service items, survey projects).

An entry lives ``ttl`` seconds, and every memory watching a model is cleared
at once when this process flushes a change to a row of that model. Another
worker keeps its entry until the TTL runs out: a hall switched off or a new
questionnaire version reaches every worker within that time (the README says
so under Scale out).

Rows are kept as detached copies of their column values;
``session.merge(copy, load=False)`` attaches one to the request's session
without a query (SQLAlchemy's documented caching pattern), and relationships
still load lazily from there.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

MISSING: Any = object()


class ProcessMemory:
    """A small TTL map, forgotten when this process changes a watched model."""

    instances: list[ProcessMemory] = []

    def __init__(self, ttl: float, watch: tuple[type, ...]):
        self.ttl = ttl
        self.watch = watch
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        ProcessMemory.instances.append(self)

    def get(self, key: Hashable) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return MISSING
        return entry[1]

    def put(self, key: Hashable, value: Any) -> Any:
        self._entries[key] = (time.monotonic() + self.ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def forget_all() -> None:
    """Clear every memory (tests; or after rows changed outside the ORM)."""
    for memory in ProcessMemory.instances:
        memory.clear()


@event.listens_for(Session, "after_flush")
def _forget_changed(session, _flush_context) -> None:
    changed = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    if not changed:
        return
    for memory in ProcessMemory.instances:
        if any(issubclass(kind, memory.watch) for kind in changed):
            memory.clear()


def detached_copy(obj):
    """A detached copy of `obj`'s column values, for ``merge(..., load=False)``."""
    if obj is None:
        return None
    mapper = inspect(obj).mapper
    copy = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        set_committed_value(copy, attr.key, getattr(obj, attr.key))
    make_transient_to_detached(copy)
    return copy


def attach(session: Session, copy):
    """The request's own instance of a remembered row, without a query."""
    return None if copy is None else session.merge(copy, load=False)


def in_session(session: Session, obj):
    """`obj` itself, or the request's own instance of it when it is a detached
    remembered copy (whose relationships cannot load)."""
    if obj is None or not inspect(obj).detached:
        return obj
    return attach(session, obj)
