"""The definition format: checks before publishing, validation of answers,
the conditional stylesheet, the builder's edits, drafts, versions, and the
pieces exports, quality and indices read."""

from __future__ import annotations

import copy

import pytest
from werkzeug.datastructures import MultiDict

from surveyapp.models.surveys import PublishedVersionChanged
from surveyapp.services.questionnaires import drafts, editing
from surveyapp.services.questionnaires.answers import (
    answer_cells,
    answer_columns,
    clean_answers,
)
from surveyapp.services.questionnaires.default import DEFAULT_DEFINITION
from surveyapp.services.questionnaires.definitions import (
    DefinitionError,
    check_definition,
    driver_values,
    find_question,
    publish_problems,
)
from surveyapp.services.questionnaires.display import conditional_css
from surveyapp.services.questionnaires.fields import fields_of, question_from_fields
from surveyapp.services.questionnaires.xlsform import read_xlsform
from tests.xlsform_helpers import DRIVERS, city_answers, xlsform_bytes


@pytest.fixture(scope="module")
def city() -> dict:
    return read_xlsform(xlsform_bytes()).definition


def _codes(definition) -> list[str]:
    return [p.code for p in publish_problems(definition) if not p.warning]


def test_the_default_questionnaire_passes_every_check():
    assert publish_problems(DEFAULT_DEFINITION) == []
    check_definition(DEFAULT_DEFINITION)


def test_problems_before_publishing_are_named(city):
    broken = copy.deepcopy(city)
    find_question(broken, "visits")["label"] = {"en": "Visits"}  # no Chinese
    find_question(broken, "overall")["show_if"] = {"op": "=", "ref": "age", "value": 1}
    find_question(broken, "other_problem")["key"] = "suggestion"  # twice
    assert set(_codes(broken)) >= {
        "label_zh",
        "condition_later",
        "key_duplicate",
        "overall_conditional",
    }
    no_overall = copy.deepcopy(city)
    find_question(no_overall, "overall")["key"] = "total"
    problems = [str(p) for p in publish_problems(no_overall)]
    assert any(p.startswith("There is no overall rating") for p in problems)
    with pytest.raises(DefinitionError) as refused:
        check_definition(no_overall)
    assert "overall_missing" in [p.code for p in refused.value.problems]
    spaced = copy.deepcopy(city)
    find_question(spaced, "problems")["options"][0]["value"] = "too long"
    assert "option_spaces" in _codes(spaced)
    reserved = copy.deepcopy(city)
    find_question(reserved, "suggestion")["key"] = "verdict"
    assert "key_reserved" in _codes(reserved)


def test_a_condition_on_itself_a_note_or_an_unknown_name_is_refused(city):
    for ref, code in (
        ("welcome", "condition_no_answer"),
        ("drivers", "condition_no_answer"),
        ("nowhere", "condition_unknown"),
        ("suggestion", "condition_later"),
    ):
        broken = copy.deepcopy(city)
        find_question(broken, "visits")["show_if"] = {"op": "=", "ref": ref, "value": 1}
        assert code in _codes(broken), ref
    # A grid item is an answer of its own name.
    fine = copy.deepcopy(city)
    find_question(fine, "visits")["show_if"] = {
        "op": "<",
        "ref": "attitude",
        "value": 3,
    }
    assert _codes(fine) == []


def test_drivers_outside_the_index_are_a_warning_not_a_refusal(city):
    renamed = copy.deepcopy(city)
    find_question(renamed, "drivers")["items"][0]["key"] = "speed"
    warnings = [p for p in publish_problems(renamed) if p.warning]
    assert [w.code for w in warnings] == ["drivers_not_indexed"]
    assert "speed" in str(warnings[0])
    check_definition(renamed)


def _get(data: dict):
    form = MultiDict()
    for key, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            form.add(key, one)
    return form.getlist


def test_answers_to_every_kind_are_cleaned(app, city):
    with app.test_request_context():
        answers, errors = clean_answers(city, _get(city_answers()))
    assert errors == {}
    assert answers == {
        "overall": 2,
        "problems": ["waiting", "other"],
        "other_problem": "材料要求不清楚",
        "drivers": dict.fromkeys(DRIVERS, 2),
        "visits": "2",
        "age": 70,
        "wait_hours": 2.5,
        "helped": "no",
        "help_note": "希望有人引导",
        "recommend": 3,
        "suggestion": "增加窗口",
    }


