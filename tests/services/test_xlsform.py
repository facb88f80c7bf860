"""XLSForm in and out: the supported subset read through pyxform, everything
else refused by row, and the written workbook read back to the same thing."""

from __future__ import annotations

import copy
import io

import pytest

from surveyapp.services.questionnaires.default import DEFAULT_DEFINITION
from surveyapp.services.questionnaires.definitions import (
    drivers_of,
    find_question,
    publish_problems,
)
from surveyapp.services.questionnaires.xlsform import XLSFormRefused, read_xlsform
from surveyapp.services.questionnaires.xlsform_export import write_xlsform
from tests.xlsform_helpers import CITY_SURVEY, DRIVERS, SURVEY_HEADER, xlsform_bytes


def test_every_supported_type_is_read():
    definition = read_xlsform(xlsform_bytes()).definition
    assert definition["title"] == {
        "zh": "城市服务满意度调查",
        "en": "City service survey",
    }
    assert definition["intro"]["en"] == "Please rate the service you just had."
    kinds = {
        q: find_question(definition, q)["kind"]
        for q in (
            "welcome",
            "overall",
            "problems",
            "other_problem",
            "drivers",
            "visits",
            "age",
            "wait_hours",
            "long_wait",
            "elderly",
            "helped",
            "recommend",
        )
    }
    assert kinds == {
        "welcome": "note",
        "overall": "rating5",
        "problems": "multi",
        "other_problem": "text",
        "drivers": "grid",
        "visits": "single",
        "age": "integer",
        "wait_hours": "decimal",
        "long_wait": "note",
        "elderly": "group",
        "helped": "single",
        "recommend": "scale10",
    }
    overall = find_question(definition, "overall")
    assert [o["value"] for o in overall["options"]] == [5, 4, 3, 2, 1]
    assert overall["label"] == {"zh": "总体评价", "en": "Overall rating"}
    assert overall["required"] is True
    welcome = find_question(definition, "welcome")
    assert welcome["hint"] == {"zh": "约一分钟", "en": "About a minute"}
    age = find_question(definition, "age")
    assert (age["min"], age["max"]) == (16, 100)
    assert find_question(definition, "wait_hours")["min"] == 0
    assert find_question(definition, "other_problem")["appearance"] == "multiline"
    assert find_question(definition, "helped")["appearance"] == "minimal"
    # The grid: one five-level list shared by a group's select_one questions.
    grid = find_question(definition, "drivers")
    assert [i["key"] for i in grid["items"]] == list(DRIVERS)
    assert grid["required"] is True and grid["appearance"] == "field-list"
    assert grid["options"][0] == {
        "value": 1,
        "label": {"zh": "很差", "en": "Very poor"},
    }
    assert [d.key for d in drivers_of(definition)] == list(DRIVERS)
    # Conditions become trees; the 0-10 scale's plain numbers need no labels.
    assert find_question(definition, "problems")["show_if"] == {
        "op": "<=",
        "ref": "overall",
        "value": 2,
    }
    assert find_question(definition, "wait_hours")["show_if"]["op"] == "and"
    assert find_question(definition, "elderly")["show_if"] == {
        "op": ">=",
        "ref": "age",
        "value": 60,
    }
    assert "options" not in find_question(definition, "recommend")
    helped = find_question(definition, "elderly")["questions"][0]
    assert helped["key"] == "helped"
    assert [p for p in publish_problems(definition) if not p.warning] == []


def test_export_then_import_gives_the_same_definition():
    first = read_xlsform(xlsform_bytes()).definition
    data = write_xlsform(first, "CITY", "1")
    assert read_xlsform(data).definition == first
    # ... and the default questionnaire's export is a fixed point after one trip.
    once = read_xlsform(write_xlsform(DEFAULT_DEFINITION, "HCP")).definition
    assert read_xlsform(write_xlsform(once, "HCP")).definition == once
    assert [q["key"] for q in once["questions"]] == [
        q["key"] for q in DEFAULT_DEFINITION["questions"]
    ]


def test_the_written_workbook_is_a_valid_xlsform_for_odk(tmp_path):
    """pyxform, ODK's converter, turns the export into an XForm."""
    from pyxform import create_survey_from_xls

    path = tmp_path / "city.xlsx"
    path.write_bytes(write_xlsform(read_xlsform(xlsform_bytes()).definition, "CITY"))
    xml = create_survey_from_xls(str(path)).to_xml(validate=False)
    assert "relevant=\"selected( /data/problems , 'other')\"" in xml
    assert 'relevant=" /data/age  &gt;= 60"' in xml
    assert "<h:title>城市服务满意度调查</h:title>" in xml


def _row(type_, name, **columns):
    row = dict.fromkeys(SURVEY_HEADER, "")
    row.update(type=type_, name=name, **{"label::Chinese (zh)": name}, **columns)
    return [row[c] for c in SURVEY_HEADER]


def _refused(survey, header=None, choices=None) -> list[str]:
    with pytest.raises(XLSFormRefused) as refused:
        read_xlsform(xlsform_bytes(survey=survey, header=header, choices=choices))
    return [str(p) for p in refused.value.problems]


OVERALL = [CITY_SURVEY[1]]


