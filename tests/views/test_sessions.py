"""Accounts (issue 17, item 10): signing out revokes the session, and a
deactivated firm's users lose access."""

from __future__ import annotations

from surveyapp.extensions import db as _db
from surveyapp.models import Firm


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_signing_out_revokes_a_copied_cookie(app, client, login):
    login("boss", "admin")
    assert client.get("/office/users").status_code == 200
    copied = _cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/office/users").status_code == 200
    client.post("/office/logout")
    replay = thief.get("/office/users")
    assert replay.status_code == 302 and "/office/login" in replay.headers["Location"]
    # Signing in again opens a new session that works.
    response = client.post(
        "/office/login", data={"username": "boss", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.get("/office/users").status_code == 200
    thief.set_cookie("session", copied)
    assert thief.get("/office/users").status_code == 302


def test_a_deactivated_firms_users_lose_access(app, client, runner, login):
    firm = Firm(code="FX", name="Firm X")
    _db.session.add(firm)
    _db.session.commit()
    login("fx_manager", "firm_manager", firm=firm)
    assert client.get("/firm/").status_code == 200
    result = runner.invoke(args=["firms", "deactivate", "FX"])
    assert result.exit_code == 0, result.output
    response = client.get("/firm/")
    assert (
        response.status_code == 302 and "/office/login" in response.headers["Location"]
    )
    again = client.post(
        "/office/login",
        data={"username": "fx_manager", "password": "correct horse battery"},
    )
    assert again.status_code == 401
    runner.invoke(args=["firms", "deactivate", "FX", "--activate"])
    again = client.post(
        "/office/login",
        data={"username": "fx_manager", "password": "correct horse battery"},
    )
    assert again.status_code == 302


def test_a_firm_code_or_name_past_its_column_is_refused(runner, db):
    result = runner.invoke(args=["firms", "create", "C" * 33, "Name"])
    assert result.exit_code != 0 and "32" in result.output
    result = runner.invoke(args=["firms", "create", "C1", "n" * 201])
    assert result.exit_code != 0
    assert _db.session.query(Firm).count() == 0
