"""Numbers a person sent: ASCII digits only (Arabic-Indic `٣` or a fullwidth
`３` is not 3) and within what the database's columns hold."""

from __future__ import annotations

import re
from datetime import date

# The largest id a PostgreSQL integer column holds.
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]+")


def is_ascii_digits(text: str | None) -> bool:
    """True for a non-empty run of 0-9 only (str.isdigit also takes `٣`, `²`)."""
    return bool(text) and _DIGITS.fullmatch(text) is not None


def parse_id(text: str | None) -> int | None:
    """A database id from a form or query string, else None."""
    if not is_ascii_digits(text) or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


# Days a filter or a form may name: enough for any survey, far from the ends of
# the calendar where a day's start in UTC or the day after overflow.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD day between FIRST_DAY and LAST_DAY, else None."""
    if not text or _DAY.fullmatch(text) is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def whole_number(text: str) -> int:
    """`request.args.get(name, type=whole_number)`: an id, a page or a count of
    ASCII digits that a database column holds; ValueError (so werkzeug's
    default) for anything else, `٣`, `-1` and `99999999999999999999` too."""
    if not is_ascii_digits(text) or len(text) > 10 or int(text) > MAX_ID:
        raise ValueError(f"not a whole number: {text[:20]!r}")
    return int(text)
