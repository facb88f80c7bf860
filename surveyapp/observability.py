"""Operating the app: JSON request logs, /healthz, /readyz and Prometheus metrics."""

from __future__ import annotations

import hmac
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path

from flask import Flask, abort, current_app, g, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

REQUEST_LOGGER = "surveyapp.request"
REQUEST_ID_HEADER = "X-Request-ID"
# A caller's (nginx's) request id is kept only if it looks like one.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Probes run every few seconds; they would drown the latency histogram.
_UNTRACKED_PATHS = frozenset(("/healthz", "/readyz", "/metrics"))

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
    verdict = str(verdict)[:32]
    child = _VERDICT_CHILDREN.get(verdict)
    if child is None:
        # A handful of verdicts: each one's child is looked up once.
        child = _VERDICT_CHILDREN[verdict] = VERDICTS.labels(verdict=verdict)
    child.inc()


_VERDICT_CHILDREN: dict = {}


def init_observability(app: Flask) -> None:
    """Register request ids, request logs, health endpoints and metrics."""
    metrics = _init_metrics(app) if app.config.get("METRICS_ENABLED", True) else None
    _init_request_log(app, metrics)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)


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


def _init_request_log(app: Flask, metrics: RequestMetrics | None) -> None:
    logger = _request_logger()

    @app.before_request
    def _start_request() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_REQUEST_ID.match(given) else _new_request_id()

    @app.after_request
    def _finish_request(response):
        request_id = g.get("request_id") or _new_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        seconds = time.perf_counter() - started if started else 0.0
        if metrics is not None:
            metrics.observe(request, response.status_code, seconds)
        if app.config.get("LOG_REQUESTS", True):
            record = request_record(request, response.status_code, request_id, seconds)
            logger.info(json.dumps(record))
        return response


def _new_request_id() -> str:
    """32 hex digits, unique (a log line's name; it need not be secret)."""
    return uuid.uuid4().hex


def request_record(req, status: int, request_id: str, seconds: float) -> dict:
    """The fields of one request's log line: nothing that identifies a person
    (no address, user agent, query string, form data or cookies)."""
    return {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "info",
        "event": "request",
        "request_id": request_id,
        "method": req.method,
        "path": req.path,
        "endpoint": req.endpoint,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
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
    if current and not _accepts_writes(db.engine):
        return _not_ready("database_read_only")
    expected = code_revisions(current_app)
    if current != expected:
        return _not_ready(
            "migrations_not_current",
            database=sorted(current),
            expected=sorted(expected),
        )
    return jsonify(status="ready", revision=sorted(current))


def _accepts_writes(engine) -> bool:
    """A write the database would make, rolled back: a read-only file, a
    full disk's refusal, a PostgreSQL standby or read-only transaction all
    fail it. It rewrites the migration head with itself, so it changes
    nothing even if it were kept."""
    try:
        with engine.connect() as conn:
            with conn.begin() as transaction:
                conn.execute(
                    text("UPDATE alembic_version SET version_num = version_num")
                )
                transaction.rollback()
    except SQLAlchemyError:
        return False
    return True


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
        elif not current_app.config.get("METRICS_PUBLIC"):
            abort(401)  # neither a token nor an explicit METRICS_PUBLIC
        return view(*args, **kwargs)

    return wrapper


_HTTP_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
)


class RequestMetrics:
    """The per-request metrics prometheus-flask-exporter's defaults would
    export (same names and labels), recorded from the request log's hook, so
    one hook serves the log line and the metrics. Labels stay bounded: Flask
    endpoints, status codes and the HTTP methods (anything else is "other"),
    whatever a client sends."""

    def __init__(self, registry: CollectorRegistry, prefix: str = "surveyapp"):
        self.duration = Histogram(
            f"{prefix}_http_request_duration_seconds",
            "HTTP request duration in seconds, per Flask endpoint",
            ("method", "endpoint", "status"),
            registry=registry,
        )
        self.total = Counter(
            f"{prefix}_http_request_total",
            "HTTP requests",
            ("method", "status"),
            registry=registry,
        )
        self._children: dict[tuple, tuple] = {}

    def observe(self, req, status: int, seconds: float) -> None:
        if req.path in _UNTRACKED_PATHS:
            return
        method = req.method if req.method in _HTTP_METHODS else "other"
        key = (method, req.endpoint, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.duration.labels(method, str(req.endpoint), str(status)),
                self.total.labels(method, str(status)),
            )
        children[0].observe(max(seconds, 0.0))
        children[1].inc()


def _init_metrics(app: Flask) -> RequestMetrics:
    """Latency histogram per endpoint and request counts (RequestMetrics,
    returned for the request hook to record into), our own counters, and
    prometheus-flask-exporter's /metrics endpoint. With
    PROMETHEUS_MULTIPROC_DIR set, the exporter aggregates every gunicorn
    worker's files on each scrape."""
    from prometheus_flask_exporter import PrometheusMetrics

    registry = CollectorRegistry(auto_describe=True)
    registry.register(SUBMISSIONS)
    registry.register(VERDICTS)
    request_metrics = RequestMetrics(registry)
    metrics = PrometheusMetrics(
        app,
        registry=registry,
        path="/metrics",
        export_defaults=False,
        metrics_decorator=_require_metrics_token,
    )
    app.extensions["surveyapp_metrics"] = metrics
    return request_metrics
