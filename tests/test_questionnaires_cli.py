"""`flask questionnaires ...`: XLSForm import/export/template, publish, assign."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.models import (
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireVersion,
)
from surveyapp.services.questionnaires.default import DEFAULT_DEFINITION
from surveyapp.services.questionnaires.xlsform import read_xlsform
from tests.xlsform_helpers import CITY_SURVEY, SURVEY_HEADER, xlsform_bytes


@pytest.fixture()
def city_file(tmp_path):
    path = tmp_path / "city.xlsx"
    path.write_bytes(xlsform_bytes())
    return path


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_import_publish_export_round_trip(runner, db, city_file, tmp_path):
    out = _ok(
        runner.invoke(
            args=["questionnaires", "import", str(city_file), "--code", "CITY"]
        )
    )
    assert "created questionnaire CITY" in out
    assert "to fix before publishing" not in out
    questionnaire = db.session.scalar(select(Questionnaire))
    assert questionnaire.title == "城市服务满意度调查" and questionnaire.draft
    assert (
        _ok(runner.invoke(args=["questionnaires", "publish", "--code", "CITY"])).strip()
        == "published CITY-v1"
    )
    exported = tmp_path / "out.xlsx"
    _ok(
        runner.invoke(
            args=["questionnaires", "export", "--code", "CITY", "--out", str(exported)]
        )
    )
    version = db.session.scalar(select(QuestionnaireVersion))
    assert read_xlsform(exported).definition == version.definition
    # import -> export -> import: the same definition
    _ok(
        runner.invoke(
            args=["questionnaires", "import", str(exported), "--code", "CITY2"]
        )
    )
    again = db.session.scalar(
        select(Questionnaire).where(Questionnaire.code == "CITY2")
    )
    assert again.draft == version.definition
    listed = _ok(runner.invoke(args=["questionnaires", "list"]))
    assert "CITY\t城市服务满意度调查\tv1" in listed and "CITY2" in listed


def test_the_template_is_the_default_questionnaire(runner, db, tmp_path):
    path = tmp_path / "template.xlsx"
    _ok(runner.invoke(args=["questionnaires", "template", "--out", str(path)]))
    definition = read_xlsform(path).definition
    assert [q["key"] for q in definition["questions"]] == [
        q["key"] for q in DEFAULT_DEFINITION["questions"]
    ]
    assert definition["title"] == DEFAULT_DEFINITION["title"]
    _ok(runner.invoke(args=["questionnaires", "import", str(path), "--code", "MINE"]))
    _ok(runner.invoke(args=["questionnaires", "publish", "--code", "MINE"]))


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["geopoint", "where", "位置", "", "", "", "", "", "", ""],
            "Row 3: type geopoint (where)",
        ),
        (
            ["image", "photo", "照片", "", "", "", "", "", "", ""],
            "Row 3: type image (photo)",
        ),
        (
            ["begin_repeat", "people", "人", "", "", "", "", "", "", ""],
            "Row 3: type begin_repeat (people)",
        ),
        (
            ["text", "why", "原因", "", "", "", "", "not(${overall} = 5)", "", ""],
            "Row 3 (why): relevant not(${overall} = 5) is outside the supported subset.",
        ),
    ],
)
def test_unsupported_xlsforms_are_refused_and_nothing_is_stored(
    runner, db, tmp_path, row, expected
):
    path = tmp_path / "bad.xlsx"
    survey = [CITY_SURVEY[1], row]
    if row[0] == "begin_repeat":
        survey.append(["end_repeat", "", "", "", "", "", "", "", "", ""])
    path.write_bytes(xlsform_bytes(survey=survey))
    result = runner.invoke(
        args=["questionnaires", "import", str(path), "--code", "BAD"]
    )
    assert result.exit_code != 0
    assert expected in result.output
    assert "bad.xlsx refused; nothing stored" in result.output
    assert db.session.scalar(select(func.count(Questionnaire.id))) == 0


def test_a_refused_import_leaves_the_existing_draft(runner, db, city_file, tmp_path):
    _ok(
        runner.invoke(
            args=["questionnaires", "import", str(city_file), "--code", "CITY"]
        )
    )
    before = db.session.scalar(select(Questionnaire)).draft
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        xlsform_bytes(
            survey=[CITY_SURVEY[1], ["geopoint", "c", "", "", "", "", "", "", "", ""]]
        )
    )
    result = runner.invoke(
        args=["questionnaires", "import", str(bad), "--code", "CITY"]
    )
    assert result.exit_code != 0 and "type geopoint (c)" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Questionnaire)).draft == before


def test_publish_refuses_a_draft_with_problems(runner, db, tmp_path):
    path = tmp_path / "no-overall.xlsx"
    path.write_bytes(
        xlsform_bytes(
            survey=[["text", "comment", "", "Comment", "", "", "", "", "", ""]]
        )
    )
    imported = _ok(
        runner.invoke(args=["questionnaires", "import", str(path), "--code", "X"])
    )
    assert "to fix before publishing: There is no overall rating" in imported
    assert (
        "to fix before publishing: Question comment has no Chinese label." in imported
    )
    result = runner.invoke(args=["questionnaires", "publish", "--code", "X"])
    assert result.exit_code != 0
    assert "X not published; fix these first" in result.output
    assert db.session.scalar(select(func.count(QuestionnaireVersion.id))) == 0
    unknown = runner.invoke(args=["questionnaires", "publish", "--code", "NOPE"])
    assert unknown.exit_code != 0 and "no questionnaire NOPE" in unknown.output


def test_assign_a_hall_or_a_window(runner, demo, city_file):
    _ok(
        runner.invoke(
            args=["questionnaires", "import", str(city_file), "--code", "CITY"]
        )
    )
    early = runner.invoke(
        args=["questionnaires", "assign", "--code", "CITY", "--hall", "H450900"]
    )
    assert early.exit_code != 0 and "no published version" in early.output
    _ok(runner.invoke(args=["questionnaires", "publish", "--code", "CITY"]))
    out = _ok(
        runner.invoke(
            args=["questionnaires", "assign", "--code", "CITY", "--hall", "H450900"]
        )
    )
    assert out.strip() == "H450900: as printed -> CITY"
    out = _ok(
        runner.invoke(
            args=[
                "questionnaires",
                "assign",
                "--code",
                "HCP",
                "--hall",
                "H450900",
                "--window",
                "W450900-02",
            ]
        )
    )
    assert out.strip() == "W450900-02: as printed -> HCP"
    elsewhere = runner.invoke(
        args=[
            "questionnaires",
            "assign",
            "--code",
            "CITY",
            "--hall",
            "H450900",
            "--window",
            "W450921-01",
        ]
    )
    assert elsewhere.exit_code != 0 and "not in hall H450900" in elsewhere.output
    assert db_count(demo) == 2
    _ok(runner.invoke(args=["questionnaires", "unassign", "--hall", "H450900"]))
    assert db_count(demo) == 1
    for bad in (["--hall", "NOPE"], ["--hall", "H450900", "--window", "NOPE"]):
        result = runner.invoke(
            args=["questionnaires", "assign", "--code", "CITY", *bad]
        )
        assert result.exit_code != 0


def db_count(db) -> int:
    return db.session.scalar(select(func.count(QuestionnaireAssignment.id)))


def test_header_only_columns_in_the_subset_are_read(runner, db, tmp_path):
    """A workbook with only some of the columns is fine (XLSForm allows it)."""
    path = tmp_path / "short.xlsx"
    header = ["type", "name", "label::Chinese (zh)", "required"]
    survey = [["select_one rate5", "overall", "总体", "yes"]]
    path.write_bytes(xlsform_bytes(survey=survey, header=header, settings={}))
    _ok(runner.invoke(args=["questionnaires", "import", str(path), "--code", "SHORT"]))
    draft = db.session.scalar(select(Questionnaire)).draft
    assert draft["title"] == {} and draft["questions"][0]["kind"] == "rating5"
    assert SURVEY_HEADER[:2] == header[:2]
