"""Office routes: thin views over the report, export and QR services."""

from __future__ import annotations

from datetime import date

from flask import Response as FlaskResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from surveyapp.downloads import no_store, send_table, stream_csv
from surveyapp.office import bp
from surveyapp.office.complaints import STATE_NAMES
from surveyapp.office.dashboard import dashboard
from surveyapp.office.forms import LoginForm, filters_from_args
from surveyapp.office.pages import cursor_from_args, filter_args, page_links
from surveyapp.ratelimits import account_key, failed_sign_in, limit
from surveyapp.security import same_site_path
from surveyapp.services.admin.users import audit, authenticate, end_sessions
from surveyapp.services.complaints.cases import is_overdue
from surveyapp.services.organisation import qr as qr_service
from surveyapp.services.organisation.catalogue import all_halls, hall_by_code
from surveyapp.services.organisation.units import active_halls
from surveyapp.services.responses.exports import (
    FORMATS,
    export_responses,
    response_sheet,
)
from surveyapp.services.responses.summaries import hall_summaries, list_responses

LEVEL_NAMES = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Basically satisfied"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}


def _base_url() -> str:
    return qr_service.default_base_url()


@bp.route("/login", methods=["GET", "POST"])
# Failed sign-ins only (a 401), counted per address and per account name; a
# locked-out address or account gets 429 before its password is checked.
@limit("RATELIMIT_LOGIN", scope="sign-in", methods=("POST",), count=failed_sign_in)
@limit(
    "RATELIMIT_LOGIN_ACCOUNT",
    key=account_key,
    scope="sign-in-account",
    methods=("POST",),
    count=failed_sign_in,
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            audit(user, "login", client_address=request.remote_addr)
            home = "office.index" if user.is_office else "firm.index"
            return redirect(same_site_path(request.args.get("next")) or url_for(home))
        flash(_("Wrong username or password."), "error")
        return render_template("office/login.html", form=form), 401
    return render_template("office/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_sessions(current_user)
    logout_user()
    return redirect(url_for("public.index"))


@bp.route("/")
def index():
    filters = filters_from_args(request.args)
    halls = all_halls()
    return render_template(
        "office/summary.html",
        summaries=hall_summaries(filters),
        halls=halls,
        args=request.args,
        board=dashboard(current_user, STATE_NAMES, LEVEL_NAMES),
        is_overdue=is_overdue,
    )


@bp.route("/halls")
def halls():
    rows = active_halls()  # a retired hall's codes are no longer printed
    try:
        codes = {hall.id: qr_service.hall_codes(hall, _base_url()) for hall in rows}
    except LookupError:  # a new city without a questionnaire yet
        flash(_("Publish a questionnaire first: the codes open it."), "error")
        rows, codes = [], {}
    return render_template("office/halls.html", halls=rows, codes=codes)


@bp.route("/qr/<code>.<fmt>")
def qr_image(code: str, fmt: str):
    if fmt not in ("png", "svg"):
        abort(404)
    entry = _find_code(code)
    if fmt == "png":
        data, mimetype = qr_service.png_bytes(entry.url), "image/png"
    else:
        data, mimetype = qr_service.svg_bytes(entry.url), "image/svg+xml"
    download = request.args.get("download") == "1"
    headers = (
        {"Content-Disposition": f'attachment; filename="{code}.{fmt}"'}
        if download
        else {}
    )
    return FlaskResponse(data, mimetype=mimetype, headers=headers)


def _find_code(code: str) -> qr_service.CodeEntry:
    return qr_service.find_code(code, _base_url()) or abort(404)


@bp.route("/halls/<code>/poster")
def poster(code: str):
    hall = hall_by_code(code)
    if hall is None or not hall.active:
        abort(404)
    response = FlaskResponse(
        qr_service.poster_html(hall, _base_url()), mimetype="text/html"
    )
    audit(current_user, "qr_poster", hall.code, client_address=request.remote_addr)
    # The poster is a standalone printable page with its own print CSS.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    )
    return response


@bp.route("/responses")
@no_store
def responses():
    filters = filters_from_args(request.args)
    page, total = list_responses(filters, cursor=cursor_from_args(request.args))
    return render_template(
        "office/responses.html",
        rows=page.rows,
        total=total,
        pager=page_links("office.responses", page, FILTER_ARGS),
        halls=all_halls(),
        args=filter_args(request.args, FILTER_ARGS),
        show_text=current_user.is_office,
    )


# The query-string filters of the responses pages (office/forms.py), the only
# parameters carried into their links.
FILTER_ARGS = ("hall", "from", "to", "rating", "verdict")


@bp.route("/responses/export.<fmt>")
@no_store
def export(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    filters = filters_from_args(request.args)
    audit(
        current_user,
        "export_responses",
        fmt,
        {"args": dict(request.args)},
        request.remote_addr,
    )
    name = f"responses-{date.today().isoformat()}"
    if fmt == "csv":  # written as it is read: constant memory, first bytes at once
        return stream_csv(response_sheet(filters), name)
    return send_table(export_responses(filters, fmt), fmt, name)