def test_answers_to_questions_not_asked_are_dropped_and_never_required(app, city):
    happy = city_answers(5, q_problems=None, q_age="30", q_helped=None)
    with app.test_request_context():
        answers, errors = clean_answers(city, _get(happy))
    assert errors == {}
    # overall 5: no problems asked; age 30: the elderly group is skipped
    # (help_note sent anyway is dropped); visits 2 but overall >= 3 and no
    # waiting: no wait_hours.
    for dropped in ("problems", "other_problem", "helped", "help_note", "wait_hours"):
        assert dropped not in answers
    assert answers["recommend"] == 3
    with app.test_request_context():
        _answers, errors = clean_answers(city, _get(city_answers(2, q_problems=None)))
    assert set(errors) == {"problems"}  # required once asked


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("q_age", "12", "16"),
        ("q_age", "30.5", "whole number"),
        ("q_age", "abc", "whole number"),
        ("q_wait_hours", "-1", "0"),
        ("q_wait_hours", "nan", "number"),
        ("q_wait_hours", "1e20", "smaller"),
        ("q_visits", "4", "options"),
        ("q_recommend", "11", "options"),
        ("q_drivers_attitude", "6", "options"),
        ("q_helped", "maybe", "options"),
    ],
)
def test_bad_answers_are_refused_with_a_message(app, city, field, value, message):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        answers, errors = clean_answers(city, _get(city_answers(**{field: value})))
        key = field.removeprefix("q_").removeprefix("drivers_")
        key = "drivers" if field.startswith("q_drivers_") else key
        assert message in str(errors[key])


def test_export_cells_name_every_answer_by_its_xlsform_name(city):
    answers = {
        "overall": 2,
        "problems": ["waiting", "other"],
        "drivers": {"attitude": 2},
        "age": 70,
    }
    cells = answer_cells(city, answers)
    assert cells["problems"] == "waiting|other"
    assert cells["attitude"] == 2 and cells["timeliness"] is None
    assert cells["age"] == 70 and cells["suggestion"] is None
    assert "welcome" not in cells and "drivers" not in cells and "elderly" not in cells
    columns = answer_columns([DEFAULT_DEFINITION, city])
    assert columns[:3] == ["overall", "problems", "complaint"]
    assert columns.count("overall") == 1 and "help_note" in columns
    assert driver_values(city, answers) == {"attitude": 2}


def test_the_stylesheet_reveals_what_css_can_test(city):
    css = conditional_css(city)
    # A rating compared: the matching choices.
    assert 'form:has(input[name="q_overall"][value="2"]:checked) #block-problems' in css
    assert 'value="3"]:checked) #block-problems' not in css
    # selected() of a question itself shown only after a bad rating.
    assert (
        'form:has(input[name="q_overall"][value="1"]:checked)'
        ':has(input[name="q_problems"][value="other"]:checked) #block-other_problem'
    ) in css
    # != of an always-asked choice, joined with or.
    assert ':not(:has(input[name="q_visits"][value="1"]:checked))' in css
    # A select shown as a drop-down.
    assert 'select[name="q_elderly_helped"]' not in css  # only grid items nest names
    # Numbers cannot be tested: the elderly group and the long-wait note stay shown.
    assert "#block-elderly" not in css and "#block-long_wait" not in css
    assert "#block-help_note" not in css  # it reads a question in that group
    assert "#block-contact:not(.has-error)" in css
    legacy = conditional_css(DEFAULT_DEFINITION)
    assert "#block-problems:not(.has-error)" in legacy
    # hidden, its hint hidden with it, and shown for each bad rating
    assert legacy.count("#block-complaint") == 4
    assert "#block-complaint > .condition-hint" in legacy


