"""Request logs, request ids, /healthz, /readyz and /metrics."""

from __future__ import annotations

import json
import logging
import re

import pytest
from flask_migrate import upgrade

from surveyapp import create_app
from surveyapp.extensions import db as _db
from surveyapp.observability import (
    REQUEST_LOGGER,
    code_revisions,
    count_submission,
    count_verdict,
)

UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:9/nothing?connect_timeout=2"


def _app(**overrides):
    config = {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "METRICS_PUBLIC": True,
    }
    config.update(overrides)
    return create_app(config)


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture()
def request_log():
    handler = _Lines()
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_one_json_line_per_request_without_personal_data(request_log):
    app = _app()
    client = app.test_client()
    response = client.post(
        "/s/forged-token?phone=13812345678",
        data={"phone": "13812345678", "q_suggestion": "my name is Li"},
        headers={"User-Agent": "Mozilla/5.0 SecretPhone", "X-Forwarded-For": "1.2.3.4"},
    )
    assert len(request_log) == 1
    line = request_log[0]
    assert line["method"] == "POST"
    assert line["path"] == "/s/forged-token"
    assert line["endpoint"] == "public.submit"
    assert line["status"] == response.status_code
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["ts"].endswith("+00:00")
    raw = json.dumps(line)
    for personal in ("13812345678", "Li", "SecretPhone", "1.2.3.4", "127.0.0.1", "?"):
        assert personal not in raw


def test_request_id_is_echoed_when_sane_and_replaced_when_not(request_log):
    client = _app().test_client()
    kept = client.get("/healthz", headers={"X-Request-ID": "nginx-5f1c2a9e77"})
    assert kept.headers["X-Request-ID"] == "nginx-5f1c2a9e77"
    for bad in ("short", "x" * 200, "a b c d e f g h", "<script>alert(1)</script>"):
        replaced = client.get("/healthz", headers={"X-Request-ID": bad})
        assert replaced.headers["X-Request-ID"] != bad
        assert len(replaced.headers["X-Request-ID"]) == 32
    assert [line["request_id"] for line in request_log][0] == "nginx-5f1c2a9e77"


def test_request_lines_go_to_stderr_as_set_up(capsys, monkeypatch):
    client = _app().test_client()
    logger = logging.getLogger(REQUEST_LOGGER)
    # As in production: only the app's own handler (pytest adds its capture's).
    own = [h for h in logger.handlers if type(h).__name__ == "_StderrHandler"]
    assert len(own) == 1
    monkeypatch.setattr(logger, "handlers", own)
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": "stderr-line-42"})
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines()]
    assert [line["request_id"] for line in lines] == ["stderr-line-42"]
    assert lines[0]["endpoint"] == "healthz"
    assert lines[0]["status"] == response.status_code == 200


def test_a_filter_on_the_request_logger_is_honoured(request_log):
    logger = logging.getLogger(REQUEST_LOGGER)
    only_errors = logging.Filter("nothing-matches-this")
    logger.addFilter(only_errors)
    try:
        _app().test_client().get("/healthz")
    finally:
        logger.removeFilter(only_errors)
    assert request_log == []


def test_request_log_can_be_switched_off(request_log):
    _app(LOG_REQUESTS=False).test_client().get("/healthz")
    assert request_log == []


def test_healthz_needs_no_database_and_readyz_reports_it_unreachable():
    client = _app(SQLALCHEMY_DATABASE_URI=UNREACHABLE_PG).test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["reason"] == "database_unreachable"
    assert ready.json["status"] == "unavailable"


def test_readyz_waits_for_migrations_then_is_ready(tmp_path):
    app = _app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'ready.db'}")
    client = app.test_client()
    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.json["reason"] == "migrations_not_current"
    assert before.json["database"] == []
    with app.app_context():
        upgrade()
        heads = code_revisions(app)
        _db.engine.dispose()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json == {"status": "ready", "revision": sorted(heads)}


