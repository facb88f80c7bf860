"""User management in the office, password links, and every user's own
password: sessions end when they should, every step is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from surveyapp.models import AuditLog, Firm, User

PASSWORD = "correct horse battery"
USER_PAGES = [
    ("GET", "/office/users"),
    ("POST", "/office/users"),
    ("GET", "/office/users/1"),
    ("POST", "/office/users/1"),
    ("POST", "/office/users/1/active"),
    ("POST", "/office/users/1/password-link"),
]


def signed_in(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    response = client.post(
        "/office/login", data={"username": username, "password": password}
    )
    assert response.status_code == 302, response.data[:300]
    return client


def link_path(html: str) -> str:
    link = re.search(r'value="(http[^"]+/office/password/[^"]+)"', html).group(1)
    return link.removeprefix("http://localhost")


def actions(db) -> list[str]:
    return db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()


@pytest.fixture()
def firm(db):
    firm = Firm(code="F1", name="调查公司")
    db.session.add(firm)
    db.session.commit()
    return firm


@pytest.mark.parametrize("role", ["analyst", "firm_manager", "interviewer"])
def test_only_admins_manage_users(app, db, make_user, firm, role):
    make_user("someone", role, firm=firm if role != "analyst" else None)
    client = signed_in(app, "someone")
    for method, url in USER_PAGES:
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_a_new_user_sets_their_own_password_by_a_one_time_link(app, client, login, db):
    login()
    created = client.post(
        "/office/users",
        data={"username": "an1", "display_name": "分析员", "role": "analyst"},
    )
    assert created.status_code == 200
    path = link_path(created.get_data(as_text=True))
    user = db.session.scalar(select(User).where(User.username == "an1"))
    assert user.role == "analyst" and user.firm_id is None
    visitor = app.test_client()  # signed out, another browser
    assert visitor.get(path).status_code == 200
    short = visitor.post(path, data={"new_password": "short", "confirm": "short"})
    assert short.status_code == 400
    differ = visitor.post(path, data={"new_password": "a" * 12, "confirm": "b" * 12})
    assert differ.status_code == 400
    chosen = "my own long password"
    done = visitor.post(path, data={"new_password": chosen, "confirm": chosen})
    assert done.status_code == 302 and "/office/login" in done.headers["Location"]
    signed_in(app, "an1", chosen)
    # The link worked once.
    assert visitor.get(path).status_code == 410
    assert visitor.post(path, data={"new_password": "x" * 12}).status_code == 410
    assert actions(db)[-4:] == [
        "create_user",
        "password_link",
        "password_set_by_link",
        "login",
    ]


def test_an_expired_link_is_refused(app, client, login, db, make_user):
    login()
    user = make_user("an1", "analyst")
    html = client.post(f"/office/users/{user.id}/password-link").get_data(True)
    app.config["PASSWORD_LINK_MAX_AGE"] = -1
    try:
        assert app.test_client().get(link_path(html)).status_code == 410
    finally:
        app.config["PASSWORD_LINK_MAX_AGE"] = 24 * 3600
    assert app.test_client().get("/office/password/forged").status_code == 410


def test_a_reset_ends_the_sessions_opened_with_the_old_password(
    app, client, login, db, make_user
):
    login()
    user = make_user("an1", "analyst")
    theirs = signed_in(app, "an1")
    assert theirs.get("/office/").status_code == 200
    html = client.post(f"/office/users/{user.id}/password-link").get_data(True)
    assert theirs.get("/office/").status_code == 200  # a link alone ends nothing
    new = "a brand new password"
    app.test_client().post(link_path(html), data={"new_password": new, "confirm": new})
    assert theirs.get("/office/").status_code == 302
    signed_in(app, "an1", new)


def test_disabling_ends_the_session_at_once(app, client, login, db, make_user):
    login()
    user = make_user("an1", "analyst")
    theirs = signed_in(app, "an1")
    assert theirs.get("/office/").status_code == 200
    assert client.post(f"/office/users/{user.id}/active").status_code == 400
    disabled = client.post(f"/office/users/{user.id}/active", data={"active": "0"})
    assert disabled.status_code == 302
    response = theirs.get("/office/")
    assert response.status_code == 302 and "/office/login" in response.location
    refused = app.test_client().post(
        "/office/login", data={"username": "an1", "password": PASSWORD}
    )
    assert refused.status_code == 401
    # No password link for a disabled user.
    assert client.post(f"/office/users/{user.id}/password-link").status_code == 409
    client.post(f"/office/users/{user.id}/active", data={"active": "1"})
    signed_in(app, "an1")
    assert actions(db).count("disable_user") == 1
    assert actions(db).count("enable_user") == 1


def test_role_and_firm_changes(app, client, login, db, make_user, firm):
    login()
    user = make_user("an1", "analyst")
    theirs = signed_in(app, "an1")
    no_firm = client.post(
        f"/office/users/{user.id}", data={"role": "firm_manager", "firm_id": ""}
    )
    assert no_firm.status_code == 409
    db.session.expire_all()
    assert user.role == "analyst"
    moved = client.post(
        f"/office/users/{user.id}",
        data={"role": "firm_manager", "firm_id": str(firm.id), "display_name": "经理"},
    )
    assert moved.status_code == 302
    db.session.expire_all()
    assert (user.role, user.firm_id, user.display_name) == (
        "firm_manager",
        firm.id,
        "经理",
    )
    # The session follows the new role on its next request.
    assert theirs.get("/office/").status_code == 403
    assert theirs.get("/firm/").status_code == 200
    back = client.post(
        f"/office/users/{user.id}", data={"role": "analyst", "firm_id": str(firm.id)}
    )
    assert back.status_code == 302
    db.session.expire_all()
    assert user.firm_id is None  # office roles belong to no firm
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "update_user").order_by(AuditLog.id)
    )
    assert entry.detail["role"] == ["analyst", "firm_manager"]


def test_the_last_active_admin_stays(app, client, login, db, make_user):
    admin = login()
    for data in ({"active": "0"},):
        assert (
            client.post(f"/office/users/{admin.id}/active", data=data).status_code
            == 409
        )
    demote = client.post(f"/office/users/{admin.id}", data={"role": "analyst"})
    assert demote.status_code == 409
    db.session.expire_all()
    assert admin.active and admin.role == "admin"
    other = make_user("admin2", "admin")
    assert (
        client.post(
            f"/office/users/{other.id}/active", data={"active": "0"}
        ).status_code
        == 302
    )
    # A disabled admin does not count: this one is still the last.
    assert (
        client.post(f"/office/users/{admin.id}", data={"role": "analyst"}).status_code
        == 409
    )
    client.post(f"/office/users/{other.id}/active", data={"active": "1"})
    assert (
        client.post(f"/office/users/{admin.id}", data={"role": "analyst"}).status_code
        == 302
    )


def test_everyone_changes_their_own_password(app, db, make_user, firm):
    make_user("iv1", "interviewer", firm=firm)
    mine, other_session = signed_in(app, "iv1"), signed_in(app, "iv1")
    page = mine.get("/office/account/password")
    assert page.status_code == 200
    assert "/firm/" in page.get_data(as_text=True)  # in the firm's own layout
    new = "another long password"
    wrong = mine.post(
        "/office/account/password",
        data={"current_password": "not it at all", "new_password": new, "confirm": new},
    )
    assert wrong.status_code == 400
    same = mine.post(
        "/office/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert same.status_code == 400
    short = mine.post(
        "/office/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "short",
            "confirm": "short",
        },
    )
    assert short.status_code == 400
    done = mine.post(
        "/office/account/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert done.status_code == 302
    assert mine.get("/firm/").status_code == 200  # this session goes on
    assert other_session.get("/firm/").status_code == 302  # the others end
    signed_in(app, "iv1", new)
    assert "change_password" in actions(db)
    anonymous = app.test_client().get("/office/account/password")
    assert anonymous.status_code == 302


def test_the_users_page_lists_everyone(client, login, make_user, firm):
    login()
    make_user("iv1", "interviewer", firm=firm)
    html = client.get("/office/users").get_data(as_text=True)
    assert "iv1" in html and "调查公司" in html


def _logged_actions() -> set[str]:
    """Every action code the package writes to the audit log: the literal
    (or `quality.{decision}`) given to audit()/audit_action() at each call."""
    import ast
    from pathlib import Path

    from surveyapp.models.quality import REVIEW_DECISIONS

    root = Path(__file__).resolve().parents[2] / "surveyapp"
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in {"audit", "audit_action"}
            ):
                continue
            for arg in node.args[:2]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
                elif isinstance(arg, ast.JoinedStr):  # f"quality.{decision}"
                    found |= {f"quality.{d}" for d in REVIEW_DECISIONS}
    # actions chosen by a condition before the call
    found |= {"enable_user", "disable_user", "activate_firm", "deactivate_firm"}
    return found


def test_every_logged_action_has_words():
    from surveyapp.office.audit_words import ACTION_LABELS

    logged = _logged_actions()
    assert "login" in logged and "quality.reject" in logged
    assert logged - {""} <= set(ACTION_LABELS), sorted(logged - set(ACTION_LABELS))


def test_the_audit_log_reads_in_words(client, login, make_user):
    login()  # audited as a sign-in
    client.set_cookie("lang", "zh")
    page = client.get("/office/audit").get_data(as_text=True)
    assert "登录" in page and ">login<" not in page
    client.set_cookie("lang", "en")
    page = client.get("/office/audit?action=login").get_data(as_text=True)
    assert "Signed in" in page
