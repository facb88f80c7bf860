"""No known secret (issue 17, item 1) and no open redirect (item 3)."""

from __future__ import annotations

import stat

import pytest
from flask.sessions import SecureCookieSessionInterface

from surveyapp import create_app
from surveyapp.security import same_site_path, same_site_referrer


def _dev_app(tmp_path, monkeypatch, **extra):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("HASH_SALT", raising=False)
    return create_app(
        {
            "ENV_NAME": "development",
            "SECRET_KEY": "",
            "HASH_SALT": "",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}",
            **extra,
        }
    )


def test_first_run_generates_private_secrets_and_reuses_them(tmp_path, monkeypatch):
    first = _dev_app(tmp_path, monkeypatch)
    key, salt = first.config["SECRET_KEY"], first.config["HASH_SALT"]
    assert len(key) >= 32 and len(salt) >= 32 and key != salt
    assert "dev" not in key.lower() or len(key) > 40
    for name in ("secret_key", "hash_salt"):
        mode = (tmp_path / "instance" / name).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
    again = _dev_app(tmp_path, monkeypatch)
    assert (again.config["SECRET_KEY"], again.config["HASH_SALT"]) == (key, salt)
    other = _dev_app(tmp_path / "elsewhere", monkeypatch)
    assert other.config["SECRET_KEY"] != key


def test_a_configured_secret_is_used_as_is(tmp_path, monkeypatch):
    app = _dev_app(tmp_path, monkeypatch, SECRET_KEY="s" * 40, HASH_SALT="h" * 40)
    assert app.config["SECRET_KEY"] == "s" * 40
    assert not (tmp_path / "instance" / "secret_key").exists()


@pytest.mark.parametrize("missing", ["SECRET_KEY", "HASH_SALT"])
def test_production_never_generates(tmp_path, monkeypatch, missing):
    monkeypatch.delenv(missing, raising=False)
    config = {
        "ENV_NAME": "production",
        "SECRET_KEY": "p" * 40,
        "HASH_SALT": "q" * 40,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
    }
    config[missing] = ""
    with pytest.raises(RuntimeError, match=missing):
        create_app(config)
    assert not (tmp_path / "instance").exists()


def _session_cookie(app, secret: str, data: dict) -> str:
    original = app.secret_key
    app.secret_key = secret
    try:
        return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)
    finally:
        app.secret_key = original


def test_a_cookie_signed_with_another_key_opens_nothing(app, client, make_user):
    admin = make_user("boss", "admin")
    forged = {"_user_id": admin.get_id(), "_fresh": True}
    for secret in ("dev-only-secret-change-me", "another-key-entirely-0123456789"):
        client.set_cookie("session", _session_cookie(app, secret, forged))
        response = client.get("/office/users")
        assert response.status_code == 302
        assert "/office/login" in response.headers["Location"]
    # The same content signed with the instance's own key is a session.
    client.set_cookie("session", _session_cookie(app, app.secret_key, forged))
    assert client.get("/office/users").status_code == 200


REFUSED = [
    "//evil.com",
    "/%09/evil.com",
    "/\t/evil.com",
    "/%2F/evil.com",
    "/\\evil.com",
    "/%5Cevil.com",
    "/%5C%5Cevil.com",
    "\\\\evil.com",
    "https://evil.com/",
    "javascript:alert(1)",
    "http:/evil.com",
    "evil.com",
    "/%0d%0aSet-Cookie:x=1",
    "/\x00",
    "/%00",
    "/%2509/evil.com",
    " //evil.com",
    "",
    None,
]
ALLOWED = ["/office/", "/office/responses?page=2&hall=H1", "/office/halls#top"]


@pytest.mark.parametrize("target", REFUSED)
def test_unsafe_next_is_refused(target):
    assert same_site_path(target) is None


@pytest.mark.parametrize("target", ALLOWED)
def test_same_site_next_is_kept(target):
    assert same_site_path(target) == target


def test_referrer_only_from_this_host():
    assert same_site_referrer("http://h.test/office/x?a=1", "h.test") == "/office/x?a=1"
    assert same_site_referrer("http://evil.test/office/x", "h.test") is None
    assert same_site_referrer("javascript://h.test/x", "h.test") is None


@pytest.mark.parametrize("target", ["/%09/evil.com", "//evil.com", "/\\evil.com"])
def test_sign_in_never_lands_elsewhere(client, make_user, target):
    make_user("boss", "admin")
    data = {"username": "boss", "password": "correct horse battery"}
    response = client.post("/office/login", query_string={"next": target}, data=data)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location


def test_sign_in_follows_a_same_site_next(client, make_user):
    make_user("boss", "admin")
    data = {"username": "boss", "password": "correct horse battery"}
    response = client.post(
        "/office/login", query_string={"next": "/office/halls"}, data=data
    )
    assert response.headers["Location"] == "/office/halls"
