"""The one reader: encodings, XLSX, row numbers, refusals by size before any
parsing (zip bombs), unstorable text, and exports read back as they were."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook

from surveyapp.tables import reader
from surveyapp.tables.reader import (
    COMMAND_LINE,
    FileRefused,
    Limits,
    read_rows,
    read_table,
)
from surveyapp.tables.writer import Sheet, table_bytes

CSV = "hall_code,名称,volume\nH450900,玉林市政务服务中心,12\n\n H450981 , 北流,3\n"


@pytest.fixture()
def english(app):
    """Messages are translated when shown: show them in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def _xlsx(rows, title="Sheet") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _refusal(data: bytes, filename: str = "x.csv", **kwargs) -> str:
    with pytest.raises(FileRefused) as refused:
        read_table(data, filename, **kwargs)
    return str(refused.value)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"], ids=lambda e: e
)
def test_csv_in_the_encodings_chinese_excel_and_wps_save(encoding):
    table = read_table(CSV.encode(encoding), "frame.csv", required=["hall_code"])
    assert table.header == ["hall_code", "名称", "volume"]
    # Cells stripped, blank rows skipped, row numbers as a spreadsheet shows them.
    assert [(r.number, r["hall_code"], r["名称"]) for r in table.rows] == [
        (2, "H450900", "玉林市政务服务中心"),
        (4, "H450981", "北流"),
    ]


def test_gb18030_characters_beyond_gbk():
    table = read_table("name\n𠀀𪚥\n".encode("gb18030"), "x.csv")
    assert table.rows[0]["name"] == "𠀀𪚥"


def test_unknown_encodings_are_a_clear_error(english):
    assert "UTF-16" in _refusal(CSV.encode("utf-16"))
    assert "encoding" in _refusal("café,b\n1,2\n".encode("cp1252"))
    assert "encoding" in _refusal(bytes(range(128, 256)) * 4)
    assert "not a CSV or XLSX" in _refusal(b"%PDF-1.7\n\x00\x01binary")


def test_xlsx_first_sheet_with_dates_and_numbers():
    data = _xlsx(
        [
            ["Hall_Code ", "occurred_at", "day", "volume", "phone"],
            [
                "H450900",
                datetime(2026, 11, 3, 10, 42),
                datetime(2026, 11, 3),
                12.0,
                13800138000,
            ],
            [None, None, None, None, None],
            ["H450981", datetime(2026, 11, 3, 10, 42, 5), None, 2.5, None],
        ]
    )
    table = read_table(data, "upload.bin")  # told apart by content, not name
    assert table.header == ["hall_code", "occurred_at", "day", "volume", "phone"]
    first, second = table.rows
    assert first.number == 2 and second.number == 4
    assert first.values == {
        "hall_code": "H450900",
        "occurred_at": "2026-11-03 10:42",
        "day": "2026-11-03",
        "volume": "12",
        "phone": "13800138000",
    }
    assert second["occurred_at"] == "2026-11-03 10:42:05" and second["volume"] == "2.5"


def test_missing_and_duplicate_columns(english):
    with pytest.raises(FileRefused) as refused:
        read_table(b"a,b\n1,2\n", "x.csv", required=["hall_code", "volume", "a"])
    assert [(p.row, p.column) for p in refused.value.problems] == [
        (1, "hall_code"),
        (1, "volume"),
    ]
    assert "twice" in _refusal(b"a,A\n1,2\n")
    assert "empty" in _refusal(b"")


def test_old_xls_and_broken_files(english):
    assert ".xlsx" in _refusal(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    assert "XLSX" in _refusal(b"not a zip", "x.xlsx")
    assert "XLSX" in _refusal(b"PK\x03\x04 broken", "x.xlsx")
    assert "CSV" in _refusal(b'a\n"' + b"x" * 200_000 + b'"\n')  # a field too large


def test_characters_that_cannot_be_stored_are_refused_with_row_and_column():
    with pytest.raises(FileRefused) as refused:
        read_table("name,code\nok,1\n坏\ufffe字,2\n".encode(), "x.csv")
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "name")]
    with pytest.raises(FileRefused):
        read_table(_xlsx([["name"], ["a\uffffb"]]), "x.xlsx")


