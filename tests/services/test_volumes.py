"""Transaction volume import: all rows or none, each problem with row and column."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from surveyapp.models import TransactionVolume
from surveyapp.services.indices.volumes import import_volumes, parse_volumes, template
from surveyapp.tables.reader import FileRefused

HEADER = "hall_code,service_item_code,month,count\n"


def _count(db) -> int:
    return db.session.scalar(select(func.count(TransactionVolume.id)))


def test_template_imports_cleanly(demo):
    assert import_volumes(template("csv"), "t.csv") == {"created": 3, "updated": 0}
    assert import_volumes(template("xlsx"), "t.xlsx") == {"created": 0, "updated": 3}
    assert _count(demo) == 3


def test_reimport_replaces_counts(demo):
    import_volumes((HEADER + "H450900,,2026-07,100\n").encode(), "a.csv")
    import_volumes((HEADER + "H450900,,2026-07,250\n").encode(), "b.csv")
    row = demo.session.scalar(select(TransactionVolume))
    assert (row.count, row.source, row.service_item_id) == (250, "b.csv", None)


@pytest.fixture()
def english(app):
    """Messages are translated when shown: show them in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def test_bad_file_refused_with_row_and_column(demo, english):
    content = (
        HEADER
        + "H450900,S450900-hf-loan,2026-07,10\n"  # fine, but not imported
        + "H999,,2026-07,10\n"
        + "H450900,NOPE,2026-07,10\n"
        + "H450900,,July,10\n"
        + "H450900,,2026-08,-3\n"
        + "H450900,,2026-09,1.5\n"
        + "H450900,S450900-hf-loan,2026-07,11\n"
    ).encode()
    with pytest.raises(FileRefused) as info:
        import_volumes(content, "bad.csv")
    where = [(p.row, p.column) for p in info.value.problems]
    assert where == [
        (3, "hall_code"),
        (4, "service_item_code"),
        (5, "month"),
        (6, "count"),
        (7, "count"),
        (8, "service_item_code"),
    ]
    assert str(info.value.problems[-1].message) == "duplicate of row 2"
    assert _count(demo) == 0


def test_missing_columns_and_bad_files(demo, english):
    with pytest.raises(FileRefused, match="missing column"):
        parse_volumes(b"hall,month,count\nH450900,2026-07,1\n", "x.csv")
    with pytest.raises(FileRefused, match="UTF-16"):
        parse_volumes((HEADER + "H450900,,2026-07,1\n").encode("utf-16"), "x.csv")
    with pytest.raises(FileRefused, match="XLSX"):
        parse_volumes(b"not a zip", "x.xlsx")
    with pytest.raises(FileRefused, match="no data"):
        parse_volumes(HEADER.encode(), "x.csv")


def test_gbk_csv_from_chinese_excel_is_read(demo):
    content = (HEADER + "H450900,,2026-07,120\n").encode("gbk")
    assert import_volumes(content, "玉林.csv") == {"created": 1, "updated": 0}


def test_xlsx_with_dates_and_numbers(demo):
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["hall_code", "service_item_code", "month", "count"])
    sheet.append(["H450900", None, datetime(2026, 7, 1), 120])
    buffer = io.BytesIO()
    book.save(buffer)
    assert parse_volumes(buffer.getvalue(), "v.xlsx")[0][2:] == ("2026-07", 120)
