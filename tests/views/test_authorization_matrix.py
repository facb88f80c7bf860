"""Every route x every role: nobody reaches what their role does not allow.

Walks the live URL map, so a route added later is covered without editing this
file. Per-object isolation between firms (another firm's project) is tested
with real projects in tests/views/test_firm.py; this file checks the blanket
rules and that no route fails with a 5xx for anybody.
"""

from __future__ import annotations

import pytest

from surveyapp.models import Firm

ROLES = [
    "anonymous",
    "citizen",
    "interviewer",
    "firm_manager",
    "other_firm_manager",
    "analyst",
    "admin",
    "api_token",
]
PUBLIC_PREFIXES = ("public.", "open.", "static")
# Signing in, and setting a password by a one-time link, work signed out.
OPEN_OFFICE = ("office.login", "office.password_link")
# Every signed-in user, of any role, changes their own password.
ANY_SIGNED_IN = ("office.account_password",)
# Signing out would end the session the rest of the walk needs; tested on its own.
SKIP = ("office.logout",)
# Readiness is 503 in tests by design: the schema comes from create_all, not Alembic.
MAY_BE_UNAVAILABLE = ("readyz",)


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            values = {}
            for arg in rule.arguments:
                converter = rule._converters[arg].__class__.__name__
                values[arg] = 1 if "Integer" in converter else "x"
            if rule.endpoint == "static":
                values = {"filename": "css/app.css"}
            with app.test_request_context():
                from flask import url_for

                try:
                    url = url_for(rule.endpoint, **values)
                except Exception:  # noqa: BLE001 - a converter this walk cannot fill
                    continue
            yield rule.endpoint, method, url


@pytest.fixture()
def clients(app, db, make_user):
    from surveyapp.extensions import db as _db

    firm_a = Firm(code="FA", name="Firm A")
    firm_b = Firm(code="FB", name="Firm B")
    _db.session.add_all([firm_a, firm_b])
    _db.session.commit()
    users = {
        "interviewer": ("iv", "interviewer", firm_a),
        "firm_manager": ("fm", "firm_manager", firm_a),
        "other_firm_manager": ("fm2", "firm_manager", firm_b),
        "analyst": ("an", "analyst", None),
        "admin": ("ad", "admin", None),
    }
    result = {"anonymous": (app.test_client(), {})}
    # A citizen: anonymous, but with the device cookie and session a
    # questionnaire page gives.
    citizen = app.test_client()
    citizen.get("/")
    citizen.set_cookie("sa_device", "0123456789abcdef0123456789abcdef")
    result["citizen"] = (citizen, {})
    for role, (name, kind, firm) in users.items():
        make_user(name, kind, firm=firm)
        client = app.test_client()
        response = client.post(
            "/office/login",
            data={"username": name, "password": "correct horse battery"},
        )
        assert response.status_code == 302
        result[role] = (client, {})
    token = _api_token()
    result["api_token"] = (app.test_client(), {"Authorization": f"Bearer {token}"})
    return result


def _api_token() -> str:
    from surveyapp.services.admin.api_tokens import create_token

    return create_token("matrix")


def _expectations(endpoint: str, role: str) -> set[int] | None:
    """Allowed status codes, or None when any non-5xx answer is fine."""
    if endpoint.startswith(PUBLIC_PREFIXES) or endpoint in OPEN_OFFICE:
        return None
    if endpoint in ANY_SIGNED_IN:
        return {302} if role in ("anonymous", "citizen", "api_token") else None
    if endpoint.startswith("office."):
        if role in ("anonymous", "citizen", "api_token"):
            return {302}
        if role in ("interviewer", "firm_manager", "other_firm_manager"):
            return {403}
        return None
    if endpoint.startswith("firm."):
        if role in ("anonymous", "citizen", "api_token"):
            return {302}
        if role in ("analyst", "admin"):
            return {403}
        return None
    if endpoint.startswith("api."):
        if endpoint.endswith("openapi"):
            return None
        if role != "api_token":
            return {401}
        return None
    return None


def test_every_route_for_every_role(app, clients):
    failures = []
    routes = list(_routes(app))
    assert len(routes) > 20
    for endpoint, method, url in routes:
        if endpoint in SKIP:
            continue
        for role in ROLES:
            client, headers = clients[role]
            response = client.open(url, method=method, headers=headers)
            allowed = _expectations(endpoint, role)
            status = response.status_code
            if status == 503 and endpoint.endswith(MAY_BE_UNAVAILABLE):
                continue
            if status >= 500 or (allowed is not None and status not in allowed):
                failures.append(
                    f"{role:18} {method:5} {url:45} -> {status} (want {allowed})"
                )
            if status == 302 and allowed == {302}:
                assert "/office/login" in response.headers["Location"]
    assert failures == [], "\n" + "\n".join(failures)


def test_sign_out_ends_the_session(client, login):
    login()
    assert client.get("/office/").status_code == 200
    assert client.post("/office/logout").status_code == 302
    assert client.get("/office/").status_code == 302
