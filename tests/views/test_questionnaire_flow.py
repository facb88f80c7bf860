"""A city's own questionnaire, from XLSForm to stored answers: the printed QR
code opens it once assigned, the server validates it, conditions hold, and
the export, the quality checks and the indices read it by its names."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.models import Hall, Response, Window
from surveyapp.models.base import utcnow
from surveyapp.services.questionnaires import drafts
from surveyapp.services.questionnaires.assignments import assign
from surveyapp.services.questionnaires.editing import delete_question
from surveyapp.services.questionnaires.xlsform import read_xlsform
from tests.conftest import ticket_from
from tests.xlsform_helpers import DRIVERS, city_answers, xlsform_bytes


def _publish_city(db, code: str = "CITY"):
    questionnaire, _created = drafts.import_draft(
        code, read_xlsform(xlsform_bytes()).definition
    )
    return questionnaire, drafts.publish_draft(questionnaire)


@pytest.fixture()
def city(demo):
    """The city questionnaire, published and assigned to window W450900-01."""
    questionnaire, version = _publish_city(demo)
    window = demo.session.scalar(select(Window).where(Window.code == "W450900-01"))
    assign(questionnaire, window.hall, window)
    return questionnaire, version


def _stored(db) -> Response:
    return db.session.scalars(select(Response).order_by(Response.id.desc())).first()


def test_the_assigned_window_opens_the_city_questionnaire(client, city, survey_path):
    questionnaire, version = city
    page = client.get(survey_path(1)).get_data(as_text=True)
    assert "城市服务满意度调查" in page and "各方面打分" in page
    assert f"/q/{version.id}/form.css" in page
    # The hall's own code and the other windows still open what they name.
    assert "政务服务“好差评”满意度调查" in client.get(survey_path(0)).get_data(
        as_text=True
    )
    assert "城市服务满意度调查" not in client.get(survey_path(2)).get_data(as_text=True)
    css = client.get(f"/q/{version.id}/form.css").get_data(as_text=True)
    assert "#block-problems" in css and "#block-elderly" not in css
    # Conditions CSS cannot test are explained in words.
    assert "Answer this only if" in client.get(survey_path(1) + "?lang=en").get_data(
        as_text=True
    )


def test_answers_are_validated_and_stored_by_name(
    client, city, submit, survey_path, db
):
    path = survey_path(1)
    response = submit(city_answers(), path=path)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    stored = _stored(db)
    assert stored.version_id == city[1].id and stored.overall == 2
    assert stored.answers["drivers"] == dict.fromkeys(DRIVERS, 2)
    assert stored.answers["age"] == 70 and stored.answers["wait_hours"] == 2.5
    assert stored.answers["problems"] == ["waiting", "other"]
    assert stored.comment == "材料要求不清楚"  # the conditional free text
    assert stored.window.code == "W450900-01"


def test_conditions_decide_what_is_required_and_kept(
    client, city, submit, survey_path, db
):
    path = survey_path(1)
    refused = submit(city_answers(2, q_problems=None), path=path)
    assert refused.status_code == 400
    assert "请回答此题" in refused.get_data(as_text=True)
    happy = city_answers(5, q_problems=["fees"], q_age="35", q_wait_hours="3")
    assert submit(happy, path=path).status_code == 303
    answers = _stored(db).answers
    for dropped in ("problems", "other_problem", "wait_hours", "helped", "help_note"):
        assert dropped not in answers
    assert answers["age"] == 35


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("q_age", "12", "16"),
        ("q_age", "七十", "整数"),
        ("q_wait_hours", "-2", "0"),
        ("q_helped", "perhaps", "请选择"),
    ],
)
def test_bad_answers_are_shown_beside_the_question(
    client, city, submit, survey_path, db, field, value, text
):
    response = submit(city_answers(**{field: value}), path=survey_path(1))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert text in html
    assert 'value="材料要求不清楚"' in html or "材料要求不清楚</textarea>" in html
    assert db.session.scalar(select(Response.id)) is None


def test_a_new_version_reaches_the_printed_code(client, city, survey_path, db):
    questionnaire, first = city
    path = survey_path(1)
    old_page = client.get(path).get_data(as_text=True)
    drafts.save_draft(
        questionnaire, delete_question(drafts.draft_of(questionnaire), "suggestion")
    )
    second = drafts.publish_draft(questionnaire)
    page = client.get(path).get_data(as_text=True)
    assert f"/q/{second.id}/form.css" in page and "q_suggestion" not in page
    stale = client.post(path, data={"ticket": ticket_from(old_page), **city_answers()})
    assert stale.status_code == 409  # answered v1's form: asked to check again
    assert first.definition != second.definition


def test_a_window_assignment_wins_over_its_hall(client, demo, survey_path):
    city, _version = _publish_city(demo)
    hcp = drafts.by_code("HCP")
    hall = demo.session.scalar(select(Hall).where(Hall.code == "H450900"))
    window = demo.session.scalar(select(Window).where(Window.code == "W450900-02"))
    assign(city, hall)
    assign(hcp, hall, window)
    assert "城市服务" in client.get(survey_path(0)).get_data(as_text=True)
    assert "城市服务" in client.get(survey_path(1)).get_data(as_text=True)
    assert "城市服务" not in client.get(survey_path(2)).get_data(as_text=True)
    assign(None, hall)
    assert "城市服务" not in client.get(survey_path(1)).get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_has_one_column_per_question_by_name(
    client, city, submit, survey_path, login, fmt
):
    submit(city_answers(), path=survey_path(1))
    submit(path=survey_path(2))  # the default questionnaire, too
    login()
    response = client.get(f"/office/responses/export.{fmt}")
    if fmt == "csv":
        import csv

        text = response.get_data(as_text=True).lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        sheet = load_workbook(io.BytesIO(response.data)).active
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    city_row = next(r for r in records if r["questionnaire"] == "CITY")
    default_row = next(r for r in records if r["questionnaire"] == "HCP")
    for name in ("overall", "problems", "other_problem", *DRIVERS, "visits", "age"):
        assert header.count(name) == 1, name
    for absent in ("welcome", "long_wait", "elderly", "drivers"):
        assert absent not in header
    assert city_row["problems"] == "waiting|other"
    assert str(city_row["attitude"]) == "2" and str(city_row["age"]) == "70"
    assert str(city_row["wait_hours"]) == "2.5" and city_row["helped"] == "no"
    assert city_row["complaint"] in (None, "")  # a column of the other version
    assert str(default_row["attitude"]) == "4"


def test_quality_reads_the_grid_of_any_questionnaire(
    client, city, submit, survey_path, db
):
    from surveyapp.services.quality.verdicts import grid_row

    submit(city_answers(), path=survey_path(1))
    stored = _stored(db)
    assert grid_row(stored.version.definition, stored.answers) == [2.0] * 6
    nested = {
        "questions": [
            {
                "key": "g",
                "kind": "group",
                "questions": [stored.version.definition["questions"][4]],
            }
        ]
    }
    assert grid_row(nested, stored.answers) == [2.0] * 6


def test_indices_read_each_version_s_drivers_and_say_so(app, city, db):
    from surveyapp.services.admin.demo import seed_demo
    from surveyapp.services.indices.runs import compute_run

    seed_demo(responses=400)
    questionnaire, version = city
    for n, overall in enumerate((4, 5, 3, 4) * 10):
        answers = {"overall": overall, "drivers": dict.fromkeys(DRIVERS, overall)}
        template = db.session.scalars(select(Response)).first()
        db.session.add(
            Response(
                public_id=f"city{n:028d}",
                version_id=version.id,
                hall_id=template.hall_id,
                window_id=template.window_id,
                started_at=utcnow() - timedelta(days=1, minutes=3),
                submitted_at=utcnow() - timedelta(days=1),
                duration_s=180.0,
                overall=overall,
                answers=answers,
            )
        )
    db.session.commit()
    today = (utcnow() + timedelta(hours=8)).date()
    # A run reads the rows created up to its cutoff, a whole second: make it
    # the next one, so that rows stored in this second are in.
    cutoff = utcnow().replace(microsecond=0) + timedelta(seconds=1)
    run = compute_run(f"{today - timedelta(days=95)}..{today}", "hall", cutoff=cutoff)
    note = next(n for n in run.method_notes if "questionnaire versions" in n)
    assert "HCP-v1" in note and "CITY-v1" in note and "same drivers" in note
    assert run.excluded["missing_drivers"] == 0
