"""The screener step: cell-deciding questions asked before the questionnaire,
shared by the citizen's QR path and the interviewer's tablet."""

from __future__ import annotations

from flask import render_template, request, url_for
from werkzeug.datastructures import MultiDict

from surveyapp.extensions import limiter
from surveyapp.i18n import current_language
from surveyapp.models.sampling import AGE_BANDS, GENDERS, SurveyProject
from surveyapp.public import bp
from surveyapp.public.routes import _invalid_code, _render_form, _submit_limit
from surveyapp.services.projects import active_project_for
from surveyapp.services.qr import InvalidCode
from surveyapp.services.questionnaires import SurveyTarget, resolve_token
from surveyapp.services.quotas import read_screener, record_screen_out, screener_items


def project_needing_screener(target: SurveyTarget) -> SurveyProject | None:
    """The active project whose scope has this hall, if it has items to ask."""
    project = active_project_for(target.hall_id)
    if project is None or not screener_items(project, target.hall, target.window):
        return None
    return project


def render_screener(
    target: SurveyTarget,
    project: SurveyProject,
    action: str,
    *,
    values=None,
    errors=None,
    status: int = 200,
):
    return (
        render_template(
            "public/screener.html",
            target=target,
            project=project,
            action=action,
            items=screener_items(project, target.hall, target.window),
            age_bands=AGE_BANDS if "age_band" in project.quota_dimensions else (),
            genders=GENDERS if "gender" in project.quota_dimensions else (),
            values=values or MultiDict(),
            errors=errors or {},
        ),
        status,
    )


def handle_screener(
    target: SurveyTarget,
    project: SurveyProject,
    form,
    *,
    screen_action: str,
    render_form,
    mode: str = "qr",
    interviewer_id: int | None = None,
):
    """Check the screener answers: errors re-ask them, a full cell under the
    screen_out policy ends politely, otherwise the questionnaire follows with
    the answers carried in hidden fields."""
    screener, errors = read_screener(project, target.hall, target.window, form.getlist)
    if errors:
        return render_screener(
            target, project, screen_action, values=form, errors=errors, status=400
        )
    if screener.full and project.over_quota_policy == "screen_out":
        record_screen_out(
            screener,
            target.hall,
            mode=mode,
            language=current_language(),
            interviewer_id=interviewer_id,
        )
        return render_template(
            "public/screened_out.html",
            mode=mode,
            again=screen_action if mode == "interviewer" else None,
        )
    values = MultiDict({"screened": "1", **screener.hidden_fields()})
    return render_form(values)


@bp.route("/s/<token>/screen", methods=["POST"])
@limiter.per_address(_submit_limit)
def screen(token: str):
    try:
        target = resolve_token(token)
    except InvalidCode:
        return _invalid_code()
    project = project_needing_screener(target)
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
