"""Routes of the citizen's path: open a code, answer, see the thank-you page."""

from __future__ import annotations

import hmac
import secrets

from flask import (
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from surveyapp.extensions import csrf
from surveyapp.i18n import current_language
from surveyapp.public import bp
from surveyapp.ratelimits import limit
from surveyapp.security import salted_hash
from surveyapp.services.fieldwork.quotas import project_needing_screener
from surveyapp.services.memory import cached_per_process
from surveyapp.services.organisation.qr import InvalidCode, RetiredCode
from surveyapp.services.questionnaires.versions import (
    FormVersion,
    SurveyTarget,
    resolve_token,
)
from surveyapp.services.responses.receipts import receipt_code
from surveyapp.services.responses.submit import (
    InvalidSubmission,
    InvalidTicket,
    SubmissionContext,
    Ticket,
    TicketForAnotherCode,
    find_by_key,
    issue_ticket,
    read_ticket,
    service_items_for,
    submit_response,
)
from surveyapp.survey_pages import handle_screener, render_screener

DEVICE_COOKIE = "sa_device"


@bp.route("/")
def index():
    return render_template("public/index.html")


@bp.after_app_request
def _set_device_cookie(response):
    device = g.pop("new_device_id", None)
    if device:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def _device_id() -> str:
    device = request.cookies.get(DEVICE_COOKIE)
    if not device or len(device) > 64:
        device = g.get("new_device_id") or secrets.token_hex(16)
        g.new_device_id = device
    return device


# CSRF on the citizen's form without a session: the signed ticket names the
# browser it was shown to (a hash of its device cookie), and the submission
# must come with that cookie. A page on another site can neither read the
# cookie nor make the browser send it (HttpOnly, SameSite=Lax), so it cannot
# post a ticket that matches: OWASP's signed double-submit cookie. Citizens
# then carry no session cookie at all.


def _form_binding(device: str) -> str:
    return salted_hash(device, purpose="form-binding")[:32]


def _new_ticket(target: SurveyTarget) -> str:
    return issue_ticket(
        target.version_id,
        target.hall_id,
        target.window_id,
        binding=_form_binding(_device_id()),
    )


def _require_form_binding(ticket: Ticket | None) -> None:
    """Refuse (400, as Flask-WTF would) a post without this browser's device
    cookie, or with a ticket issued to another browser."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    device = request.cookies.get(DEVICE_COOKIE)
    if not device:
        raise CSRFError("The form cookie is missing.")
    if ticket is not None and not hmac.compare_digest(
        ticket.binding or "", _form_binding(device)
    ):
        raise CSRFError("The form was issued to another browser.")


# A published version never changes, so the markup of its blank questions (most
# of the page) is rendered once per language and process; the page around it,
# with the citizen's own ticket, is rendered for each request.
@cached_per_process(maxsize=256)
def _blank_questions(version: FormVersion, language: str) -> Markup:
    return Markup(
        render_template(
            "public/_questions.html",
            definition=version.definition,
            values=MultiDict(),
            errors={},
        )
    )


def _render_form(
    token, target: SurveyTarget, *, values=None, errors=None, status=200, message=None
):
    blank = not values and not errors
    ticket = values.get("ticket") if values and "ticket" in values else None
    return (
        render_template(
            "public/questionnaire.html",
            blank_questions=_blank_questions(target.version, current_language())
            if blank
            else None,
            token=token,
            target=target,
            definition=target.version.definition,
            service_items=service_items_for(target.hall, target.window),
            ticket=ticket or _new_ticket(target),
            values=values or MultiDict(),
            errors=errors or {},
            message=message,
        ),
        status,
    )


def _invalid_code(error: InvalidCode | None = None):
    if isinstance(error, RetiredCode):  # a hall or window no longer in use
        return render_template("public/retired_code.html"), 410
    return render_template("public/invalid_code.html"), 404


@bp.route("/s/<token>", methods=["GET"])
def questionnaire(token: str):
    try:
        target = resolve_token(token)
    except InvalidCode as error:
        return _invalid_code(error)
    _device_id()
    # Survey firms (issue 5): in a project's scope the screener comes first.
    project = project_needing_screener(target.hall, target.window)
    if project is not None:
        # Carry a rotating window-screen code (quality, issue 4) through the step.
        action = url_for("public.screen", token=token, rt=request.args.get("rt"))
        return render_screener(target, project, action)
    return _render_form(token, target)


@bp.route("/s/<token>", methods=["POST"])
@csrf.exempt  # the ticket's binding is this form's CSRF check (_require_form_binding)
@limit("RATELIMIT_SUBMIT")
def submit(token: str):
    try:
        target = resolve_token(token)
    except InvalidCode as error:
        return _invalid_code(error)
    form = request.form
    try:
        ticket = read_ticket(form.get("ticket"))
    except InvalidTicket:
        ticket = None
    _require_form_binding(ticket)
    if ticket is None:
        return _refreshed_form(token, target, form)
    ctx = SubmissionContext(
        hall=target.hall,
        window=target.window,
        version=target.version,
        ticket=ticket,
        language=current_language(),
        client_address=request.remote_addr,
        user_agent=request.headers.get("User-Agent", ""),
        device_id=_device_id(),
        # Survey firms (issue 5): the screener's answers that decide the quota cell.
        extra={"age_band": form.get("age_band", ""), "gender": form.get("gender", "")},
    )
    # Quality (issue 4): bot and presence evidence, judged in services/quality/verdicts.py.
    ctx.extra.update(
        honeypot=form.get("website", ""),
        has_form_cookie=DEVICE_COOKIE in request.cookies,
        rotating_token=form.get("rt", ""),
        transaction_code=form.get("transaction_code", ""),
    )
    # A database that fails here is errors.py's: a 503 page that keeps every
    # answer for a one-tap retry, which the ticket makes safe.
    try:
        stored = submit_response(ctx, form.getlist)
    except InvalidSubmission as exc:
        return _render_form(
            token,
            target,
            values=form,
            errors=exc.errors,
            status=400,
            message=_("Some answers need your attention. Please see the notes below."),
        )
    except TicketForAnotherCode:
        return _refreshed_form(token, target, form)
    except InvalidTicket:
        values = MultiDict(form)
        values.pop("ticket", None)
        return _render_form(
            token,
            target,
            values=values,
            status=409,
            message=_(
                "This questionnaire was updated. Please check your answers and submit again."
            ),
        )
    again = {"again": 1} if stored.revised else {}
    # The complaints worker classifies the comment and opens its case
    # (services/complaints/pipeline.py): the request only stores the answer.
    return redirect(url_for("public.thanks", key=stored.public_id, **again), code=303)


def _refreshed_form(token, target: SurveyTarget, form):
    """The answers again, with a new ticket for this code and browser."""
    values = MultiDict(form)
    values.pop("ticket", None)
    return _render_form(
        token,
        target,
        values=values,
        status=400,
        message=_("This form had expired, so we refreshed it. Please submit again."),
    )


@bp.route("/thanks/<key>")
def thanks(key: str):
    response = find_by_key(key) if len(key) <= 36 else None
    if response is None:
        return _invalid_code()
    # The receipt code (issue 21) is derived again, never stored.
    receipt = receipt_code(response.public_id) if response.receipt_hash else None
    return render_template(
        "public/thanks.html",
        response=response,
        receipt=receipt,
        track_url=url_for("public.track_case", _external=True),
        rated_again=request.args.get("again") == "1",
    )


@bp.route("/q/<int:version_id>/form.css")
def form_css(version_id: int):
    """Show conditional questions only when their condition is chosen, without
    JavaScript (CSS :has); browsers without :has show every question."""
    from surveyapp.services.questionnaires.versions import conditional_css

    css = conditional_css(version_id)
    if css is None:
        return _invalid_code()
    response = current_app.response_class(css, mimetype="text/css")
    # A published version never changes, so neither does its stylesheet.
    response.cache_control.public = True
    response.cache_control.max_age = 86400 * 30
    return response


@bp.route("/s/<token>/screen", methods=["POST"])
@limit("RATELIMIT_SUBMIT")
def screen(token: str):
    try:
        target = resolve_token(token)
    except InvalidCode as error:
        return _invalid_code(error)
    project = project_needing_screener(target.hall, target.window)
    if project is None:
        return _render_form(token, target)
    return handle_screener(
        target,
        project,
        request.form,
        # a re-asked screener keeps the rotating window-screen code (issue 4)
        screen_action=url_for("public.screen", token=token, rt=request.args.get("rt")),
        render_form=lambda values: _render_form(token, target, values=values),
    )
