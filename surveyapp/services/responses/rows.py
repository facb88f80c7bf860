"""One INSERT of one row on the hot path, through the pooled DB-API connection.

SQLAlchemy compiles the statement and supplies each column's bind processor
for the engine's dialect, its pool and its error classes; only its
per-statement execution context is skipped, which is most of the cost of one
small INSERT (~0.1 ms of a citizen's ~0.8 ms submission in process). The
same statement also runs inside a caller's transaction, through Core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.schema import ColumnDefault

_UNSET = object()


class RowInserter:
    """INSERT every column of `table` but its primary key, RETURNING the key.

    A value not given takes the column's Python-side default (what the ORM
    and Core would give it), else NULL; a column with only a server-side
    default is left to the database. The statement is compiled once per
    dialect, so its text and parameter order never change."""

    def __init__(self, table: Table):
        self.table = table
        (self.key_column,) = table.primary_key.columns
        self.columns = tuple(
            c
            for c in table.columns
            if c is not self.key_column
            and (c.default is not None or c.server_default is None)
        )
        self._defaults = tuple(_python_default(c) for c in self.columns)
        self._keys = frozenset(c.key for c in self.columns)
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            statement = insert(self.table).returning(self.key_column)
            names = [c.key for c in self.columns]
            compiled = statement.compile(dialect=dialect, column_keys=names)
            processors = {
                c.key: c.type.dialect_impl(dialect).bind_processor(dialect)
                for c in self.columns
            }
            plan = self._plans[dialect.name] = _Plan(
                sql=compiled.string,
                positional=tuple(compiled.positiontup or ())
                if compiled.positional
                else None,
                processors=processors,
            )
        return plan

    def values(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every column's value, given or defaulted (by column key). A key
        that is no column this statement writes is a mistake, not a value to
        drop silently."""
        if not self._keys.issuperset(given):
            unknown = sorted(set(given) - self._keys)
            raise KeyError(f"{self.table.name}: not written here: {unknown}")
        out = {}
        for column, default in zip(self.columns, self._defaults, strict=True):
            value = given.get(column.key, _UNSET)
            if value is _UNSET:
                value = default() if default is not None else None
            out[column.key] = value
        return out

    def _statement(self, dialect: Dialect, given: Mapping[str, Any]):
        """The statement's text and its parameters, converted for the driver."""
        plan = self._plan(dialect)
        values = self.values(given)
        for key, process in plan.processors.items():
            if process is not None:
                values[key] = process(values[key])
        params: Any = (
            tuple(values[key] for key in plan.positional)
            if plan.positional is not None
            else values
        )
        return plan.sql, params

    def insert_in(self, connection: Connection, given: Mapping[str, Any]) -> int:
        """Store one row in the caller's transaction, uncommitted (a quota
        place claimed in it commits with the row or not at all); returns its
        key. Core executes the same statement at the driver's level, with its
        own error handling."""
        sql, params = self._statement(connection.dialect, given)
        return connection.exec_driver_sql(sql, params).scalar_one()

    def insert(self, engine: Engine, given: Mapping[str, Any]) -> int:
        """Store one row in a transaction of its own and commit; returns its
        key. A driver error comes back as SQLAlchemy's own exception class
        (IntegrityError, OperationalError, ...), and a connection the
        database dropped is discarded from the pool, as Core would."""
        dialect = engine.dialect
        sql, params = self._statement(dialect, given)
        try:
            raw = engine.raw_connection()
        except dialect.loaded_dbapi.Error as exc:  # no connection to be had
            raise DBAPIError.instance(
                None,
                None,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=dialect.is_disconnect(exc, None, None),
                dialect=dialect,
            ) from exc
        cursor = None
        try:
            cursor = raw.cursor()
            # The dialect's own calls, as Core makes them (a dialect may
            # adapt them; tests put a failing COMMIT there).
            dialect.do_execute(cursor, sql, params, None)
            new_id = cursor.fetchone()[0]
            cursor.close()
            dialect.do_commit(raw.dbapi_connection)
            return new_id
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, raw, cursor):
                raw.invalidate(exc)
            else:
                _rollback_quietly(raw)
            raise DBAPIError.instance(
                sql,
                params,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=not raw.is_valid,
                dialect=dialect,
            ) from exc
        except BaseException:
            _rollback_quietly(raw)
            raise
        finally:
            raw.close()


class _Plan:
    __slots__ = ("sql", "positional", "processors")

    def __init__(self, sql: str, positional, processors: dict):
        self.sql = sql
        self.positional = positional
        self.processors = processors


def _python_default(column) -> Callable[[], Any] | None:
    default = column.default
    if default is None:
        return None
    if not isinstance(default, ColumnDefault) or default.is_clause_element:
        raise ValueError(f"{column}: only Python-side defaults are supported")
    if default.is_scalar:
        value = default.arg
        return lambda: value
    # SQLAlchemy wraps a default callable to take the execution context;
    # the models' defaults (utcnow, dict, list) ignore it.
    wrapped = default.arg
    return lambda: wrapped(None)


def _rollback_quietly(raw) -> None:
    try:
        raw.rollback()
    except Exception:  # the connection is being discarded anyway
        pass