def test_builder_edits(city):
    question, problems = question_from_fields(
        "single",
        {
            "key": "channel",
            "label_zh": "渠道",
            "label_en": "Channel",
            "options": "web | 网上 | Online\nhall｜大厅",
            "required": "y",
            "condition": "${overall} <= 2",
            "pick_ref": "visits",
            "pick_op": "!=",
            "pick_value": "1",
            "pick_join": "and",
        },
    )
    assert problems == []
    assert question["options"] == [
        {"value": "web", "label": {"zh": "网上", "en": "Online"}},
        {"value": "hall", "label": {"zh": "大厅"}},
    ]
    assert question["show_if"]["op"] == "and" and question["required"] is True
    assert fields_of(question)["condition"] == "${overall} <= 2 and ${visits} != 1"
    added = editing.add_question(city, question, "elderly")
    assert find_question(added, "elderly")["questions"][-1]["key"] == "channel"
    assert "channel" not in [q["key"] for q in city["questions"]]  # a new copy
    renamed = editing.replace_question(
        city, "overall", {**find_question(city, "overall"), "key": "total"}
    )
    assert find_question(renamed, "problems")["show_if"]["ref"] == "total"
    moved = editing.move_question(city, "visits", -1)
    keys = [q["key"] for q in moved["questions"]]
    assert keys.index("visits") == keys.index("drivers") - 1
    out = editing.replace_question(city, "helped", find_question(city, "helped"), None)
    assert "helped" in [q["key"] for q in out["questions"]]
    with pytest.raises(editing.EditError):
        editing.replace_question(
            city, "elderly", find_question(city, "elderly"), "elderly"
        )
    _question, bad = question_from_fields(
        "integer", {"key": "n", "min": "1.5", "condition": "${a} ="}
    )
    assert {p.code for p in bad} == {"number_invalid", "condition_end"}


def test_what_changed_between_two_definitions(city):
    new = editing.delete_question(city, "suggestion")
    new = editing.move_question(new, "visits", -1)
    changed = copy.deepcopy(find_question(new, "age"))
    changed["max"] = 120
    changed["label"]["en"] = "Your age"
    new = editing.replace_question(new, "age", changed)
    new = editing.add_question(new, {"key": "email", "kind": "text", "label": {}})
    new["title"] = {"zh": "新标题"}
    changes = editing.diff(city, new)
    assert changes.added == ["email"] and changes.removed == ["suggestion"]
    assert changes.changed == [("age", ["label", "max"])]
    assert changes.moved == ["visits"]
    assert changes.settings == ["title"]
    assert not editing.diff(city, copy.deepcopy(city))


def test_drafts_publish_immutable_versions(db, city):
    questionnaire = drafts.create_questionnaire("CITY", {"zh": "城市"}, "default")
    assert questionnaire.draft["questions"][0]["key"] == "overall"
    drafts.save_draft(questionnaire, city)
    first = drafts.publish_draft(questionnaire)
    assert first.number == 1 and questionnaire.draft is None
    assert questionnaire.is_default  # the first published where none is default
    with pytest.raises(drafts.QuestionnaireError):
        drafts.publish_draft(questionnaire)  # no draft
    drafts.save_draft(questionnaire, drafts.draft_of(questionnaire))
    with pytest.raises(drafts.QuestionnaireError) as same:
        drafts.publish_draft(questionnaire)
    assert same.value.reason == "unchanged"
    broken = copy.deepcopy(city)
    find_question(broken, "overall")["key"] = "total"
    drafts.save_draft(questionnaire, broken)
    with pytest.raises(DefinitionError):
        drafts.publish_draft(questionnaire)
    assert questionnaire.draft is not None  # kept to be fixed
    drafts.save_draft(questionnaire, editing.delete_question(city, "suggestion"))
    second = drafts.publish_draft(questionnaire)
    assert second.number == 2
    assert find_question(first.definition, "suggestion") is not None
    first.definition = {**first.definition, "questions": []}
    with pytest.raises(PublishedVersionChanged):
        db.session.commit()
    db.session.rollback()


def test_a_draft_with_unreadable_names_is_not_stored(db, city):
    questionnaire = drafts.create_questionnaire("C2", {"zh": "城市"})
    broken = copy.deepcopy(city)
    find_question(broken, "age")["key"] = "年龄"
    with pytest.raises(DefinitionError):
        drafts.save_draft(questionnaire, broken)
    db.session.refresh(questionnaire)
    assert questionnaire.draft["questions"] == []
    for code, title in (("bad code", {"zh": "x"}), ("C2", {"zh": "x"}), ("C3", {})):
        with pytest.raises(drafts.QuestionnaireError):
            drafts.create_questionnaire(code, title)
