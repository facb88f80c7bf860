"""Security headers, cookie flags and CSRF on every form."""

from __future__ import annotations

from surveyapp import create_app
from surveyapp.extensions import db as _db
from tests.conftest import full_answers, ticket_from


def test_security_headers_on_every_page(client, survey_path):
    for path in (survey_path(), "/", "/office/login", "/no/such/page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        script_src = [d for d in csp.split(";") if "script-src" in d][0]
        assert "unsafe-inline" not in script_src and "'self'" in script_src
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_production_cookies_are_secure_httponly_samesite(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-of-some-length")
    monkeypatch.setenv("HASH_SALT", "a-production-salt-of-some-length")
    app = create_app(
        {
            "ENV_NAME": "production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "SECRET_KEY": "a-production-secret-of-some-length",
            "HASH_SALT": "a-production-salt-of-some-length",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/office/login")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" in response.headers


def test_forms_without_csrf_token_are_refused(csrf_app, demo, survey_path, make_user):
    """The citizen's form: its signed ticket is bound to the browser it was
    shown to, so a post from elsewhere (another site's page makes the browser
    post without its SameSite cookie) is refused. Other forms: Flask-WTF."""
    from sqlalchemy import func, select

    from surveyapp.models import Response

    client = csrf_app.test_client()
    path = survey_path()
    html = client.get(path).get_data(as_text=True)
    data = {"ticket": ticket_from(html), **full_answers(4)}
    for elsewhere in (csrf_app.test_client(), _with_device(csrf_app, "f" * 32)):
        refused = elsewhere.post(path, data=data)
        assert refused.status_code == 400
        assert "表单已过期" in refused.get_data(as_text=True)
    # A ticket without a binding (as an interviewer's form has) is refused too.
    unbound = client.post(
        path, data={**data, "ticket": _unbound_ticket(csrf_app, path)}
    )
    assert unbound.status_code == 400
    assert _db.session.scalar(select(func.count(Response.id))) == 0
    accepted = client.post(path, data=data)
    assert accepted.status_code == 303
    make_user("clerk", "analyst")
    login = client.post(
        "/office/login", data={"username": "clerk", "password": "correct horse battery"}
    )
    assert login.status_code == 400


def _with_device(app, device: str):
    other = app.test_client()
    other.set_cookie("sa_device", device)
    return other


def _unbound_ticket(app, path: str) -> str:
    from surveyapp.models import QuestionnaireVersion
    from surveyapp.services.organisation.qr import parse_token
    from surveyapp.services.responses.submit import issue_ticket

    with app.test_request_context():
        version = _db.session.scalar(_db.select(QuestionnaireVersion).limit(1))
        code = parse_token(path.rsplit("/", 1)[-1])
        return issue_ticket(version.id, code.hall_id, code.window_id)


def test_every_post_route_requires_csrf(csrf_app):
    """With CSRF on, every POST route refuses a request without a token (400),
    except the API, which uses bearer tokens and no cookies."""
    client = csrf_app.test_client()
    checked = 0
    for rule in csrf_app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint.startswith("api."):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
        response = client.post(url, data={"x": "1"})
        assert response.status_code in (400, 404), (rule.endpoint, response.status_code)
        checked += 1
    assert checked > 10


def test_a_citizen_page_sets_no_session_cookie_and_says_it_varies(client, survey_path):
    # The page looks into the (empty) session, so caches must key it by cookie,
    # as Flask's own session interface says; it sets no session cookie.
    page = client.get(survey_path())
    assert page.status_code == 200
    assert "Cookie" in page.headers.get("Vary", "")
    assert not any(c.startswith("session=") for c in page.headers.getlist("Set-Cookie"))


def test_a_ticket_works_only_on_the_code_it_was_issued_on(csrf_app, demo, survey_path):
    """A form ticket names the hall and window of its QR code: posted to
    another window's (or hall's) code it is refused, the answers kept."""
    from sqlalchemy import func, select

    from surveyapp.models import Response

    client = csrf_app.test_client()
    window_one, window_two, hall_code = survey_path(1), survey_path(2), survey_path(0)
    ticket = ticket_from(client.get(window_one).get_data(as_text=True))
    data = {"ticket": ticket, **full_answers(4, q_suggestion="请保留")}
    for elsewhere in (window_two, hall_code):
        refused = client.post(elsewhere, data=data)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400
        assert "表单已过期" in html and "请保留" in html
        assert ticket_from(html) != ticket  # a new one, for this code
    assert _db.session.scalar(select(func.count(Response.id))) == 0
    assert client.post(window_one, data=data).status_code == 303
    stored = _db.session.scalars(select(Response)).one()
    assert stored.window.code == "W450900-01"
