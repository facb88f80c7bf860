"""The one CSV/XLSX writer: every export goes through it, row by row.

Rows come from any iterable and are written as they come (CSV through a text
wrapper, XLSX through openpyxl's write-only mode), into a spooled temporary
file that moves to disk past a few megabytes: a large export stays in bounded
memory. Every text cell is made inert (cells.safe_text): a citizen's
`=HYPERLINK(...)` is exported as the text `'=HYPERLINK(...)`, never as a
formula, and a character XML cannot hold is dropped, so one answer can never
make a file unreadable. Numbers stay numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import numbers
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from surveyapp.tables.cells import safe_text

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Held in memory up to this size, then in a temporary file.
SPOOL_BYTES = 4 * 1024 * 1024
# Rows of CSV sent (or written) at a time.
CSV_CHUNK_ROWS = 200


@dataclass(frozen=True)
class Sheet:
    """One table: its name (XLSX sheet, at most 31 characters), header and rows."""

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


class UnknownFormat(ValueError):
    """A format other than csv or xlsx was asked for."""


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UnknownFormat(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return fmt


def cell_value(value: Any) -> Any:
    """A Python value as a cell: numbers as numbers (NaN and infinity left
    blank), dates and times as ISO text, everything else as inert text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (float, Decimal, numbers.Real)):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return safe_text(str(value))


def write_table(out: IO[bytes], fmt: str, sheets: Sequence[Sheet]) -> None:
    """Write the sheets to a binary file. A CSV holds the first sheet only
    (UTF-8 with a byte-order mark, so Excel reads Chinese); an XLSX holds all."""
    if check_format(fmt) == "csv":
        _write_csv(out, sheets[0])
    else:
        _write_xlsx(out, sheets)


def _write_csv(out: IO[bytes], sheet: Sheet) -> None:
    for chunk in csv_chunks(sheet):
        out.write(chunk)


def csv_chunks(sheet: Sheet, rows_per_chunk: int = CSV_CHUNK_ROWS) -> Iterator[bytes]:
    """The sheet as CSV (UTF-8 with a byte-order mark), in pieces of
    `rows_per_chunk` rows as the rows come: what a streamed download sends,
    in memory bounded by one piece whatever the number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(h) for h in sheet.header])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    pending = 0
    buffer.seek(0)
    buffer.truncate()
    for row in sheet.rows:
        writer.writerow([_csv_cell(v) for v in row])
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> Any:
    value = cell_value(value)
    return "" if value is None else value


def _write_xlsx(out: IO[bytes], sheets: Sequence[Sheet]) -> None:
    book = Workbook(write_only=True)
    for sheet in sheets:
        target = book.create_sheet(sheet.name[:31])
        target.append([_xlsx_cell(target, h) for h in sheet.header])
        for row in sheet.rows:
            target.append([_xlsx_cell(target, v) for v in row])
    book.save(out)


def _xlsx_cell(sheet, value: Any) -> Any:
    value = cell_value(value)
    if not isinstance(value, str):
        return value
    # Text is always a plain string cell: openpyxl would otherwise store text
    # starting with "=" as a formula (safe_text has escaped those already)
    # and text such as "#N/A" as an error value.
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell


def table_file(fmt: str, sheets: Sequence[Sheet]) -> IO[bytes]:
    """The file written into a spooled temporary file, rewound for reading
    (e.g. by flask.send_file); the caller closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        write_table(spool, fmt, sheets)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def table_bytes(fmt: str, sheets: Sequence[Sheet]) -> bytes:
    """The whole file as bytes: for small tables (templates) and tests."""
    buffer = io.BytesIO()
    write_table(buffer, fmt, sheets)
    return buffer.getvalue()
