"""Views that take a file: a larger body than the site's other forms, with the
CSRF check kept; shared by the office and firm blueprints."""

from __future__ import annotations

from functools import wraps

from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from surveyapp.errors import error_response
from surveyapp.extensions import csrf


def upload_limit() -> int:
    return int(current_app.config["FIRM_UPLOAD_MAX_BYTES"])


def accepts_upload(view):
    """Let the view's POST carry a file of up to FIRM_UPLOAD_MAX_BYTES.

    Every other request keeps MAX_CONTENT_LENGTH (64 KB). Flask-WTF checks
    CSRF before any view and reads the form to do it, under the global
    limit, so it would refuse the file with a 413 before the view could
    raise the limit. The view is therefore exempt from that early check and
    makes the same check itself (CSRFProtect.protect, Flask-WTF's documented
    call), right after raising this one request's limit
    (Request.max_content_length, Flask's per-request setting)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method == "POST":
            request.max_content_length = upload_limit()
            try:
                if current_app.config.get("WTF_CSRF_ENABLED", True):
                    csrf.protect()
                request.files  # noqa: B018 - read the body now, under the limit
            except RequestEntityTooLarge:
                return error_response(
                    413,
                    _(
                        "The file is larger than %(mb).1f MB, the most this "
                        "page accepts. Split it into smaller files.",
                        mb=upload_limit() / (1024 * 1024),
                    ),
                )
        return view(*args, **kwargs)

    return csrf.exempt(wrapped)
