"""Operating the app: JSON request logs, /healthz, /readyz and Prometheus metrics."""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path

from flask import Flask, abort, current_app, g, jsonify, request
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

REQUEST_LOGGER = "surveyapp.request"
REQUEST_ID_HEADER = "X-Request-ID"
# A caller's (nginx's) request id is kept only if it looks like one.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Probes run every few seconds; they would drown the latency histogram.
_UNTRACKED_PATHS = ("/healthz", "/readyz", "/metrics")

# Created unregistered so every app (tests build many) can register them in its
# own registry; in gunicorn multiprocess mode they write to PROMETHEUS_MULTIPROC_DIR.
SUBMISSIONS = Counter(
    "surveyapp_submissions_total",
    "Responses stored from citizens and interviewers",
    registry=None,
)
VERDICTS = Counter(
    "surveyapp_flags_total",
    "Quality verdicts given to responses",
    ["verdict"],
    registry=None,
)


def count_submission() -> None:
    """Call once per newly stored response (not for an idempotent retry)."""
    SUBMISSIONS.inc()


def count_verdict(verdict: str) -> None:
    """Call once per verdict given to a response (ok, suspect, invalid...)."""
    VERDICTS.labels(verdict=str(verdict)[:32]).inc()


def init_observability(app: Flask) -> None:
    """Register request ids, request logs, health endpoints and metrics."""
    _init_request_log(app)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)
    if app.config.get("METRICS_ENABLED", True):
        _init_metrics(app)


# --- request id and JSON request log -------------------------------------------


class _StderrHandler(logging.StreamHandler):
    """Writes to the current sys.stderr (gunicorn's error log is stderr)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr


def _request_logger() -> logging.Logger:
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    # Alembic's fileConfig disables loggers that exist when it runs.
    logger.disabled = False
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    return logger


def _init_request_log(app: Flask) -> None:
    logger = _request_logger()

    def _start_request() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_REQUEST_ID.match(given) else _new_request_id()

    # First of all hooks: an earlier one may end the request (a rate limit).
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)

    @app.after_request
    def _finish_request(response):
        request_id = g.get("request_id") or _new_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        if current_app.config.get("LOG_REQUESTS", True) and logger.isEnabledFor(
            logging.INFO
        ):
            line = json.dumps(request_record(response.status_code, request_id))
            # What logger.info does, less its search of the stack for the
            # caller's file and line, which this line never shows.
            logger.handle(
                logger.makeRecord(
                    logger.name, logging.INFO, __file__, 0, line, (), None
                )
            )
        return response


def _new_request_id() -> str:
    """32 random hex digits, as uuid4().hex without building a UUID."""
    return secrets.token_hex(16)


def request_record(status: int, request_id: str) -> dict:
    """The fields of one request's log line: nothing that identifies a person
    (no address, user agent, query string, form data or cookies)."""
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started else 0.0
    return {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "info",
        "event": "request",
        "request_id": request_id,
        "method": request.method,
        "path": request.path,
        "endpoint": request.endpoint,
        "status": status,
        "duration_ms": round(duration, 2),
    }


# --- health ----------------------------------------------------------------------


def healthz():
    """The process is alive and serving; touches no database."""
    return jsonify(status="ok")


def readyz():
    """Ready for traffic: the database answers and its schema is at the
    migrations' head. 503 with a reason otherwise (load balancers skip us)."""
    from surveyapp.extensions import db

    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = _database_revisions(conn)
    except SQLAlchemyError as exc:
        return _not_ready("database_unreachable", error=exc.__class__.__name__)
    expected = code_revisions(current_app)
    if current != expected:
        return _not_ready(
            "migrations_not_current",
            database=sorted(current),
            expected=sorted(expected),
        )
    return jsonify(status="ready", revision=sorted(current))


def _not_ready(reason: str, **detail):
    response = jsonify(status="unavailable", reason=reason, **detail)
    response.status_code = 503
    return response


def _database_revisions(conn) -> set[str]:
    from alembic.migration import MigrationContext

    return set(MigrationContext.configure(conn).get_current_heads())


def code_revisions(app: Flask) -> set[str]:
    """The head revision(s) of the migrations/ directory, read once per process."""
    heads = app.extensions.get("surveyapp_migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        directory = Path(app.extensions["migrate"].directory)
        if not directory.is_absolute() and not directory.is_dir():
            # Started from another working directory: the repository's own.
            directory = Path(app.root_path).parent / directory
        heads = set(ScriptDirectory(str(directory)).get_heads())
        app.extensions["surveyapp_migration_heads"] = heads
    return heads


# --- metrics ---------------------------------------------------------------------


def _require_metrics_token(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = current_app.config.get("METRICS_TOKEN") or ""
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                abort(401)
        return view(*args, **kwargs)

    return wrapper


def _init_metrics(app: Flask) -> None:
    """Latency histogram per endpoint (prometheus-flask-exporter) plus our
    counters, served at /metrics. With PROMETHEUS_MULTIPROC_DIR set, the
    exporter aggregates every gunicorn worker's files on each scrape."""
    from prometheus_flask_exporter import PrometheusMetrics

    registry = CollectorRegistry(auto_describe=True)
    registry.register(SUBMISSIONS)
    registry.register(VERDICTS)
    metrics = PrometheusMetrics(
        app,
        registry=registry,
        path="/metrics",
        group_by="endpoint",
        defaults_prefix="surveyapp",
        excluded_paths=[f"^{p}$" for p in _UNTRACKED_PATHS],
        metrics_decorator=_require_metrics_token,
    )
    app.extensions["surveyapp_metrics"] = metrics
