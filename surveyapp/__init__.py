"""surveyapp: public-participation satisfaction surveys for government service halls."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from surveyapp import ratelimits
from surveyapp.config import CONFIGS, check_production_secrets
from surveyapp.extensions import babel, csrf, db, login_manager, migrate
from surveyapp.instance_secrets import fill_missing_secrets
from surveyapp.models.base import check_column_lengths
from surveyapp.security import StrictFormDataParser


class SurveyRequest(Request):
    # Form bodies are held to UTF-8 before werkzeug parses them (security.py).
    form_data_parser_class = StrictFormDataParser


class SurveyApp(Flask):
    request_class = SurveyRequest


def create_app(config: str | dict | None = None) -> Flask:
    """Build the application. `config` names an environment or overrides keys."""
    app = SurveyApp(__name__, instance_relative_config=False)
    overrides: dict = {}
    name = os.environ.get("SURVEYAPP_ENV", "development")
    if isinstance(config, str):
        name = config
    elif isinstance(config, dict):
        name = config.get("ENV_NAME", name)
        overrides = config
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides)
    if app.config["ENV_NAME"] == "production":
        check_production_secrets(app.config)
    else:
        fill_missing_secrets(app.config, Path(app.config["INSTANCE_PATH"]))

    from surveyapp.cli import register_cli
    from surveyapp.errors import register_error_handlers
    from surveyapp.observability import init_observability

    # First, so that its request hook runs before every other (a rate limit
    # or a CSRF check may end the request) and the request log sees them all.
    init_observability(app)
    _init_database(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    register_error_handlers(app)
    register_cli(app)
    if app.config.get("COMPLAINTS_PRELOAD"):
        # Complaints (issue 6): model and jieba dictionary before workers fork.
        from surveyapp.services.complaints.pipeline import preload

        preload(app)
    return app


def _init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    lock_ms = int(app.config["DATABASE_LOCK_TIMEOUT_S"] * 1000)
    if uri.startswith("sqlite"):
        path = uri.removeprefix("sqlite:///")
        if path and path != uri and not path.startswith(":"):
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        connect_args.setdefault("timeout", lock_ms / 1000)  # the busy timeout
        # A file never drops a connection: no ping before each checkout.
        options["pool_pre_ping"] = False
    elif uri.startswith("postgresql"):
        settings = f"-c lock_timeout={lock_ms}"
        statement_s = app.config["DATABASE_STATEMENT_TIMEOUT_S"]
        if statement_s:
            settings += f" -c statement_timeout={int(statement_s * 1000)}"
        connect_args.setdefault("options", settings)
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not event.contains(Session, "before_flush", check_column_lengths):
        event.listen(Session, "before_flush", check_column_lengths)
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # WAL lets readers and one writer work at once; the busy timeout is the
    # driver's (connect_args "timeout", DATABASE_LOCK_TIMEOUT_S).
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _init_extensions(app: Flask) -> None:
    from surveyapp.i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    ratelimits.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "office.login"
    login_manager.login_message = None

    from surveyapp.services.admin.users import session_user

    # None for a disabled user or a changed password: the session ends at once.
    login_manager.user_loader(session_user)

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` up to the largest 32-bit id: a larger number is a 404, not a
    database overflow (PostgreSQL integer ids are 32-bit)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    from surveyapp.api import bp as api_bp
    from surveyapp.firm import bp as firm_bp
    from surveyapp.office import bp as office_bp
    from surveyapp.open_record import bp as open_bp
    from surveyapp.public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(office_bp, url_prefix="/office")
    app.register_blueprint(open_bp, url_prefix="/open")
    app.register_blueprint(firm_bp, url_prefix="/firm")
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def _register_hooks(app: Flask) -> None:
    from surveyapp.i18n import (
        current_language,
        language_switch,
        localized,
        or_list,
        remember_language,
    )
    from surveyapp.local_times import (
        local_date,
        local_deadline,
        local_time,
        zone_name,
    )
    from surveyapp.security import add_security_headers, refuse_nul_bytes

    app.before_request(refuse_nul_bytes)
    app.after_request(remember_language)
    app.after_request(add_security_headers)
    app.jinja_env.filters.update(
        local_time=local_time,
        local_date=local_date,
        local_deadline=local_deadline,
        or_list=or_list,
    )
    app.jinja_env.globals.update(
        zone_name=zone_name,
        localized=localized,
        current_language=current_language,
        language_switch=language_switch,
        has_endpoint=lambda name: name in app.view_functions,
    )
