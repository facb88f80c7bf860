"""The catalogue file's rules and the plan of changes, without an app."""

from __future__ import annotations

import pytest

from surveyapp.analysis.catalogue import (
    EXPORT_COLUMNS,
    REQUIRED_COLUMNS,
    Catalogue,
    Unit,
    export_rows,
)
from surveyapp.analysis.catalogue_plan import plan_changes, reference_problems
from surveyapp.analysis.catalogue_rows import read_catalogue_rows

HEADER = list(REQUIRED_COLUMNS)


def row(
    region=("450900", "玉林市本级"),
    hall=("H1", "市政务服务中心"),
    department=("D1", "自然资源局"),
    window=("W1", "1号窗口"),
    item=("S1", "不动产转移登记"),
) -> list[str]:
    cells = []
    for pair in (region, hall, department, window, item):
        cells.extend(pair or ("", ""))
    return cells


def problems_of(rows) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.code) for p in read_catalogue_rows(rows).problems]


def test_a_sound_file_describes_its_catalogue():
    parsed = read_catalogue_rows(
        [
            HEADER + ["remarks"],  # an extra column is ignored
            row() + ["x"],
            row(item=("S2", "不动产抵押登记")),
            row(window=("W2", "2号窗口"), item=("S2", "不动产抵押登记")),
            ["", "", "", ""],  # a blank row is skipped
        ]
    )
    assert parsed.problems == []
    units = parsed.catalogue.units
    assert set(units["window"]) == {"W1", "W2"}
    assert units["window"]["W1"].parent == "H1"
    assert units["window"]["W1"].department == "D1"  # the one its rows name
    assert units["service_item"]["S2"].parent == "D1"
    assert units["department"]["D1"].parent == "450900"
    assert units["hall"]["H1"].name_en is None  # no English column: keep stored
    assert parsed.catalogue.links == {("W1", "S1"), ("W1", "S2"), ("W2", "S2")}
    assert parsed.first_row[("service_item", "S2")] == 3


def test_a_window_serving_two_departments_is_comprehensive():
    parsed = read_catalogue_rows(
        [HEADER, row(), row(department=("D2", "税务局"), item=("S9", "发票申领"))]
    )
    assert parsed.problems == []
    assert parsed.catalogue.units["window"]["W1"].department is None


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        (row(hall=("H1", "")), (2, "hall_name", "empty_name")),
        (row(window=("", "1号窗口")), (2, "window_code", "empty_code")),
        (row(window=("W 1", "1号窗口")), (2, "window_code", "bad_code")),
        (row(item=("S1/2", "x")), (2, "service_item_code", "bad_code")),
        (row(hall=("H" * 33, "x")), (2, "hall_code", "code_too_long")),
        (row(item=("S" * 49, "x")), (2, "service_item_code", "code_too_long")),
        (row(region=("4" * 33, "x")), (2, "region_code", "code_too_long")),
        (row(window=("W1", "窗" * 201)), (2, "window_name", "name_too_long")),
        (row(region=None), (2, "region_code", "needs_region")),
        (row(hall=None), (2, "hall_code", "needs_hall")),
        (row(department=None), (2, "department_code", "needs_department")),
    ],
)
def test_each_rule_names_its_row_and_column(bad_row, expected):
    assert expected in problems_of([HEADER, bad_row])


def test_every_bad_row_is_listed_not_only_the_first():
    rows = [
        HEADER,
        row(),
        row(hall=("H2", "二号大厅")),  # W1 under a second hall
        row(window=("W2", "")),
        row(item=("S1", "另一个名字")),  # S1 renamed within the file
        row(item=("S3", "x"), department=("D9", "x")),
        row(window=("W3", "3号窗口"), hall=("H3", "三号大厅"), item=("S3", "x")),
        row(),  # the same window and item twice
    ]
    found = problems_of(rows)
    assert (3, "hall_code", "conflict_window_parent") in found
    assert (4, "window_name", "empty_name") in found
    assert (5, "service_item_name", "conflict_name") in found
    assert (7, "department_code", "conflict_service_item_parent") in found
    assert (8, "service_item_code", "duplicate_link") in found
    assert {number for number, _, _ in found} == {3, 4, 5, 7, 8}
    conflict = read_catalogue_rows(rows).problems[0]
    assert conflict.params == {"code": "W1", "other": "H1", "row": 2}


def test_missing_columns_and_empty_files():
    assert problems_of([]) == [(1, "", "empty_file")]
    assert problems_of([HEADER]) == [(2, "", "no_rows")]
    found = problems_of([HEADER[:-2], row()[:-2]])
    assert found == [
        (1, "service_item_code", "missing_column"),
        (1, "service_item_name", "missing_column"),
    ]


def test_header_is_read_case_and_space_insensitively():
    header = [f" {name.upper()} " for name in HEADER]
    assert problems_of([header, row()]) == []


