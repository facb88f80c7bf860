"""Views that take a file: a larger body than the site's other forms, with the
CSRF check untouched; shared by the office and firm blueprints."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from surveyapp.errors import error_response


def upload_limit() -> int:
    return int(current_app.config["FIRM_UPLOAD_MAX_BYTES"])


def allow_uploads(bp: Blueprint, *views: str) -> None:
    """Let a signed-in user's POST to these views of `bp` carry a file of up
    to FIRM_UPLOAD_MAX_BYTES; every other request keeps MAX_CONTENT_LENGTH.

    Flask-WTF checks CSRF before any view and reads the form to do it, so
    the limit must be raised before that check: a blueprint's URL value
    preprocessors run before every before-request function, the app's
    included (Flask's preprocess_request). The limit is this request's own
    (Request.max_content_length, Flask's per-request setting)."""
    endpoints = {f"{bp.name}.{view}" for view in views}

    @bp.url_value_preprocessor
    def raise_body_limit(endpoint: str | None, values: dict | None) -> None:
        if (
            endpoint in endpoints
            and request.method == "POST"
            and current_user.is_authenticated
        ):
            request.max_content_length = upload_limit()

    @bp.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):
        if request.endpoint not in endpoints:
            return error_response(413)
        return error_response(
            413,
            _(
                "The file is larger than %(mb).1f MB, the most this page "
                "accepts. Split it into smaller files.",
                mb=upload_limit() / (1024 * 1024),
            ),
        )
