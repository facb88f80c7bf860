"""The rotating-QR page of a window's screen, and the form's presence helpers."""

from __future__ import annotations

from flask import current_app, render_template

from surveyapp.public import bp
from surveyapp.services.organisation.qr import default_base_url
from surveyapp.services.quality import presence


@bp.app_context_processor
def _presence_helpers():
    return {"transaction_code_required": presence.requires_transaction_code}


@bp.route("/screen/<secret>")
def window_screen(secret: str):
    """A window screen has no login, so its URL carries a per-window secret
    (issued in the office, only its hash stored). The page reloads itself with
    <meta refresh> (no JavaScript) and shows a QR code whose token carries its
    issue time; the survey records the code's age when the form is opened."""
    window = presence.window_for_screen(secret)
    if window is None:
        return render_template("public/invalid_code.html"), 404
    base = default_base_url()
    code = presence.screen_code(window, base)
    response = current_app.make_response(
        render_template("public/screen.html", window=window, code=code)
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
