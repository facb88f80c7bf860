"""The organisation catalogue file against the database: round trips, refusals
that change nothing, retiring, and what a retired unit keeps."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete, func, select

from surveyapp.analysis.catalogue import CODE_MAX, NAME_MAX, REQUIRED_COLUMNS
from surveyapp.models import (
    AuditLog,
    Department,
    Hall,
    Region,
    Response,
    ServiceItem,
    Window,
)
from surveyapp.models.org import window_service_items
from surveyapp.services.fieldwork.frames import read_table
from surveyapp.services.organisation.exports import catalogue_bytes, template_bytes
from surveyapp.services.organisation.imports import (
    CatalogueRefused,
    import_catalogue,
    plan_import,
)
from surveyapp.services.organisation.units import current_catalogue

MODELS = {
    "region": Region,
    "hall": Hall,
    "department": Department,
    "window": Window,
    "service_item": ServiceItem,
}


def table(*rows, header=REQUIRED_COLUMNS) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def line(window="W1", item="S1", hall="H1", window_name="1号窗口", item_name="事项一"):
    return [
        "450900",
        "玉林市本级",
        hall,
        f"大厅{hall}",
        "D1",
        "自然资源局",
        window,
        window_name,
        item,
        item_name,
    ]


def snapshot(db):
    """Everything the catalogue holds, to compare before and after."""
    catalogue = current_catalogue()
    return catalogue.units, catalogue.links


def test_the_file_rules_match_the_database_columns():
    for kind, model in MODELS.items():
        assert model.__table__.c.code.type.length == CODE_MAX[kind]
        assert model.__table__.c.name.type.length == NAME_MAX[kind]
        assert model.__table__.c.name_en.type.length == NAME_MAX[kind]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_round_trips(demo, fmt):
    exported = catalogue_bytes(fmt)
    before = snapshot(demo)
    # Into the same catalogue: nothing to do, even retiring what is missing.
    assert plan_import(exported, f"c.{fmt}", retire_missing=True).empty
    # Into an empty one: the same catalogue, written out byte for byte.
    for statement in (
        delete(window_service_items),
        delete(Window),
        delete(ServiceItem),
        delete(Hall),
        delete(Department),
        delete(Region),
    ):
        demo.session.execute(statement)
    demo.session.commit()
    assert demo.session.scalar(select(func.count(Window.id))) == 0
    plan = import_catalogue(exported, f"c.{fmt}")
    assert plan.counts()["window"]["added"] == 8 * 7
    assert snapshot(demo) == before
    again = catalogue_bytes(fmt)
    if fmt == "csv":
        assert again == exported
    else:  # a workbook carries its creation time: compare the cells
        assert read_table(again, "c.xlsx") == read_table(exported, "c.xlsx")


def test_importing_the_same_file_again_changes_nothing(db):
    data = table(line(), line(item="S2", item_name="事项二"), line(window="W2"))
    first = import_catalogue(data, "c.csv")
    assert first.counts()["service_item"]["added"] == 2
    assert len(first.links_added) == 3
    before = snapshot(db)
    again = import_catalogue(data, "c.csv")
    assert again.empty
    assert snapshot(db) == before
    audits = db.session.scalars(select(AuditLog.action)).all()
    assert audits == ["org_import"]  # the second import wrote nothing at all


BAD_FILES = {
    "a window under two halls": (
        table(line(), line(hall="H2", item="S2")),
        [(3, "hall_code")],
    ),
    "an empty name": (
        table(line(), line(window="W2", window_name="")),
        [(3, "window_name")],
    ),
    "a malformed code": (
        table(line(), line(item="S 2"), line(item="S/3")),
        [(3, "service_item_code"), (4, "service_item_code")],
    ),
    "a code longer than its column": (
        table(line(window="W" * 49)),
        [(2, "window_code")],
    ),
    "an unknown encoding": (
        table(line()).decode().encode("utf-16"),
        [(1, "")],
    ),
    "a missing column": (
        table(line()[:-1], header=REQUIRED_COLUMNS[:-1]),
        [(1, "service_item_name")],
    ),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_refused_whole_with_every_row_and_column(app, db, name):
    import_catalogue(table(line()), "c.csv")
    before = snapshot(db)
    audits = db.session.scalar(select(func.count(AuditLog.id)))
    data, expected = BAD_FILES[name]
    good_rows_too = data  # the bad rows sit beside sound ones
    with pytest.raises(CatalogueRefused) as refused:
        import_catalogue(good_rows_too, "c.csv", retire_missing=True)
    assert [(p.row, p.column) for p in refused.value.problems] == expected
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert all(str(p.message) for p in refused.value.problems)
    db.session.rollback()
    assert snapshot(db) == before
    assert db.session.scalar(select(func.count(AuditLog.id))) == audits


def test_retire_missing_retires_only_when_asked(db):
    import_catalogue(
        table(line(), line(window="W2", item="S2"), line(hall="H2", window="W3")),
        "c.csv",
    )
    smaller = table(line())
    assert import_catalogue(smaller, "c.csv").empty  # without the flag: nothing
    plan = import_catalogue(smaller, "c.csv", retire_missing=True)
    assert {(c.kind, c.code) for c in plan.changes} == {
        ("hall", "H2"),
        ("window", "W2"),
        ("window", "W3"),
        ("service_item", "S2"),
    }
    assert all(c.actions == ("retired",) for c in plan.changes)
    windows = dict(db.session.execute(select(Window.code, Window.active)).all())
    assert windows == {"W1": True, "W2": False, "W3": False}  # retired, not deleted
    # Listed again, they come back.
    back = import_catalogue(table(line(), line(window="W2", item="S2")), "c.csv")
    assert {c.code for c in back.of("window", "restored")} == {"W2"}
    assert db.session.scalar(select(Window.active).where(Window.code == "W2"))


def test_template_is_a_file_the_import_accepts(db):
    for fmt in ("csv", "xlsx"):
        plan = plan_import(template_bytes(fmt), f"t.{fmt}")
        assert plan.counts()["service_item"]["added"] == 1
        assert plan.links_added == (("W450900-01", "S450900-re-transfer"),)


def test_a_retired_window_keeps_its_history(client, survey_path, submit):
    from surveyapp.extensions import db
    from surveyapp.services.organisation.editing import retire_unit
    from surveyapp.services.organisation.units import active_halls
    from surveyapp.services.responses.exports import response_rows
    from surveyapp.services.responses.summaries import ResponseFilter

    path = survey_path()
    assert submit().status_code == 303
    response = db.session.scalar(select(Response))
    window = response.window
    assert window is not None
    retire_unit("window", window, actor=None)
    header, rows = response_rows(ResponseFilter())
    assert next(iter(rows))[header.index("window_code")] == window.code
    assert window.code not in {
        w.code for hall in active_halls() for w in hall.windows if w.active
    }
    for lang, words in (("zh", "不再使用"), ("en", "no longer in use")):
        page = client.get(f"{path}?lang={lang}")
        assert page.status_code == 410
        assert words in page.get_data(as_text=True)
    # A code that never existed is still a plain 404.
    assert client.get("/s/not-a-code").status_code == 404
