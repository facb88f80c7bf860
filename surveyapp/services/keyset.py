"""Keyset pages: a list ordered by (timestamp, id) read one index range at a time.

OFFSET reads and throws away every row before the page, so the last page of
five million responses reads five million rows. A keyset page starts from
the key of the row beside it instead: ``after`` the last row shown (next),
``before`` the first row shown (previous), or from the far end (last page).
The id breaks ties between rows of one timestamp, so no row is shown twice
or skipped (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, or_

from surveyapp.extensions import db

DIRECTIONS = ("after", "before", "last")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: ``after``/``before`` a row's key, or the ``last`` page."""

    direction: str
    at: datetime | None = None
    id: int | None = None

    def token(self) -> str:
        return (
            "last" if self.direction == "last" else f"{self.at.isoformat()}_{self.id}"
        )


def parse_cursor(after: str | None, before: str | None, last: bool) -> Cursor | None:
    """The cursor of a page's URL arguments; None (the first page) when they
    are missing or not a key (a mangled link shows the first page)."""
    if last:
        return Cursor("last")
    for direction, token in (("after", after), ("before", before)):
        if token:
            at, _sep, row_id = token.rpartition("_")
            try:
                return Cursor(direction, datetime.fromisoformat(at), int(row_id))
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    has_prev: bool
    has_next: bool
    first_key: tuple[datetime, int] | None
    last_key: tuple[datetime, int] | None

    def next_args(self) -> dict[str, str] | None:
        if not self.has_next or self.last_key is None:
            return None
        return {"after": f"{self.last_key[0].isoformat()}_{self.last_key[1]}"}

    def prev_args(self) -> dict[str, str] | None:
        if not self.has_prev or self.first_key is None:
            return None
        return {"before": f"{self.first_key[0].isoformat()}_{self.first_key[1]}"}


def _beyond(column, id_column, at: datetime, row_id: int, later: bool) -> ColumnElement:
    """Rows after (later=True) or before the key (at, row_id) in ascending order.
    Written as ``col >= at AND (col > at OR id > row_id)`` so that an index
    whose leading key column is `column` (after any equality filters) reads
    a range, in SQLite and PostgreSQL alike."""
    if later:
        return and_(column >= at, or_(column > at, id_column > row_id))
    return and_(column <= at, or_(column < at, id_column < row_id))


def keyset_page(
    query: Select,
    column,
    id_column,
    *,
    descending: bool,
    cursor: Cursor | None,
    per_page: int,
    key=None,
) -> KeysetPage:
    """One page of `query` (a select of entities or rows, unordered) in the
    order (column, id_column), newest first when `descending`. `key(row)`
    gives a row's (timestamp, id); by default the row's attributes of the
    columns' names."""
    key = key or (lambda row: (getattr(row, column.key), getattr(row, id_column.key)))
    direction = cursor.direction if cursor else None
    # Reading backwards (previous or last page) walks the order reversed.
    backwards = direction in ("before", "last")
    ascending = descending == backwards
    if direction in ("after", "before"):
        query = query.where(
            _beyond(column, id_column, cursor.at, cursor.id, later=ascending)
        )
    order = (
        (column.asc(), id_column.asc())
        if ascending
        else (
            column.desc(),
            id_column.desc(),
        )
    )
    rows = list(db.session.scalars(query.order_by(*order).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        has_prev, has_next = more, direction == "before"
    else:
        has_prev, has_next = direction == "after", more
    return KeysetPage(
        rows,
        has_prev,
        has_next,
        key(rows[0]) if rows else None,
        key(rows[-1]) if rows else None,
    )
