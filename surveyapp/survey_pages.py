"""Pages shared by the citizen's QR path and the interviewer's tablet: the
screener step that decides a respondent's quota cell."""

from __future__ import annotations

from flask import render_template
from werkzeug.datastructures import MultiDict

from surveyapp.i18n import current_language
from surveyapp.models.sampling import AGE_BANDS, GENDERS
from surveyapp.services.fieldwork.projects import ProjectScope
from surveyapp.services.fieldwork.quotas import (
    read_screener,
    record_screen_out,
    screener_items,
)
from surveyapp.services.questionnaires.versions import SurveyTarget


def render_screener(
    target: SurveyTarget,
    project: ProjectScope,
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
    project: ProjectScope,
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
