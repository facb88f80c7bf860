"""Every route x role with hostile values in every parameter (issue 17, item 4).

Walks the live URL map (a route added later is covered without editing this
file) and fills every path argument, and every query-string and form
parameter the code reads (found in the source, so a new parameter is covered
too), with values a stranger might send: NUL bytes, numbers past every
column, dates at the calendar's ends, overlong text and Unicode
non-characters. No answer may be a 5xx, and none of the values may end up
stored.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import String, Text, func, select

from surveyapp.extensions import db as _db
from surveyapp.models import Firm, Response

SOURCE = Path(__file__).resolve().parents[2] / "surveyapp"
# Signing out would end the session the rest of the walk needs (tests/views/
# test_sessions.py); readiness is 503 in tests by design (create_all, not Alembic).
SKIP = ("office.logout", "readyz", "static")
# Every role: each reaches its own pages past the sign-in redirect.
ROLES = ("anonymous", "interviewer", "firm_manager", "analyst", "admin", "api_token")
OVERLONG = "长" * 300
# A deterministic table of hostile values (Hypothesis drives the citizen's
# form in test_bad_input.py; here every route gets every value).
HOSTILE = [
    "a\x00b",
    "99999999999999999999",
    "-2147483649",
    "0001-01-01",
    "9999-12-31",
    "9999",
    "abc",
    "٣",
    OVERLONG,
    "\ufffe\U0010ffff",
    "\x1b[2J\x07",
]
PATH_VALUES = ["a\x00b", "99999999999999999999", OVERLONG, "\ufffe\U0010ffff"]


def _parameter_names() -> list[str]:
    """Every request parameter the application's code reads by name: the
    request's args and form, and the fields of its WTForms forms."""
    names: set[str] = set()
    patterns = (
        r"(?:args|form|values)\.(?:get|getlist)\(\s*[\"']([A-Za-z_0-9]+)[\"']",
        r"(?:args|form)\[[\"']([A-Za-z_0-9]+)[\"']\]",
        r"^\s+([a-z_0-9]+) = (?:\w+\.)?\w*Field\(",
    )
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            names.update(re.findall(pattern, text, flags=re.MULTILINE))
    return sorted(names)


def _urls(app, value: str):
    from flask import url_for

    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        with app.test_request_context():
            try:
                url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, "1"))
            except Exception:  # noqa: BLE001 - a converter that refuses "1"
                continue
        # Each argument in its own request: the hostile value in its place.
        urls = [url]
        for arg in rule.arguments:
            marker = f"<{arg}>"
            template = rule.rule
            if marker not in template:  # a typed argument, e.g. <int:hall_id>
                template = re.sub(rf"<[^>]*:{arg}>", marker, template)
            if marker in template:
                filled = template.replace(marker, _quote(value))
                urls.append(re.sub(r"<[^>]*>", "1", filled))
        for method in methods:
            for target in urls:
                yield rule.endpoint, method, target


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@pytest.fixture()
def clients(app, demo, make_user):
    from surveyapp.services.admin.api_tokens import create_token

    firm = Firm(code="FA", name="Firm A")
    _db.session.add(firm)
    _db.session.commit()
    result = {"anonymous": (app.test_client(), {})}
    for role in ("interviewer", "firm_manager", "analyst", "admin"):
        make_user(
            role, role, firm=firm if role in ("interviewer", "firm_manager") else None
        )
        client = app.test_client()
        response = client.post(
            "/office/login",
            data={"username": role, "password": "correct horse battery"},
        )
        assert response.status_code == 302
        result[role] = (client, {})
    token = create_token("walk")
    result["api_token"] = (app.test_client(), {"Authorization": f"Bearer {token}"})
    return result


def _stored_hostile_values() -> list[str]:
    # A NUL never reaches a view (refuse_nul_bytes, test_nul_bytes_are_refused);
    # SQLite's LIKE would read a pattern holding one as ending there.
    found = []
    for table in _db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text):
                continue
            for marker in ("\ufffe", OVERLONG[:300], "\x1b"):
                query = select(func.count()).where(column.contains(marker))
                if _db.session.scalar(query.select_from(table)):
                    found.append(f"{table.name}.{column.name} holds {marker[:5]!r}")
    return found


# Each walk gives each parameter one of the values, a different one in each
# walk (and the path arguments one of PATH_VALUES), so that every value meets
# many parameters while the walks together stay short.
ROTATIONS = 3


@pytest.mark.parametrize("rotation", range(ROTATIONS))
def test_no_route_fails_on_hostile_input(app, clients, rotation):
    names = _parameter_names()
    assert {"page", "hall", "period", "version_id", "firm_id"} <= set(names)
    params = {
        name: HOSTILE[(i * ROTATIONS + rotation) % len(HOSTILE)]
        for i, name in enumerate(names)
    }
    value = PATH_VALUES[rotation % len(PATH_VALUES)]
    responses_before = _db.session.scalar(select(func.count(Response.id)))
    failures = []
    routes = 0
    for _endpoint, method, url in _urls(app, value):
        routes += 1
        for role in ROLES:
            client, headers = clients[role]
            kwargs = {"query_string": params, "headers": headers}
            if method in ("POST", "PUT", "PATCH"):
                kwargs["data"] = params
            response = client.open(url, method=method, **kwargs)
            if response.status_code >= 500:
                failures.append(
                    f"{role:13} {method:5} {url[:60]} -> {response.status_code}"
                )
    assert routes > 50
    assert not failures, "\n".join(failures[:40])
    _db.session.rollback()
    assert _db.session.scalar(select(func.count(Response.id))) == responses_before
    assert _stored_hostile_values() == []


@pytest.mark.parametrize(
    "path",
    ["/office/login?next=%00", "/s/%00", "/office/%00"],
)
def test_nul_bytes_are_refused(client, path):
    assert client.get(path).status_code in (400, 404)


def test_a_nul_in_a_login_name_or_hidden_field_is_a_400(client, make_user, demo):
    make_user("boss", "admin")
    response = client.post(
        "/office/login", data={"username": "bo\x00ss", "password": "x\x00"}
    )
    assert response.status_code == 400
    assert client.get("/office/login?next=/office/%00").status_code == 400
