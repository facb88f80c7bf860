"""Operations and parsing safe by default (issue 17, items 4, 9, 11, 12)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from surveyapp.extensions import db as _db
from surveyapp.models import Firm, Response
from surveyapp.numbers import parse_day, parse_id, whole_number
from tests.conftest import full_answers, ticket_from


def test_retention_purge_refuses_a_future_day(runner):
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    result = runner.invoke(args=["retention", "purge", "--before", tomorrow])
    assert result.exit_code != 0
    assert "future" in result.output


def test_no_link_is_built_from_the_host_header(app, client, demo, monkeypatch):
    from surveyapp.models import Window
    from surveyapp.services.quality import presence

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "")
    window = _db.session.scalars(select(Window)).first()
    secret = presence.screen_secret(window)
    response = client.get(f"/screen/{secret}", headers={"Host": "evil.example"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "evil.example" not in page
    # The code itself is an image; the service builds it from the fixed base.
    from surveyapp.services.organisation.qr import default_base_url

    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert default_base_url() == "http://127.0.0.1:8000"


@pytest.mark.parametrize("rating", ["٣", "３", "³", "3.0", "𝟑"])
def test_ratings_are_ascii_digits(client, submit, rating):
    response = submit(full_answers(4, q_overall=rating))
    assert response.status_code in (200, 400)
    assert _db.session.scalar(select(func.count(Response.id))) == 0


def test_an_ascii_rating_is_stored(client, submit):
    assert submit(full_answers(3)).status_code in (302, 303)
    assert _db.session.scalar(select(Response.overall)) == 3


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12", 12),
        ("٣", None),
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("1e3", None),
        ("2147483647", 2147483647),
        (None, None),
    ],
)
def test_ids_are_ascii_digits_within_a_column(text, expected):
    assert parse_id(text) == expected


def test_whole_numbers_and_days():
    assert whole_number("7") == 7
    for bad in ("٣", "2147483648", "", "x"):
        with pytest.raises(ValueError):
            whole_number(bad)
    assert parse_day("2026-07-01") == date(2026, 7, 1)
    for bad in ("0001-01-01", "9999-12-31", "2026-02-30", "٢٠٢٦-٠١-٠١", "20260101"):
        assert parse_day(bad) is None


@pytest.mark.parametrize(
    "query",
    [
        "page=99999999999999999999",
        "from=0001-01-01&to=9999-12-31",
        "hall=99999999999999999999",
        "rating=٣",
    ],
)
def test_office_filters_never_fail(client, login, query):
    login("boss", "admin")
    for path in ("/office/responses", "/office/", "/office/cases", "/office/audit"):
        assert client.get(f"{path}?{query}").status_code < 500


@pytest.mark.parametrize("period", ["9999", "0001", "9999-Q4", "9999-12"])
def test_a_period_past_the_calendar_is_no_failure(client, login, period):
    login("boss", "admin")
    for path in ("/office/complaints", "/office/complaints/topics"):
        assert client.get(path, query_string={"period": period}).status_code < 500


def test_office_forms_with_words_for_ids(client, login):
    login("boss", "admin")
    for data in (
        {"version_id": "abc", "firm_id": "abc", "code": "P1", "name": "P"},
        {"version_id": "99999999999999999999", "firm_id": "-1", "code": "P2"},
    ):
        assert client.post("/office/projects", data=data).status_code == 400
    response = client.post(
        "/office/firms/users", data={"firm_id": "abc", "role": "interviewer"}
    )
    assert response.status_code == 400


def test_an_overlong_or_unfit_text_is_a_400_on_every_database(client, login):
    login("boss", "admin")
    for code in ("C" * 100, "C\x1b", "C\ufffe"):
        firm = Firm(code=code, name="n")
        _db.session.add(firm)
        from surveyapp.models.base import UnfitText

        with pytest.raises(UnfitText):
            _db.session.commit()
        _db.session.rollback()
    assert _db.session.scalar(select(func.count(Firm.id))) == 0


def test_a_data_error_is_the_clients_fault_not_an_outage(app, client, monkeypatch):
    import surveyapp.public.routes as public_routes

    def refuse(*args, **kwargs):
        raise DataError("SELECT", {}, ValueError("value out of range"))

    monkeypatch.setattr(public_routes, "render_template", refuse)
    response = client.get("/")
    assert response.status_code == 400
    assert "database_unavailable" not in response.get_data(as_text=True)


def test_personal_pages_and_the_api_send_no_store(client, login, app):
    login("boss", "admin")
    assert client.get("/office/quality").headers["Cache-Control"] == "no-store"
    assert client.get("/office/quality/patterns").headers["Cache-Control"] == "no-store"
    from surveyapp.services.admin.api_tokens import create_token

    token = create_token("t")
    api = app.test_client().get(
        "/api/v1/index-runs", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.headers["Cache-Control"] == "no-store"


def test_a_hidden_field_with_a_nul_stores_nothing(client, survey_path):
    path = survey_path()
    ticket = ticket_from(client.get(path).get_data(as_text=True))
    response = client.post(path, data={**full_answers(4), "ticket": ticket + "\x00"})
    assert response.status_code == 400
    assert _db.session.scalar(select(func.count(Response.id))) == 0