def test_metrics_show_latency_by_endpoint_submissions_and_verdicts():
    app = _app()
    client = app.test_client()
    client.get("/")
    count_submission()
    count_verdict("suspect")
    body = client.get("/metrics").get_data(as_text=True)
    assert (
        'surveyapp_http_request_duration_seconds_bucket{endpoint="public.index"' in body
    )
    assert "surveyapp_submissions_total" in body
    assert 'surveyapp_flags_total{verdict="suspect"}' in body
    assert 'endpoint="healthz"' not in body  # probes are not tracked


def _samples(client, name: str) -> dict[str, float]:
    body = client.get("/metrics").get_data(as_text=True)
    return {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in body.splitlines()
        if line.startswith(name + "{")
    }


def test_request_metrics_count_by_method_endpoint_and_status():
    client = _app().test_client()
    client.get("/")
    client.get("/")
    client.get("/no-such-page")
    client.open("/", method="BREW")  # not an HTTP method: one "other" label
    client.get("/healthz")
    client.get("/metrics")
    totals = _samples(client, "surveyapp_http_request_total")
    assert totals == {
        'surveyapp_http_request_total{method="GET",status="200"}': 2.0,
        'surveyapp_http_request_total{method="GET",status="404"}': 1.0,
        'surveyapp_http_request_total{method="other",status="405"}': 1.0,
    }
    counts = _samples(client, "surveyapp_http_request_duration_seconds_count")
    assert counts == {
        'surveyapp_http_request_duration_seconds_count{endpoint="public.index",'
        'method="GET",status="200"}': 2.0,
        'surveyapp_http_request_duration_seconds_count{endpoint="None",'
        'method="GET",status="404"}': 1.0,
        'surveyapp_http_request_duration_seconds_count{endpoint="None",'
        'method="other",status="405"}': 1.0,
    }


def test_metrics_counters_count():
    client = _app().test_client()
    before = _metric(client, "surveyapp_submissions_total")
    count_submission()
    count_submission()
    assert _metric(client, "surveyapp_submissions_total") == before + 2


def test_metrics_token_and_switch():
    client = _app(METRICS_TOKEN="scrape-secret-123").test_client()
    assert client.get("/metrics").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    right = {"Authorization": "Bearer scrape-secret-123"}
    assert client.get("/metrics", headers=right).status_code == 200
    assert _app(METRICS_ENABLED=False).test_client().get("/metrics").status_code == 404


def test_metrics_need_their_token_unless_made_public():
    assert _app(METRICS_PUBLIC=False).test_client().get("/metrics").status_code == 401
    assert _app(METRICS_PUBLIC=True).test_client().get("/metrics").status_code == 200


def test_readyz_fails_when_the_database_refuses_writes(tmp_path):
    path = tmp_path / "ready.db"
    app = _app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    assert app.test_client().get("/readyz").status_code == 200
    read_only = _app(SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{path}?mode=ro&uri=true")
    ready = read_only.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json["reason"] == "database_read_only"


def _metric(client, name: str) -> float:
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_a_stored_submission_is_counted_once(app, client, survey_path, monkeypatch):
    from tests.conftest import full_answers, ticket_from

    monkeypatch.setitem(app.config, "METRICS_PUBLIC", True)

    before = _metric(client, "surveyapp_submissions_total")
    path = survey_path()
    data = {"ticket": ticket_from(client.get(path).get_data(as_text=True))}
    data.update(full_answers(5))
    assert client.post(path, data=data).status_code == 303
    assert client.post(path, data=data).status_code == 303  # a retry: same row
    assert _metric(client, "surveyapp_submissions_total") == before + 1


def test_a_rate_limited_request_keeps_its_request_id(request_log):
    app = _app(RATELIMIT_ENABLED=True, RATELIMIT_SUBMIT="2/minute")
    client = app.test_client()
    headers = {"X-Request-ID": "req-id-limited-1"}
    statuses = [
        client.post("/s/forged-token", data={"q": "1"}, headers=headers).status_code
        for _ in range(3)
    ]
    assert statuses == [404, 404, 429]
    assert request_log[-1]["request_id"] == "req-id-limited-1"
    assert request_log[-1]["status"] == 429
    assert request_log[-1]["duration_ms"] > 0


def test_new_request_ids_are_unique(request_log):
    client = _app().test_client()
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert {line["request_id"] for line in request_log} == ids
