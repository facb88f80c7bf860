"""Times in files: naive means local (Asia/Shanghai), an offset is kept."""

from __future__ import annotations

from datetime import datetime

import pytest

from surveyapp.tables.times import local_iso, parse_local_time

TZ = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-03 10:42", datetime(2026, 11, 3, 2, 42)),
        ("2026/11/03 10:42", datetime(2026, 11, 3, 2, 42)),
        ("2026-11-03T10:42:30", datetime(2026, 11, 3, 2, 42, 30)),
        ("2026-11-03", datetime(2026, 11, 2, 16, 0)),
        ("2026-11-03T10:42:00+00:00", datetime(2026, 11, 3, 10, 42)),
        ("2026-11-03T10:42:00Z", datetime(2026, 11, 3, 10, 42)),
        ("2026-11-03 10:42+08:00", datetime(2026, 11, 3, 2, 42)),
    ],
)
def test_naive_times_are_local_and_offsets_are_kept(text, utc):
    assert parse_local_time(text, TZ) == utc


@pytest.mark.parametrize("text", ["soon", "", "2026-13-01", "0001-01-01 00:00"])
def test_what_is_not_a_time_is_none(text):
    assert parse_local_time(text, TZ) is None


def test_a_naive_local_time_comes_back_as_it_was_typed():
    stored = parse_local_time("2026-11-03 10:42", TZ)
    assert local_iso(stored, TZ) == "2026-11-03T10:42:00+08:00"
    assert local_iso(None, TZ) == ""
