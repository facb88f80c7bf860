"""Interviewer mode: pick a hall of the project, screen, and enter a response on
behalf of an intercepted citizen with the same questionnaire form."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import MultiDict

from surveyapp.extensions import db
from surveyapp.firm import bp
from surveyapp.firm.routes import project_or_404
from surveyapp.i18n import current_language
from surveyapp.services.fieldwork.projects import ProjectScope, in_fieldwork
from surveyapp.services.questionnaires.versions import SurveyTarget
from surveyapp.services.responses.submit import (
    InvalidSubmission,
    InvalidTicket,
    SubmissionContext,
    issue_ticket,
    read_ticket,
    submit_response,
)
from surveyapp.survey_pages import handle_screener, render_screener


def _target(project_id: int, hall_id: int):
    project = project_or_404(project_id, manager=False)
    hall = next((h for h in project.halls if h.id == hall_id), None)
    if hall is None:
        abort(404)
    # The window the interviewer stands at, picked with the hall: the response
    # records it as a QR response records the window of its code.
    window_id = request.args.get("window", type=int)
    window = next((w for w in hall.windows if w.id == window_id and w.active), None)
    if window_id is not None and window is None:
        abort(404)
    if not in_fieldwork(project):
        page = render_template(
            "firm/interview_halls.html", project=project, closed=True
        )
        abort(make_response(page, 409))
    return project, SurveyTarget.of(hall, window, project.version)


def _render_form(project, target, values, *, errors=None, status=200, message=None):
    from surveyapp.services.organisation.catalogue import service_items_for

    if "ticket" not in values:
        values = MultiDict(values)
        values["ticket"] = issue_ticket(
            target.version_id, target.hall_id, target.window_id
        )
    return render_template(
        "public/questionnaire.html",
        token=None,
        target=target,
        definition=target.version.definition,
        service_items=service_items_for(target.hall, None),
        ticket=values.get("ticket"),
        values=values,
        errors=errors or {},
        message=message,
        action=url_for(
            "firm.interview_submit",
            project_id=project.id,
            hall_id=target.hall_id,
            window=target.window_id,
        ),
    ), status


@bp.route("/p/<int:project_id>/interview")
def interview_halls(project_id: int):
    project = project_or_404(project_id, manager=False)
    return render_template(
        "firm/interview_halls.html", project=project, closed=not in_fieldwork(project)
    )


@bp.route("/p/<int:project_id>/interview/<int:hall_id>", methods=["GET", "POST"])
def interview(project_id: int, hall_id: int):
    project, target = _target(project_id, hall_id)
    action = url_for(
        "firm.interview",
        project_id=project.id,
        hall_id=hall_id,
        window=target.window_id,
    )
    scope = ProjectScope.of(project)
    if request.method == "GET":
        return render_screener(target, scope, action)
    return handle_screener(
        target,
        scope,
        request.form,
        screen_action=action,
        render_form=lambda values: _render_form(project, target, values),
        mode="interviewer",
        interviewer_id=current_user.id,
    )


@bp.route("/p/<int:project_id>/interview/<int:hall_id>/submit", methods=["POST"])
def interview_submit(project_id: int, hall_id: int):
    project, target = _target(project_id, hall_id)
    form = request.form
    try:
        ticket = read_ticket(form.get("ticket"))
    except InvalidTicket:
        abort(400)
    ctx = SubmissionContext(
        hall=target.hall,
        window=target.window,
        version=target.version,
        ticket=ticket,
        language=current_language(),
        user_agent=request.headers.get("User-Agent", ""),
        mode="interviewer",
        interviewer_id=current_user.id,
        extra={
            "project_id": project.id,
            "age_band": form.get("age_band", ""),
            "gender": form.get("gender", ""),
        },
    )
    try:
        stored = submit_response(ctx, form.getlist)
    except InvalidSubmission as exc:
        return _render_form(
            project,
            target,
            form,
            errors=exc.errors,
            status=400,
            message=_("Some answers need your attention. Please see the notes below."),
        )
    except InvalidTicket:
        abort(409)
    except DBAPIError:
        db.session.rollback()
        return _render_form(
            project,
            target,
            form,
            status=503,
            message=_(
                "We could not save your answers just now. "
                "Please try again in a minute; what you entered "
                "is kept below."
            ),
        )
    if stored.over_quota:
        flash(_("Saved, but the cell was already full: kept as over quota."), "error")
    else:
        flash(_("Saved. Ready for the next respondent."), "success")
    return redirect(
        url_for(
            "firm.interview",
            project_id=project.id,
            hall_id=hall_id,
            window=target.window_id,
        ),
        code=303,
    )
