"""The one CSV/XLSX reader: uploads and command-line files alike.

A table is a header row and data rows. CSV may be UTF-8 (with or without a
byte-order mark) or GB18030/GBK, as Chinese Excel and WPS save it; XLSX is
read from its first sheet with openpyxl's read-only mode, after its unpacked
size and declared dimensions are checked, so a small file that expands to a
huge sheet (a zip bomb) is refused before any of it is parsed. Every cell
comes back as stripped text with the row's spreadsheet number (header = 1)
for messages; a problem is reported with its row and column.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from surveyapp.tables.cells import has_unstorable, is_formula_like

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc) format
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Limits:
    """How much of a file is read: data rows, columns, and an XLSX's size once
    unpacked (what a spreadsheet's XML takes before it is parsed)."""

    rows: int = 50_000
    columns: int = 64
    unpacked_bytes: int = 25 * 1024 * 1024
    zip_members: int = 1_000

    @classmethod
    def from_config(cls, config: Mapping) -> Limits:
        """The upload limits of the app's config (TABLE_MAX_*)."""
        default = cls()
        return cls(
            rows=int(config.get("TABLE_MAX_ROWS", default.rows)),
            columns=int(config.get("TABLE_MAX_COLUMNS", default.columns)),
            unpacked_bytes=int(
                config.get("TABLE_MAX_UNPACKED_BYTES", default.unpacked_bytes)
            ),
        )


# The command line reads the operator's own files: larger, still bounded.
COMMAND_LINE = Limits(rows=2_000_000, columns=256, unpacked_bytes=1024**3)


@dataclass(frozen=True)
class Problem:
    """One problem in a file: spreadsheet row (header = 1) and column."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column or '-'}: {self.message}"


class FileRefused(ValueError):
    """The file was refused as a whole and nothing was stored; `problems`
    lists each one. Its text (the first twenty) is made when it is shown, in
    the language of the request then: messages are translated lazily."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s)")

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems[:20])


def refuse(message, row: int = 1, column: str = "") -> FileRefused:
    return FileRefused([Problem(row, column, message)])


@dataclass(frozen=True)
class Row:
    """A data row: its spreadsheet number and its cells by column name."""

    number: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    def get(self, column: str, default: str = "") -> str:
        return self.values.get(column, default)


@dataclass(frozen=True)
class Table:
    """The header (names stripped and lower-cased) and the non-blank rows."""

    header: list[str]
    rows: list[Row] = field(default_factory=list)


def read_table(
    data: bytes,
    filename: str = "",
    *,
    required: Iterable[str] = (),
    limits: Limits = Limits(),
) -> Table:
    """Read a CSV or XLSX file (told apart by its first bytes, not its name)
    whose first row names the columns.

    Raises FileRefused for an unreadable file, an unknown encoding, a file
    over the limits, a missing required column, a duplicate column name or a
    cell holding characters no spreadsheet can store."""
    return _table(_cells(data, filename, limits), required)


def read_rows(
    data: bytes, filename: str = "", *, limits: Limits = Limits()
) -> list[tuple[int, list[str]]]:
    """The non-blank rows of a file without a header row (a list of codes, one
    per line), each with its row number; read and refused as read_table."""
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    for number, raw in enumerate(_cells(data, filename, limits), start=1):
        if any(raw):
            cells = [unescape(cell) for cell in raw]
            problems += _unstorable(number, dict(enumerate(cells, start=1)))
            rows.append((number, cells))
    if problems:
        raise FileRefused(problems)
    return rows


def _cells(data: bytes, filename: str, limits: Limits) -> Iterator[list[str]]:
    if data.startswith(_OLE_MAGIC) or filename.lower().endswith(".xls"):
        raise refuse(_l("the old .xls format is not read: save the file as .xlsx"))
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data, limits)
    if filename.lower().endswith(".xlsx"):
        raise refuse(_l("not a readable XLSX file"))
    return _csv_rows(data, limits)


def _unstorable(number: int, values: dict) -> list[Problem]:
    return [
        Problem(number, str(name), _l("contains characters that cannot be stored"))
        for name, value in values.items()
        if has_unstorable(value)
    ]


def read_table_file(
    path: str | Path, *, required: Iterable[str] = (), limits: Limits = COMMAND_LINE
) -> Table:
    """read_table for a file on disk (the command line)."""
    path = Path(path)
    return read_table(path.read_bytes(), path.name, required=required, limits=limits)


def unescape(text: str) -> str:
    """Undo the writer's escape: "'=1+1" reads back as "=1+1", so a table
    exported and imported again holds what it held (cells.safe_text)."""
    if text.startswith("'") and is_formula_like(text[1:]):
        return text[1:]
    return text


