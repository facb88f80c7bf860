"""Quality pages: review queue roles, decisions, screens, the 429 page, export."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from surveyapp import create_app
from surveyapp.models import AuditLog
from surveyapp.services.questionnaires.default import DRIVER_KEYS
from tests.firm_factories import firm
from tests.services.quality_helpers import (
    PHONE_UA,
    aged_ticket,
    post_answers,
    responses,
    varied_answers,
)

PAGES = (
    "/office/quality",
    "/office/quality/patterns",
    "/office/quality/patterns?by=window",
)


@pytest.fixture()
def flagged(app, survey_path, db, monkeypatch):
    """Two stored responses: one ok, one the submission check flagged because
    it was posted without the form's cookie and with an all-5 grid (two notes
    that corroborate each other)."""
    monkeypatch.setitem(app.config, "QUALITY_ON_SUBMIT", True)
    assert post_answers(app.test_client(), survey_path()).status_code == 303
    html = app.test_client().get(survey_path()).get_data(as_text=True)
    answers = varied_answers(
        q_overall="2",
        q_problems="waiting",
        q_complaint="please add seats",
        **{f"q_drivers_{k}": "5" for k in DRIVER_KEYS},
    )
    bare = app.test_client()  # never opened the form: no cookie
    bare.post(
        survey_path(),
        data={"ticket": aged_ticket(html, 90), **answers},
        headers={"User-Agent": PHONE_UA},
    )
    rows = responses()
    assert [r.verdict for r in rows] == ["ok", "flagged"]
    return rows[1]


def test_anonymous_goes_to_sign_in(client, db):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/office/login" in response.location
    assert client.post("/office/quality/1/decide").status_code == 302


@pytest.mark.parametrize("role", ["firm_manager", "interviewer"])
def test_firm_roles_are_refused(client, login, demo, role):
    login("f", role, firm=firm("F1"))
    for path in PAGES:
        assert client.get(path).status_code == 403
    assert (
        client.post("/office/quality/1/decide", data={"decision": "accept"}).status_code
        == 403
    )


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_office_roles_see_the_queue_with_reasons_and_norms(
    client, login, flagged, role
):
    login("o", role)
    page = client.get("/office/quality?lang=en").get_data(as_text=True)
    assert f"#{flagged.id}" in page
    assert "Form cookie missing" in page
    assert "Median duration" in page and "please add seats" in page
    zh = client.get("/office/quality?lang=zh").get_data(as_text=True)
    assert "缺少表单 Cookie" in zh
    for path in PAGES[1:]:
        assert client.get(path).status_code == 200


def test_decision_is_audited_and_reversible(client, login, flagged, db):
    user = login("rev", "analyst")
    response = client.post(
        f"/office/quality/{flagged.id}/decide",
        data={"decision": "reject", "note": "same person twice"},
    )
    assert response.status_code == 303
    db.session.refresh(flagged)
    assert flagged.verdict == "rejected" and flagged.reviewed
    page = client.get("/office/quality").get_data(as_text=True)
    assert f"#{flagged.id}</h3>" not in page  # left the queue
    assert "same person twice" in page
    review_id = re.search(r"/office/quality/reviews/(\d+)/reverse", page).group(1)
    assert (
        client.post(
            f"/office/quality/reviews/{review_id}/reverse", data={"note": "wrong one"}
        ).status_code
        == 303
    )
    db.session.refresh(flagged)
    assert flagged.verdict == "flagged" and not flagged.reviewed
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.action.like("quality.%")).order_by(AuditLog.id)
    ).all()
    assert [(e.action, e.user_id, e.target) for e in entries] == [
        ("quality.reject", user.id, f"response:{flagged.id}"),
        ("quality.reverse", user.id, f"response:{flagged.id}"),
    ]
    assert entries[0].detail["note"] == "same person twice"


def test_unknown_decision_is_refused(client, login, flagged, db):
    login("rev", "analyst")
    client.post(f"/office/quality/{flagged.id}/decide", data={"decision": "maybe"})
    db.session.refresh(flagged)
    assert flagged.verdict == "flagged" and not flagged.reviewed
    assert client.post("/office/quality/999999/decide").status_code == 404


def test_window_screen_rotates_without_javascript(client, login, demo, db):
    from surveyapp.models import Window

    window = db.session.scalars(select(Window).order_by(Window.id)).first()
    login("a", "admin")
    queue = client.get("/office/quality").get_data(as_text=True)
    assert window.hall.name in queue and f"/office/quality/screens/{window.id}" in queue
    ask = client.get(f"/office/quality/screens/{window.id}").get_data(as_text=True)
    assert window.hall.name in ask and 'name="confirm" value="1"' in ask
    issue = f"/office/quality/screens/{window.id}"
    page = client.post(issue, data={"confirm": "1"}).get_data(as_text=True)
    url = re.search(r"<code>([^<]+)</code>", page).group(1)
    path = url.removeprefix("http://surveys.example.test")
    client.post("/office/logout")
    screen = client.get(path)
    html = screen.get_data(as_text=True)
    assert screen.status_code == 200 and "no-store" in screen.headers["Cache-Control"]
    assert '<meta http-equiv="refresh" content="120">' in html
    assert "<svg" in html and "<script" not in html
    assert client.get("/screen/not-the-secret").status_code == 404
    # Re-issuing replaces the old link.
    login("a2", "admin")
    # A post that was not confirmed only asks, and names when the link was issued.
    asked = client.post(issue).get_data(as_text=True)
    assert 'name="confirm"' in asked and "<code>" not in asked
    assert client.get(path).status_code == 200
    client.post(issue, data={"confirm": "1"})
    assert client.get(path).status_code == 404


def test_export_has_readable_reasons(client, login, flagged):
    login("a", "admin")
    text = client.get("/office/responses/export.csv").get_data(as_text=True)
    header = text.lstrip("\ufeff").splitlines()[0].split(",")
    assert "reasons_text" in header
    assert "缺少表单 Cookie / Form cookie missing" in text


def _limited_app(app, storage: str):
    limited = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_SUBMIT": "3/minute",
            "RATELIMIT_STORAGE_URI": storage,
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    )
    return limited


@pytest.fixture()
def limited(app, demo):
    def make(storage="memory://"):
        return _limited_app(app, storage)

    return make


def _flood(limited_app, survey_path, times):
    client = limited_app.test_client()
    return [
        client.post(
            survey_path(), data={"ticket": "x"}, headers={"User-Agent": PHONE_UA}
        ).status_code
        for _ in range(times)
    ]


def test_normal_use_never_sees_the_limit(limited, survey_path):
    assert 429 not in _flood(limited(), survey_path, 3)


def test_flood_gets_a_friendly_429(limited, survey_path):
    statuses = _flood(limited(), survey_path, 5)
    assert statuses[:3] == [400, 400, 400] and statuses[3:] == [429, 429]


def test_page_views_are_never_limited(limited, survey_path):
    client = limited().test_client()
    assert _flood(limited(), survey_path, 5)[3:] == [429, 429]
    views = [client.get(survey_path()).status_code for _ in range(10)]
    assert views == [200] * 10
    # ... and a limited address still gets its page views.
    flooded = limited()
    _flood(flooded, survey_path, 4)
    assert flooded.test_client().get(survey_path()).status_code == 200


def test_429_page_in_both_languages(limited, survey_path):
    client = limited().test_client()
    for _ in range(3):
        client.post(survey_path(), data={"ticket": "x"})
    zh = client.post(survey_path() + "?lang=zh", data={"ticket": "x"})
    en = client.post(survey_path() + "?lang=en", data={"ticket": "x"})
    assert zh.status_code == en.status_code == 429
    # the seconds until this minute's window has passed
    assert 1 <= int(zh.headers["Retry-After"]) <= 60
    assert "Back button" in en.get_data(as_text=True)
    assert "返回" in zh.get_data(as_text=True)


def test_limits_shared_through_redis(limited, survey_path):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    uri = "redis://127.0.0.1:6379/0"
    first, second = limited(uri), limited(uri)  # two workers, one storage
    second.config["RATELIMIT_KEY_PREFIX"] = first.config["RATELIMIT_KEY_PREFIX"]
    assert _flood(first, survey_path, 3) == [400, 400, 400]
    assert _flood(second, survey_path, 1) == [429]
