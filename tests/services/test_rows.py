"""RowInserter: one INSERT through the pooled DB-API connection, with the
column defaults, type conversions and exception classes Core would give."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from surveyapp.services.responses.rows import RowInserter


def _stamp() -> datetime:
    return datetime(2026, 11, 24, 9, 30, 15, 250000)


@pytest.fixture()
def scratch(db):
    metadata = MetaData()
    table = Table(
        "scratch_rows",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("key", String(36), unique=True, nullable=False),
        Column("answers", JSON, nullable=False, default=dict),
        Column("flagged", Boolean, nullable=False, default=False),
        Column("note", String(20), default="none"),
        Column("at", DateTime, nullable=False, default=_stamp),
        Column("maybe", Integer),
        Column("server_side", Integer, server_default=text("7")),
    )
    metadata.create_all(db.engine)
    yield table
    metadata.drop_all(db.engine)


def test_defaults_and_types_as_core_would_store_them(db, scratch):
    inserter = RowInserter(scratch)
    first = inserter.insert(db.engine, {"key": "a", "answers": {"q": [1, "满意"]}})
    second = inserter.insert(
        db.engine, {"key": "b", "flagged": True, "at": datetime(2026, 1, 2, 3, 4, 5)}
    )
    assert second > first
    with db.engine.connect() as conn:
        rows = {r.key: r for r in conn.execute(select(scratch))}
    a, b = rows["a"], rows["b"]
    assert a.id == first and b.id == second
    assert a.answers == {"q": [1, "满意"]} and b.answers == {}
    assert (a.flagged, b.flagged) == (False, True)
    assert a.note == "none" and a.maybe is None
    assert a.at == _stamp() and b.at == datetime(2026, 1, 2, 3, 4, 5)
    # A column with only a server-side default is the database's to fill;
    # giving it, or a name that is no column, is refused before any SQL.
    assert "server_side" not in {c.key for c in inserter.columns}
    assert (a.server_side, b.server_side) == (7, 7)
    for wrong in ({"key": "c", "server_side": 8}, {"key": "c", "nte": "typo"}):
        with pytest.raises(KeyError):
            inserter.insert(db.engine, wrong)
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(scratch)) == 2


def test_a_refused_row_is_sqlalchemys_error_and_nothing_is_left_behind(db, scratch):
    inserter = RowInserter(scratch)
    inserter.insert(db.engine, {"key": "same"})
    with pytest.raises(IntegrityError):
        inserter.insert(db.engine, {"key": "same", "note": "second"})
    # The connection went back to the pool clean: the next INSERT commits.
    inserter.insert(db.engine, {"key": "next"})
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(scratch)) == 2
        assert conn.scalar(select(scratch.c.note).where(scratch.c.key == "same")) == (
            "none"
        )


def test_the_same_insert_joins_a_callers_transaction(db, scratch):
    inserter = RowInserter(scratch)
    with db.engine.connect() as conn:
        with conn.begin() as trans:
            new_id = inserter.insert_in(conn, {"key": "undone", "flagged": True})
            assert conn.scalar(select(scratch.c.flagged).where(scratch.c.id == new_id))
            trans.rollback()  # nothing committed: the row goes with the rest
        with conn.begin():
            kept = inserter.insert_in(conn, {"key": "kept"})
        with pytest.raises(IntegrityError), conn.begin():
            inserter.insert_in(conn, {"key": "kept"})
        rows = conn.execute(select(scratch.c.id, scratch.c.key, scratch.c.at)).all()
    assert rows == [(kept, "kept", _stamp())]


def test_a_default_the_database_computes_is_refused_up_front():
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DateTime, default=func.now()),
    )
    with pytest.raises(ValueError, match="Python-side"):
        RowInserter(table)
