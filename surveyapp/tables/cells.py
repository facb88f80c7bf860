"""What a cell may hold: text XML cannot store, and text a spreadsheet would run."""

from __future__ import annotations

import re

# Characters an XLSX (XML 1.0) cannot hold, or that Unicode reserves as
# non-characters: C0 controls other than tab, newline and carriage return,
# lone surrogates, U+FDD0..U+FDEF and the last two code points of every plane
# (U+FFFE, U+FFFF, U+1FFFE, ...). One of them in a cell makes Excel refuse
# the whole file.
UNSTORABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(
        f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}"
        for plane in range(17)
    )
    + "]"
)

# A text cell starting with one of these is a formula (or the start of one)
# to Excel, WPS or LibreOffice (OWASP "CSV injection"); the full-width forms
# are typed by Chinese input methods and converted by some spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# ... unless the whole text is a plain number such as -5 or +86, which a
# spreadsheet reads as a number and never runs.
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
# Excel's limit on the characters of one cell.
MAX_CELL_CHARS = 32_767


def has_unstorable(text: str) -> bool:
    """True if the text holds a character no spreadsheet (or XML) can store."""
    return UNSTORABLE.search(text) is not None


def strip_unstorable(text: str) -> str:
    return UNSTORABLE.sub("", text)


def is_formula_like(text: str) -> bool:
    """True if a spreadsheet would take the text as a formula."""
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def safe_text(text: str) -> str:
    """The text as an inert spreadsheet cell: unstorable characters removed,
    a formula-like start escaped with a single quote (OWASP's advice), cut
    to what one cell holds."""
    text = strip_unstorable(text)
    if is_formula_like(text):
        text = "'" + text
    return text[:MAX_CELL_CHARS]