def stored(*units: Unit, links=()) -> Catalogue:
    catalogue = Catalogue()
    for unit in units:
        catalogue.add(unit)
    catalogue.links = set(links)
    return catalogue


BASE = (
    Unit("region", "450900", "玉林市本级"),
    Unit("department", "D1", "自然资源局", parent="450900"),
    Unit("hall", "H1", "市政务服务中心", parent="450900"),
    Unit("window", "W1", "1号窗口", parent="H1", department="D1"),
    Unit("service_item", "S1", "不动产转移登记", parent="D1"),
)


def test_the_same_file_again_plans_nothing():
    plan = plan_changes(
        stored(*BASE, links=[("W1", "S1")]), read_catalogue_rows([HEADER, row()])
    )
    assert plan.empty
    assert plan.counts()["window"]["added"] == 0


def test_plan_names_what_is_added_renamed_moved_restored_and_retired():
    current = stored(
        *BASE,
        Unit("hall", "H2", "二号大厅", parent="450900"),
        Unit("window", "W2", "2号窗口", parent="H1", department="D1", active=False),
        Unit("window", "W9", "旧窗口", parent="H1", department="D1"),
        Unit("service_item", "S7", "旧事项", parent="D1"),
        links=[("W1", "S1"), ("W9", "S1"), ("W1", "S7")],
    )
    parsed = read_catalogue_rows(
        [
            HEADER,
            row(window=("W1", "一号窗口")),  # renamed
            # moved to H2 and back in use; S7 now only here
            row(
                hall=("H2", "二号大厅"), window=("W2", "2号窗口"), item=("S7", "旧事项")
            ),
            row(item=("S5", "新事项"), window=("W1", "一号窗口")),  # added
        ]
    )
    plain = plan_changes(current, parsed)
    assert [c.code for c in plain.of("window", "renamed")] == ["W1"]
    assert [c.actions for c in plain.changes if c.code == "W2"] == [
        ("restored", "moved")
    ]
    assert [c.code for c in plain.of("service_item", "added")] == ["S5"]
    assert plain.of("window", "retired") == []  # W9 stays without --retire-missing
    assert set(plain.links_added) == {("W2", "S7"), ("W1", "S5")}
    assert plain.links_removed == ()
    retiring = plan_changes(current, parsed, retire_missing=True)
    assert [c.code for c in retiring.of("window", "retired")] == ["W9"]
    # W1 keeps only the items the file lists for it; retired W9 keeps its own.
    assert retiring.links_removed == (("W1", "S7"),)
    assert retiring.fingerprint() != plain.fingerprint()
    # The fingerprint is of the plan alone: the same inputs, the same print.
    assert plan_changes(current, parsed).fingerprint() == plain.fingerprint()


def test_english_names_change_only_when_the_file_has_them():
    current = stored(*(Unit(**{**u.__dict__, "name_en": "old"}) for u in BASE))
    without = read_catalogue_rows([HEADER, row()])
    assert plan_changes(current, without).of("hall", "renamed") == []
    with_english = read_catalogue_rows([HEADER + ["hall_name_en"], row() + ["Centre"]])
    renamed = plan_changes(current, with_english).of("hall", "renamed")
    assert [(c.before.name_en, c.after.name_en) for c in renamed] == [("old", "Centre")]


def test_a_window_department_column_must_name_a_known_department():
    parsed = read_catalogue_rows(
        [HEADER + ["window_department_code"], row() + ["D404"]]
    )
    assert parsed.problems == []
    found = reference_problems(parsed, stored(*BASE))
    assert [(p.row, p.column, p.code) for p in found] == [
        (2, "window_department_code", "unknown_department")
    ]
    known = stored(*BASE, Unit("department", "D404", "旧部门", active=False))
    assert reference_problems(parsed, known) == []


def test_export_rows_read_back_as_the_same_catalogue():
    current = stored(
        *BASE,
        Unit("region", "450902", "玉州区", "Yuzhou"),
        Unit("hall", "H2", "空大厅", parent="450902"),  # a hall without windows
        Unit("window", "W2", "综合窗口", parent="H1"),  # no items, no department
        Unit("window", "W3", "3号窗口", parent="H1", department="D1"),
        Unit("service_item", "S2", "网上事项", parent="D1"),  # at no window
        Unit("department", "D2", "空部门"),  # nothing under it, no region
        Unit("region", "450903", "福绵区"),  # no halls
        Unit("window", "W8", "退役窗口", parent="H1", active=False),
        links=[("W1", "S1"), ("W3", "S1"), ("W8", "S1")],
    )
    rows = [list(EXPORT_COLUMNS)] + export_rows(current)
    parsed = read_catalogue_rows(rows)
    assert parsed.problems == []
    assert "W8" not in parsed.catalogue.units["window"]
    plan = plan_changes(current, parsed, retire_missing=True)
    assert plan.empty, plan