def _table(cells: Iterator[list[str]], required: Iterable[str]) -> Table:
    header_cells = next(cells, None)
    if not header_cells or not any(header_cells):
        raise refuse(_l("the file is empty"))
    header = [h.strip().lower() for h in header_cells]
    named = [(i, h) for i, h in enumerate(header) if h]
    seen: set[str] = set()
    for _i, name in named:
        if name in seen:
            raise refuse(_l("this column appears twice"), column=name)
        seen.add(name)
    missing = [c for c in required if c not in seen]
    if missing:
        raise FileRefused([Problem(1, c, _l("missing column")) for c in missing])
    rows: list[Row] = []
    problems: list[Problem] = []
    for number, raw in enumerate(cells, start=2):
        if not any(raw):
            continue
        values = {name: unescape(raw[i]) if i < len(raw) else "" for i, name in named}
        problems += _unstorable(number, values)
        rows.append(Row(number, values))
    if problems:
        raise FileRefused(problems)
    return Table(header=[h for _i, h in named], rows=rows)


def _check_size(number: int, row: Sequence, limits: Limits) -> None:
    """Every row counts, blank or not: a sheet whose one cell sits on row
    a billion must not keep a worker busy yielding the empty rows before it."""
    if number > limits.rows + 1:
        raise refuse(_l("more than %(n)d data rows", n=limits.rows), row=number)
    if len(row) > limits.columns and any(row[limits.columns :]):
        raise refuse(_l("more than %(n)d columns", n=limits.columns), row=number)


# --- CSV -------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(_UTF16_BOMS):
        raise refuse(
            _l("UTF-16 text is not read: save the file as CSV UTF-8 or as .xlsx")
        )
    if b"\x00" in data:  # no text encoding read here has NUL bytes
        raise refuse(_l("not a CSV or XLSX file"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise refuse(
            _l("unknown text encoding: save the file as CSV UTF-8 (or GBK) or .xlsx")
        ) from None
    # Text in another 8-bit encoding often decodes as GB18030 too, into
    # unassigned or private-use characters: refuse it rather than import noise.
    if any(unicodedata.category(ch) in ("Co", "Cn") for ch in text):
        raise refuse(
            _l("unknown text encoding: save the file as CSV UTF-8 (or GBK) or .xlsx")
        )
    return text


def _csv_rows(data: bytes, limits: Limits) -> Iterator[list[str]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    return _checked_csv(reader, limits)


def _checked_csv(reader, limits: Limits) -> Iterator[list[str]]:
    number = 0
    try:
        for number, row in enumerate(reader, start=1):  # noqa: B007
            _check_size(number, row, limits)
            yield [cell.strip() for cell in row]
    except csv.Error:
        raise refuse(_l("not a readable CSV file"), row=number + 1) from None


# --- XLSX ------------------------------------------------------------------


def _xlsx_rows(data: bytes, limits: Limits) -> Iterator[list[str]]:
    _check_zip(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # openpyxl raises many kinds for a broken file
        raise refuse(_l("not a readable XLSX file")) from None
    _check_dimensions(sheet, limits)
    # Then read every row whatever the sheet declared (a wrong declaration
    # would otherwise cut the data short); the row loop enforces the limits.
    sheet.reset_dimensions()
    return _sheet_rows(book, sheet, limits)


def _check_zip(data: bytes, limits: Limits) -> None:
    """Refuse by the sizes the archive declares, before anything is unpacked
    (zipfile never unpacks more than a member's declared size)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise refuse(_l("not a readable XLSX file")) from None
    if len(members) > limits.zip_members:
        raise refuse(_l("not a readable XLSX file"))
    if sum(m.file_size for m in members) > limits.unpacked_bytes:
        raise refuse(
            _l(
                "the spreadsheet unpacks to more than %(mb)d MB: split it or "
                "save it as CSV",
                mb=limits.unpacked_bytes // (1024 * 1024),
            )
        )


def _check_dimensions(sheet, limits: Limits) -> None:
    """The sheet's own declared size, when it states one."""
    try:
        dimension = sheet.calculate_dimension()
        _min_col, _min_row, max_col, max_row = range_boundaries(dimension)
    except Exception:  # no or unreadable dimension: the row loop still counts
        return
    if max_row is not None and max_row > limits.rows + 1:
        raise refuse(_l("more than %(n)d data rows", n=limits.rows))
    if max_col is not None and max_col > limits.columns:
        raise refuse(_l("more than %(n)d columns", n=limits.columns))


def _sheet_rows(book, sheet, limits: Limits) -> Iterator[list[str]]:
    try:
        rows = sheet.iter_rows(min_row=1, values_only=True)
        for number, row in enumerate(rows, start=1):
            _check_size(number, row, limits)
            cells = list(row)
            while cells and cells[-1] is None:
                cells.pop()
            yield [_cell_text(v) for v in cells]
    except FileRefused:
        raise
    except Exception:
        raise refuse(_l("not a readable XLSX file")) from None
    finally:
        book.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        spec = "seconds" if value.second or value.microsecond else "minutes"
        return value.isoformat(sep=" ", timespec=spec)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value).strip()
