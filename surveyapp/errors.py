"""Central error handling: friendly pages for people, JSON under /api."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from surveyapp.models.base import UnfitText

log = logging.getLogger(__name__)


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check what you entered."),
        401: _("Please sign in to continue."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        413: _("What you sent is too large."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is busy right now. Please try again in a minute."),
    }


# The one vocabulary of error codes under /api: a word per HTTP status, and a
# few finer words where a client can act on them (invalid_period, csrf,
# database_unavailable). docs/api.md lists them.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


def error_code(status: int) -> str:
    return ERROR_CODES.get(status, "bad_request" if status < 500 else "server_error")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, code: str | None = None):
    message = message or _messages().get(status, _messages()[500])
    if wants_json():
        body = {"error": {"code": code or error_code(status), "message": message}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def _keep_answers_page():
    """The database is away while a citizen submits: everything they sent goes
    back into a form they can submit again (the ticket makes a retry safe)."""
    page = render_template(
        "errors/retry.html",
        message=_(
            "We could not save your answers just now. Please try again in a minute;"
            " what you entered is kept below."
        ),
        action=request.path,
        fields=list(request.form.items(multi=True)),
    )
    return page, 503, {"Retry-After": "30"}


def _roll_back() -> None:
    from surveyapp.extensions import db

    try:
        db.session.rollback()
    except DBAPIError:
        db.session.remove()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400,
            _("This form has expired. Please go back, reload the page and try again."),
            code="csrf",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = None
        if status == 400 and exc.description and wants_json():
            message = exc.description
        response, code = error_response(status, message)
        if status == 429:  # quality (issue 4): tell clients when to come back
            response = current_app.make_response((response, code))
            retry_after = getattr(exc, "retry_after", None) or 60
            response.headers["Retry-After"] = str(retry_after)
            return response
        return response, code

    @app.errorhandler(UnfitText)
    def unfit_text(exc: UnfitText):
        log.warning("text refused for %s: %s", exc.column, exc.reason)
        _roll_back()
        return error_response(
            400,
            _(
                "A value you entered is too long or holds characters that"
                " cannot be stored. Please check it."
            ),
            "unfit_text",
        )

    @app.errorhandler(DataError)
    def bad_data(exc: DataError):
        """A value the database refused (too long, out of range, a NUL):
        the client's fault, a 400, never reported as an outage."""
        log.warning("database refused a value: %s", exc.orig.__class__.__name__)
        _roll_back()
        return error_response(400, code="bad_value")

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_unavailable(exc: Exception):
        log.error("database unavailable: %s", exc.__class__.__name__)
        _roll_back()
        if request.method == "POST" and request.blueprint == "public" and request.form:
            return _keep_answers_page()
        return error_response(503, code="database_unavailable")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500)