def test_row_and_column_limits(english):
    limits = Limits(rows=3, columns=4)
    ok = "a,b\n" + "1,2\n" * 3
    assert len(read_table(ok.encode(), "x.csv", limits=limits).rows) == 3
    assert "more than 3 data rows" in _refusal((ok + "1,2\n").encode(), limits=limits)
    assert "more than 4 columns" in _refusal(b"a,b,c,d,e\n1,2,3,4,5\n", limits=limits)
    wide = _xlsx([["a", "b"], [1, 2, 3, 4, 5, 6]])
    assert "more than 4 columns" in _refusal(wide, "w.xlsx", limits=limits)
    tall = _xlsx([["a"]] + [[i] for i in range(5)])
    assert "more than 3 data rows" in _refusal(tall, "t.xlsx", limits=limits)


def _bomb(unpacked_mb: int) -> bytes:
    """A valid XLSX whose sheet unpacks to `unpacked_mb` MB of repeated rows."""
    book = _xlsx([["a"], [1]])
    row = b'<row r="2"><c r="A2"><v>1</v></c></row>'
    rows = row * (unpacked_mb * 1024 * 1024 // len(row))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(book)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", rows + b"</sheetData>")
            target.writestr(item, data)
    return out.getvalue()


def test_a_zip_bomb_is_refused_by_its_unpacked_size_before_it_is_parsed(
    english, monkeypatch
):
    bomb = _bomb(40)
    assert len(bomb) < 300_000  # small on the wire, 40 MB unpacked

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not parse a refused file")

    monkeypatch.setattr(reader, "load_workbook", never)
    message = _refusal(bomb, "bomb.xlsx", limits=Limits(unpacked_bytes=25 * 1024**2))
    assert "unpacks to more than 25 MB" in message


def test_a_declared_huge_sheet_is_refused_before_its_rows_are_read(english):
    """A sheet whose declared dimension (or one far-away cell) says a million
    rows is refused at once, not after a worker yielded the empty rows."""
    data = _xlsx([["a"], [1]])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        items = [(i, source.read(i)) for i in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item, content in items:
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b"</sheetData>",
                    b'<row r="999999999"><c r="A999999999"><v>1</v></c></row>'
                    b"</sheetData>",
                )
            target.writestr(item, content)
    assert "more than 50000 data rows" in _refusal(out.getvalue(), "far.xlsx")


def test_a_wrong_small_dimension_does_not_cut_the_data_short():
    data = _xlsx([["a"]] + [[i] for i in range(1, 6)])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        items = [(i, source.read(i)) for i in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item, content in items:
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'ref="A1:A6"' in content
                content = content.replace(b'ref="A1:A6"', b'ref="A1:A1"')
            target.writestr(item, content)
    table = read_table(out.getvalue(), "x.xlsx")
    assert [r["a"] for r in table.rows] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reads_back_as_it_was(fmt):
    """The writer's quote is undone on reading: export then import round-trips."""
    values = ["=SUM(A1)", "-2+3", "普通", "'quoted", "-7", "＠x"]
    data = table_bytes(fmt, [Sheet("t", ["name"], [[v] for v in values])])
    table = read_table(data, f"back.{fmt}")
    assert [r["name"] for r in table.rows] == values


def test_command_line_limits_are_larger_than_upload_limits():
    upload = Limits()
    assert COMMAND_LINE.rows > upload.rows
    assert COMMAND_LINE.unpacked_bytes > upload.unpacked_bytes


def test_a_file_without_a_header_reads_as_numbered_rows():
    """A queue system's list of transaction codes: one per line, or the first
    column of a CSV or XLSX, in any encoding the reader takes."""
    assert read_rows("B2001,2026-11-18\n\nB2002\n".encode("gbk"), "codes.csv") == [
        (1, ["B2001", "2026-11-18"]),
        (3, ["B2002"]),
    ]
    assert read_rows(_xlsx([["B2001"], [2002]]), "codes.xlsx") == [
        (1, ["B2001"]),
        (2, ["2002"]),
    ]
    with pytest.raises(FileRefused) as refused:
        read_rows("ok\nbad\ufffe\n".encode(), "codes.csv")
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "1")]
