"""Live quotas: attaching responses, claiming and releasing places, concurrency."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from surveyapp.models import Response
from surveyapp.models.sampling import QuotaCell, ScreenOut
from surveyapp.services.fieldwork.quotas import (
    claim_quota,
    recount_quotas,
    release_quota,
)
from tests.conftest import full_answers, ticket_from
from tests.firm_factories import HALL, item, make_project


def _cell(db, project):
    return db.session.scalars(
        select(QuotaCell).where(QuotaCell.project_id == project.id)
    ).first()


def _screen_and_submit(client, path, overall=4, **screener):
    page = client.post(
        path + "/screen", data={"service_item": str(item().id), **screener}
    )
    html = page.get_data(as_text=True)
    if 'name="ticket"' not in html:
        return page
    data = {
        "ticket": ticket_from(html),
        "screened": "1",
        "service_item": str(item().id),
        **screener,
        **full_answers(overall),
    }
    return client.post(path, data=data)


def test_qr_in_scope_asks_the_screener_first(client, survey_path, db):
    make_project(targets={(HALL, "nr", "", ""): 2})
    page = client.get(survey_path())
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'action="' in html and "/screen" in html
    assert "q_overall" not in html  # the rest comes after the screener


def test_responses_fill_the_cell_then_screen_out(client, survey_path, db):
    project = make_project(targets={(HALL, "nr", "", ""): 2})
    path = survey_path()
    for _ in range(2):
        assert _screen_and_submit(client, path).status_code == 303
    cell = _cell(db, project)
    db.session.refresh(cell)
    assert cell.completed == 2
    stored = db.session.scalars(select(Response)).all()
    assert {r.project_id for r in stored} == {project.id}
    assert all(r.quota_cell_id == cell.id and r.quota_counted for r in stored)
    turned_away = _screen_and_submit(client, path)
    html = turned_away.get_data(as_text=True)
    assert turned_away.status_code == 200 and "q_overall" not in html
    assert "感谢" in html
    assert db.session.scalar(select(func.count(ScreenOut.id))) == 1
    assert db.session.scalar(select(func.count(Response.id))) == 2


def test_a_retried_submission_holds_one_place(client, survey_path, db):
    """The quota claim and the INSERT are one transaction: the retry's claim
    is rolled back with its refused duplicate row."""
    project = make_project(targets={(HALL, "nr", "", ""): 5})
    path = survey_path()
    html = client.post(
        path + "/screen", data={"service_item": str(item().id)}
    ).get_data(as_text=True)
    data = {
        "ticket": ticket_from(html),
        "screened": "1",
        "service_item": str(item().id),
        **full_answers(4),
    }
    first, retry = client.post(path, data=data), client.post(path, data=data)
    assert first.status_code == retry.status_code == 303
    assert first.headers["Location"] == retry.headers["Location"]
    assert db.session.scalar(select(func.count(Response.id))) == 1
    cell = _cell(db, project)
    db.session.refresh(cell)
    assert cell.completed == 1


def test_keep_marked_stores_over_quota_without_counting(client, survey_path, db):
    project = make_project(policy="keep_marked", targets={(HALL, "nr", "", ""): 1})
    path = survey_path()
    assert _screen_and_submit(client, path).status_code == 303
    assert _screen_and_submit(client, path).status_code == 303
    rows = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.over_quota for r in rows] == [False, True]
    assert [r.quota_counted for r in rows] == [True, False]
    cell = _cell(db, project)
    db.session.refresh(cell)
    assert cell.completed == 1


def test_age_band_decides_the_cell(client, survey_path, db):
    project = make_project(
        dims=("age_band",),
        targets={(HALL, "nr", "18-34", ""): 1, (HALL, "nr", "60+", ""): 1},
    )
    path = survey_path()
    missing = client.post(path + "/screen", data={"service_item": str(item().id)})
    assert missing.status_code == 400
    assert _screen_and_submit(client, path, age_band="60+").status_code == 303
    stored = db.session.scalars(select(Response)).one()
    cells = {c.age_band: c for c in project.cells}
    assert stored.quota_cell_id == cells["60+"].id
    assert _screen_and_submit(client, path, age_band="60+").status_code == 200
    assert _screen_and_submit(client, path, age_band="18-34").status_code == 303


def test_outside_the_period_nothing_attaches(client, survey_path, submit, db):
    make_project(days=(-30, -1), targets={(HALL, "nr", "", ""): 5})
    html = client.get(survey_path()).get_data(as_text=True)
    assert "q_overall" in html  # no screener
    assert submit().status_code == 303
    assert db.session.scalars(select(Response)).one().project_id is None


def test_release_frees_the_place_and_is_idempotent(client, survey_path, db):
    project = make_project(targets={(HALL, "nr", "", ""): 1})
    _screen_and_submit(client, survey_path())
    response = db.session.scalars(select(Response)).one()
    response.verdict = "rejected"
    assert release_quota(response) is True
    assert release_quota(response) is False
    db.session.commit()
    cell = _cell(db, project)
    db.session.refresh(cell)
    assert cell.completed == 0 and not response.quota_counted
    # The freed place is open to the next citizen.
    assert _screen_and_submit(client, survey_path()).status_code == 303
    db.session.refresh(cell)
    assert cell.completed == 1
    # A rejection overturned cannot push the cell past its target.
    response.verdict = "ok"
    assert claim_quota(response) is False
    db.session.commit()
    db.session.refresh(cell)
    assert cell.completed == 1


def test_recount_derives_counts_from_responses_not_rejected(client, survey_path, db):
    project = make_project(targets={(HALL, "nr", "", ""): 3})
    for _ in range(3):
        _screen_and_submit(client, survey_path())
    first = db.session.scalars(select(Response).order_by(Response.id)).first()
    first.verdict = "rejected"  # rejected without calling release_quota
    db.session.commit()
    assert recount_quotas(project) == {_cell(db, project).id: 2}
    db.session.refresh(first)
    assert first.quota_counted is False


def test_parallel_submissions_never_overfill(app, survey_path, db):
    """Threads, each with its own client and database session, submit at once."""
    project = make_project(policy="keep_marked", targets={(HALL, "nr", "", ""): 3})
    path, item_id, workers = survey_path(), str(item().id), 12
    barrier = threading.Barrier(workers)
    results: list[int] = []

    def citizen():
        client = app.test_client()
        with app.app_context():
            page = client.post(path + "/screen", data={"service_item": item_id})
            data = {
                "ticket": ticket_from(page.get_data(as_text=True)),
                "screened": "1",
                "service_item": item_id,
                **full_answers(4),
            }
            barrier.wait(timeout=30)
            results.append(client.post(path, data=data).status_code)

    threads = [threading.Thread(target=citizen) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [303] * workers  # nobody lost
    db.session.expire_all()
    cell = _cell(db, project)
    assert cell.completed == 3
    rows = db.session.scalars(select(Response)).all()
    assert len(rows) == workers
    assert sum(r.quota_counted for r in rows) == 3
    assert sum(r.over_quota for r in rows) == workers - 3


def test_screener_carries_the_rotating_code_to_the_questionnaire(
    client, survey_path, db
):
    make_project(targets={(HALL, "nr", "", ""): 2})
    path = survey_path()
    screener = client.get(path + "?rt=abc123").get_data(as_text=True)
    assert "/screen?rt=abc123" in screener
    form = client.post(
        path + "/screen?rt=abc123", data={"service_item": str(item().id)}
    )
    assert 'name="rt" value="abc123"' in form.get_data(as_text=True)
    # a screener answered wrongly is asked again with the code still carried
    again = client.post(path + "/screen?rt=abc123", data={})
    assert again.status_code == 400
    assert "/screen?rt=abc123" in again.get_data(as_text=True)
