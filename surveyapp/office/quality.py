"""Office pages for quality: the review queue, decisions, patterns, screen links."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.downloads import no_store
from surveyapp.extensions import db
from surveyapp.i18n import current_language
from surveyapp.models import Response, Window
from surveyapp.models.quality import QualityReview
from surveyapp.numbers import whole_number
from surveyapp.office import bp
from surveyapp.services.organisation.qr import default_base_url
from surveyapp.services.quality import presence, review
from surveyapp.services.quality.verdicts import reason_texts


def _me():
    return current_user._get_current_object()


@bp.route("/quality")
@no_store
def review_queue():
    rows = review.flagged_queue(request.args.get("hall", type=whole_number))
    lang = current_language()
    return render_template(
        "office/quality/queue.html",
        rows=rows,
        reasons={r.id: reason_texts(r.reasons, lang) for r in rows},
        norms=review.hall_norms({r.hall_id for r in rows}),
        reviews=review.recent_reviews(),
        screen_halls=presence.screen_windows(),
    )


@bp.route("/quality/<int:response_id>/decide", methods=["POST"])
def review_decide(response_id: int):
    response = db.session.get(Response, response_id) or abort(404)
    try:
        review.decide(
            response,
            _me(),
            request.form.get("decision", ""),
            request.form.get("note", ""),
            request.remote_addr,
        )
    except review.ReviewError:
        flash(
            _("This decision could not be recorded; the response was already decided."),
            "error",
        )
        return redirect(url_for("office.review_queue"), 303)
    flash(_("Decision recorded."), "success")
    return redirect(url_for("office.review_queue"), 303)


@bp.route("/quality/reviews/<int:review_id>/reverse", methods=["POST"])
def review_reverse(review_id: int):
    entry = db.session.get(QualityReview, review_id) or abort(404)
    try:
        review.reverse(entry, _me(), request.form.get("note", ""), request.remote_addr)
    except review.ReviewError:
        flash(_("This decision was already reversed."), "error")
        return redirect(url_for("office.review_queue"), 303)
    flash(_("Decision reversed; the automatic verdict applies again."), "success")
    return redirect(url_for("office.review_queue"), 303)


@bp.route("/quality/patterns")
@no_store
def quality_patterns():
    by_window = request.args.get("by") == "window"
    weeks = min(max(request.args.get("weeks", 12, type=whole_number) or 12, 1), 104)
    return render_template(
        "office/quality/patterns.html",
        rows=review.patterns(weeks, by_window=by_window),
        by_window=by_window,
        weeks=weeks,
    )


@bp.route("/quality/screens/<int:window_id>", methods=["GET", "POST"])
def window_screen_issue(window_id: int):
    """Issue (or replace) a window screen's secret link; it is shown once.
    Asked first (GET), done only when that page's button confirms it: a new
    link stops the screen that shows the old one."""
    window = db.session.get(Window, window_id) or abort(404)
    if request.method == "GET" or request.form.get("confirm") != "1":
        return render_template(
            "office/quality/screen_confirm.html",
            window=window,
            issued_at=presence.screen_issued_at(window),
        )
    secret = presence.screen_secret(window)
    base = default_base_url()
    url = base.rstrip("/") + url_for("public.window_screen", secret=secret)
    from surveyapp.services.admin.users import audit

    audit(
        _me(),
        "quality.screen_link",
        target=f"window:{window.id}",
        client_address=request.remote_addr,
    )
    return render_template("office/quality/screen_link.html", window=window, url=url)