@pytest.mark.parametrize(
    "type_",
    [
        "geopoint",
        "image",
        "date",
        "barcode",
        "start",
        "range",
        "acknowledge",
        "select_one_from_file places.csv",
    ],
)
def test_unsupported_types_are_refused_by_row(type_):
    extra = {"parameters": ""} if type_ == "range" else {}
    messages = _refused([*OVERALL, _row(type_, "odd", **extra)])
    assert len(messages) == 1
    assert (
        messages[0].startswith("Row 3: type ")
        and "(odd) is not supported" in messages[0]
    )
    assert type_.split()[0] in messages[0]


def test_calculate_and_repeats_are_refused():
    header = [*SURVEY_HEADER, "calculation"]
    survey = [
        [*OVERALL[0], ""],
        [*_row("calculate", "total"), "1 + 1"],
        [*_row("begin_repeat", "people"), ""],
        [*_row("text", "person"), ""],
        [*_row("end_repeat", ""), ""],
    ]
    messages = _refused(survey, header=header)
    assert "Row 3: type calculate (total) is not supported." in messages
    assert "Row 4: type begin_repeat (people) is not supported." in messages


@pytest.mark.parametrize(
    "expression",
    [
        "not(${overall} = 1)",
        "count-selected(${overall}) > 1",
        "${overall} = ${overall}",
        "${overall} + 1 > 2",
        "string-length(${overall}) > 0",
        "${overall} = 1 xor ${overall} = 2",
    ],
)
def test_expressions_outside_the_subset_are_refused(expression):
    messages = _refused([*OVERALL, _row("text", "why", relevant=expression)])
    assert len(messages) == 1
    assert messages[0].startswith("Row 3 (why): relevant ")
    assert "is outside the supported subset" in messages[0]


@pytest.mark.parametrize(
    ("type_", "constraint"),
    [
        ("integer", ". > 0"),
        ("integer", ". >= 0.5"),
        ("decimal", ". != 3"),
        ("decimal", "regex(., '[0-9]+')"),
        ("text", "string-length(.) < 10"),
    ],
)
def test_constraints_outside_the_subset_are_refused(type_, constraint):
    messages = _refused([*OVERALL, _row(type_, "n", constraint=constraint)])
    assert messages and all(m.startswith("Row 3 (n)") for m in messages)


def test_other_columns_languages_names_and_duplicates_are_refused():
    header = [*SURVEY_HEADER, "default", "label::French (fr)"]
    survey = [
        [*OVERALL[0], "", ""],
        [*_row("text", "a"), "x", ""],
        [*_row("text", "b"), "", "Bonjour"],
        [*_row("text", "my-name"), "", ""],
        [*_row("begin_group", "g"), "", ""],
        [*_row("text", "b"), "", ""],
        [*_row("end_group", ""), "", ""],
        [*_row("select_one rate5", "overall2", appearance="quick"), "", ""],
    ]
    messages = _refused(survey, header=header)
    assert "Row 3 (a): column default is not supported." in messages
    assert any(m.startswith("Row 4 (b): language French (fr)") for m in messages)
    assert any(m.startswith("Row 5: name my-name is not supported") for m in messages)
    assert "Row 4: the name b is used twice." in messages
    assert any("appearance quick" in m for m in messages)


def test_a_file_that_is_not_an_xlsform_is_refused():
    with pytest.raises(XLSFormRefused) as refused:
        read_xlsform(b"this is not a workbook")
    assert str(refused.value).startswith("The file could not be read as an XLSForm")
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)  # no survey sheet
    with pytest.raises(XLSFormRefused):
        read_xlsform(buffer.getvalue())


def test_a_group_is_a_grid_only_when_it_is_one_five_level_list():
    survey = [
        *OVERALL,
        _row("begin_group", "mixed"),
        _row("select_one levels", "speed"),
        _row("select_one visits", "count"),
        _row("end_group", ""),
    ]
    definition = read_xlsform(xlsform_bytes(survey=survey)).definition
    group = find_question(definition, "mixed")
    assert group["kind"] == "group"
    assert [q["kind"] for q in group["questions"]] == ["rating5", "single"]


def test_messages_that_only_the_form_shows_are_ignored_with_a_note():
    header = [*SURVEY_HEADER, "constraint_message"]
    survey = [[*OVERALL[0], ""], [*_row("integer", "n", constraint=". <= 9"), "太大"]]
    imported = read_xlsform(xlsform_bytes(survey=survey, header=header))
    assert find_question(imported.definition, "n")["max"] == 9
    assert [str(w) for w in imported.warnings] == [
        "Row 3 (n): column constraint_message is ignored (surveyapp shows its own "
        "messages)."
    ]


def test_a_builder_definition_writes_and_reads_back():
    definition = copy.deepcopy(read_xlsform(xlsform_bytes()).definition)
    definition["questions"].append(
        {
            "key": "nested",
            "kind": "group",
            "label": {},
            "questions": [
                {
                    "key": "inner",
                    "kind": "decimal",
                    "label": {"zh": "小数"},
                    "required": False,
                    "min": 0.5,
                    "max": 9.5,
                }
            ],
        }
    )
    assert read_xlsform(write_xlsform(definition, "X")).definition == definition
