"""The citizen follows a complaint by its receipt code and rates the fix once."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.downloads import no_store
from surveyapp.extensions import csrf
from surveyapp.public import bp
from surveyapp.ratelimits import limit
from surveyapp.services.complaints.tracking import RatingRefused, rate_fix, track

FIX_LEVELS = {3: _l("Satisfied"), 2: _l("Basically satisfied"), 1: _l("Not satisfied")}


def _page(template: str, **context) -> str:
    return render_template(template, fix_levels=FIX_LEVELS, **context)


@bp.route("/track", methods=["GET"])
@limit("RATELIMIT_TRACK")
@no_store
def track_case():
    code = (request.args.get("code") or "").strip()[:40]
    if not code:
        return _page("public/track.html", tracked=None, code="")
    tracked = track(code)
    if tracked is None:
        return render_template("public/track_unknown.html", code=code), 404
    return _page("public/track.html", tracked=tracked, code=tracked.code)


# No session and no CSRF token for citizens: the receipt code in the form is
# the secret that authorises the one rating, which another site cannot know.
@bp.route("/track/rate", methods=["POST"])
@csrf.exempt
@limit("RATELIMIT_TRACK")
@no_store
def track_rate():
    code = (request.form.get("code") or "").strip()[:40]
    rating = request.form.get("rating", type=int)
    if track(code) is None:
        return render_template("public/track_unknown.html", code=code), 404
    try:
        rate_fix(code, rating if rating is not None else 0)
    except RatingRefused:
        tracked = track(code)
        message = (
            _("Please choose one of the three answers.")
            if tracked.may_rate
            else _("This fix cannot be rated now, or it was rated already.")
        )
        return (
            _page(
                "public/track.html", tracked=tracked, code=tracked.code, error=message
            ),
            400 if tracked.may_rate else 409,
        )
    return redirect(url_for("public.track_case", code=code, rated=1), 303)
