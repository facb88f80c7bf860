"""The questionnaire builder's published side (admin): the phone-width
preview of a draft or version, publishing, the version history with what
changed, the XLSForm download and the assignments to halls and windows."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from surveyapp.auth import admin_required
from surveyapp.numbers import parse_id, whole_number
from surveyapp.office import bp
from surveyapp.office.questionnaires import (
    audit_action,
    flash_problems,
    questionnaire_or_404,
)
from surveyapp.security import CSP
from surveyapp.services.organisation.catalogue import all_halls
from surveyapp.services.questionnaires import assignments as assigning
from surveyapp.services.questionnaires import drafts
from surveyapp.services.questionnaires.answers import answer_cells, clean_answers
from surveyapp.services.questionnaires.definitions import DefinitionError
from surveyapp.services.questionnaires.display import conditional_css
from surveyapp.services.questionnaires.editing import diff
from surveyapp.services.questionnaires.xlsform_export import write_xlsform


def _shown_definition(questionnaire) -> dict:
    number = request.args.get("version", type=whole_number)
    if number is None:
        return drafts.draft_of(questionnaire)
    found = drafts.version(questionnaire, number)
    if found is None:
        abort(404)
    return found.definition


@bp.route("/questionnaires/<code>/preview/<lang>", methods=["GET", "POST"])
@admin_required
def questionnaire_preview(code: str, lang: str):
    """The citizen's form of the draft (or ?version=N) at phone width, in one
    language; a post is checked as a submission would be, and stored nowhere."""
    if lang not in ("zh", "en"):
        abort(404)
    questionnaire = questionnaire_or_404(code)
    definition = _shown_definition(questionnaire)
    values, errors, stored = MultiDict(), {}, None
    if request.method == "POST":
        values = request.form
        with force_locale(lang):
            answers, errors = clean_answers(definition, request.form.getlist)
            errors = {k: str(v) for k, v in errors.items()}
        if not errors:
            stored = answer_cells(definition, answers)
    with force_locale(lang):
        page = render_template(
            "office/questionnaires/preview.html",
            questionnaire=questionnaire,
            definition=definition,
            lang=lang,
            values=values,
            errors=errors,
            stored=stored,
            version=request.args.get("version", type=whole_number),
        )
    response = Response(page, status=400 if errors else 200)
    # The builder shows this page in an iframe of its own (same origin only).
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = CSP.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    return response


@bp.route("/questionnaires/<code>/preview.css")
@admin_required
def questionnaire_preview_css(code: str):
    definition = _shown_definition(questionnaire_or_404(code))
    response = Response(conditional_css(definition), mimetype="text/css")
    response.cache_control.no_cache = True
    return response


@bp.route("/questionnaires/<code>/publish", methods=["POST"])
@admin_required
def publish_questionnaire(code: str):
    questionnaire = questionnaire_or_404(code)
    try:
        version = drafts.publish_draft(questionnaire)
    except DefinitionError as exc:
        flash(_("Not published: please fix these first."), "error")
        flash_problems(exc.problems)
        return redirect(url_for("office.questionnaire_builder", code=code))
    except drafts.QuestionnaireError as exc:
        flash(exc.text(), "error")
        return redirect(url_for("office.questionnaire_builder", code=code))
    audit_action("publish_questionnaire", version.label)
    flash(_("Published as version %(number)s.", number=version.number), "success")
    return redirect(url_for("office.questionnaire_history", code=code))


@bp.route("/questionnaires/<code>/discard", methods=["POST"])
@admin_required
def discard_draft(code: str):
    questionnaire = questionnaire_or_404(code)
    drafts.discard_draft(questionnaire)
    audit_action("discard_questionnaire_draft", code)
    flash(_("The draft was discarded."), "success")
    return redirect(url_for("office.questionnaire_builder", code=code))


@bp.route("/questionnaires/<code>/history")
@admin_required
def questionnaire_history(code: str):
    questionnaire = questionnaire_or_404(code)
    versions = drafts.versions_of(questionnaire)
    numbers = [v.number for v in versions]
    new = request.args.get("b", type=whole_number) or (numbers[-1] if numbers else None)
    old = request.args.get("a", type=whole_number)
    if old is None and new in numbers and numbers.index(new) > 0:
        old = numbers[numbers.index(new) - 1]
    changes = None
    if old in numbers and new in numbers:
        changes = diff(
            drafts.version(questionnaire, old).definition,
            drafts.version(questionnaire, new).definition,
        )
    draft_changes = None
    if questionnaire.draft is not None and versions:
        draft_changes = diff(versions[-1].definition, questionnaire.draft)
    return render_template(
        "office/questionnaires/history.html",
        questionnaire=questionnaire,
        versions=versions,
        old=old,
        new=new,
        changes=changes,
        draft_changes=draft_changes,
    )


@bp.route("/questionnaires/<code>/xlsform.xlsx")
@admin_required
def questionnaire_xlsform(code: str):
    questionnaire = questionnaire_or_404(code)
    number = request.args.get("version", type=whole_number)
    definition = _shown_definition(questionnaire)
    label = str(number) if number is not None else "draft"
    return Response(
        write_xlsform(definition, code, label),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{code}-{label}.xlsx"'},
    )


@bp.route("/questionnaires/<code>/assign", methods=["GET", "POST"])
@admin_required
def questionnaire_assignments(code: str):
    questionnaire = questionnaire_or_404(code)
    halls = {hall.id: hall for hall in all_halls()}
    if request.method == "POST":
        remove = request.form.get("remove") == "1"
        if not remove and questionnaire.latest_published() is None:
            flash(_("Publish this questionnaire before assigning it."), "error")
            return redirect(url_for("office.questionnaire_assignments", code=code))
        places = [_place(halls, place) for place in request.form.getlist("place")]
        for hall, window in places:
            done = assigning.assign(None if remove else questionnaire, hall, window)
            audit_action(
                "assign_questionnaire", done.place, before=done.before, after=done.after
            )
        if places:
            flash(_("Assignments saved."), "success")
        return redirect(url_for("office.questionnaire_assignments", code=code))
    return render_template(
        "office/questionnaires/assign.html",
        questionnaire=questionnaire,
        halls=list(halls.values()),
        rows=assigning.assignments(),
    )


def _place(halls: dict, place: str):
    """The hall and window of a form's `hall:ID` or `window:ID`."""
    kind, _sep, ident = place.partition(":")
    if parse_id(ident) is None:
        abort(400)
    for hall in halls.values():
        if kind == "hall" and hall.id == int(ident):
            return hall, None
        for window in hall.windows:
            if kind == "window" and window.id == int(ident):
                return hall, window
    abort(400)
