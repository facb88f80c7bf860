"""The questionnaire builder (admin): questionnaires, their questions in both
languages, a phone-width preview, publishing, history and assignments.
Server-rendered forms only: every step works without JavaScript."""

from __future__ import annotations

import hashlib
import json

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from surveyapp.auth import admin_required
from surveyapp.office import bp
from surveyapp.services.admin.users import audit
from surveyapp.services.organisation.catalogue import all_halls
from surveyapp.services.questionnaires import assignments as assigning
from surveyapp.services.questionnaires import builder, drafts
from surveyapp.services.questionnaires.answers import answer_cells, clean_answers
from surveyapp.services.questionnaires.definitions import (
    APPEARANCES,
    DefinitionError,
    answer_names,
    walk,
)
from surveyapp.services.questionnaires.display import conditional_css
from surveyapp.services.questionnaires.editing import diff, group_of, texts
from surveyapp.services.questionnaires.fields import (
    PICK_OPS,
    condition_text,
    fields_of,
)
from surveyapp.services.questionnaires.xlsform import (
    XLSFormRefused,
    read_xlsform,
    write_xlsform,
)

KIND_NAMES = {
    "rating5": _l("Five-level rating (好差评)"),
    "grid": _l("Rating grid (index drivers)"),
    "single": _l("Choose one"),
    "multi": _l("Choose any"),
    "scale10": _l("0-10 scale"),
    "integer": _l("Whole number"),
    "decimal": _l("Number"),
    "text": _l("Text"),
    "note": _l("Note (no answer)"),
    "group": _l("Group of questions"),
}
MAX_UPLOAD = 2 * 1024 * 1024


def _questionnaire(code: str):
    questionnaire = drafts.by_code(code)
    if questionnaire is None:
        abort(404)
    return questionnaire


def _flash_problems(problems) -> None:
    for problem in problems:
        flash(problem.text(), "error")


def _audit(action: str, target: str, **detail) -> None:
    audit(current_user, action, target, detail, request.remote_addr)


@bp.route("/questionnaires")
@admin_required
def questionnaires():
    return _list_page()


def _list_page(status: int = 200):
    return render_template(
        "office/questionnaires/list.html",
        questionnaires=drafts.list_questionnaires(),
        values=request.form,
    ), status


@bp.route("/questionnaires", methods=["POST"])
@admin_required
def create_questionnaire():
    form = request.form
    try:
        questionnaire = drafts.create_questionnaire(
            form.get("code", ""),
            texts(zh=form.get("title_zh"), en=form.get("title_en")),
            form.get("start", "blank"),
        )
    except drafts.QuestionnaireError as exc:
        flash(exc.text(), "error")
        return _list_page(400)
    _audit("create_questionnaire", questionnaire.code)
    return redirect(url_for("office.questionnaire_builder", code=questionnaire.code))


@bp.route("/questionnaires/import", methods=["POST"])
@admin_required
def import_questionnaire():
    upload = request.files.get("file")
    code = request.form.get("code", "").strip()
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not data or len(data) > MAX_UPLOAD or not code:
        flash(_("Please choose an XLSForm file (up to 2 MB) and give a code."), "error")
        return _list_page(400)
    try:
        imported = read_xlsform(data)
        questionnaire, _created = drafts.import_draft(code, imported.definition)
    except (XLSFormRefused, DefinitionError) as exc:
        flash(_("The XLSForm was refused; nothing was stored."), "error")
        _flash_problems(exc.problems)
        return _list_page(400)
    except drafts.QuestionnaireError as exc:
        flash(exc.text(), "error")
        return _list_page(400)
    _flash_problems(imported.warnings)
    _audit("import_questionnaire", code, file=upload.filename or "")
    flash(_("The XLSForm is now the draft of %(code)s.", code=code), "success")
    return redirect(url_for("office.questionnaire_builder", code=code))


@bp.route("/questionnaires/<code>")
@admin_required
def questionnaire_builder(code: str):
    questionnaire = _questionnaire(code)
    definition = drafts.draft_of(questionnaire)
    digest = hashlib.sha256(
        json.dumps(definition, sort_keys=True).encode()
    ).hexdigest()[:12]
    return render_template(
        "office/questionnaires/builder.html",
        questionnaire=questionnaire,
        definition=definition,
        rows=list(walk(definition)),
        problems=drafts.problems_of(questionnaire),
        kinds=KIND_NAMES,
        groups=[q["key"] for q, _g in walk(definition) if q["kind"] == "group"],
        digest=digest,
        condition_text=condition_text,
    )


@bp.route("/questionnaires/<code>/texts", methods=["POST"])
@admin_required
def questionnaire_texts(code: str):
    questionnaire = _questionnaire(code)
    form = request.form
    problems = builder.update_texts(
        questionnaire,
        texts(zh=form.get("title_zh"), en=form.get("title_en")),
        texts(zh=form.get("intro_zh"), en=form.get("intro_en")),
    )
    _flash_problems(problems)
    return redirect(url_for("office.questionnaire_builder", code=code))


@bp.route("/questionnaires/<code>/questions", methods=["POST"])
@admin_required
def add_question(code: str):
    questionnaire = _questionnaire(code)
    key, problems = builder.add_question(
        questionnaire, request.form.get("kind", ""), request.form
    )
    if problems:
        _flash_problems(problems)
        return redirect(url_for("office.questionnaire_builder", code=code))
    return redirect(url_for("office.edit_question", code=code, key=key))


@bp.route("/questionnaires/<code>/questions/<key>", methods=["GET", "POST"])
@admin_required
def edit_question(code: str, key: str):
    questionnaire = _questionnaire(code)
    try:
        question, definition = builder.question_of(questionnaire, key)
    except builder.UnknownQuestion:
        abort(404)
    status = 200
    values = MultiDict(fields_of(question))
    values["group"] = group_of(definition, key) or ""
    if request.method == "POST":
        new_key, problems = builder.update_question(questionnaire, key, request.form)
        if not problems:
            flash(_("Saved."), "success")
            return redirect(url_for("office.questionnaire_builder", code=code))
        _flash_problems(problems)
        values, status = request.form, 400
    return render_template(
        "office/questionnaires/question.html",
        questionnaire=questionnaire,
        question=question,
        values=values,
        kinds=KIND_NAMES,
        appearances=APPEARANCES.get(question["kind"], ()),
        earlier=_earlier_names(definition, key),
        ops=PICK_OPS,
        groups=[
            q["key"]
            for q, _g in walk(definition)
            if q["kind"] == "group" and q["key"] != key
        ],
    ), status


def _earlier_names(definition: dict, key: str) -> list[tuple[str, dict, list]]:
    """(name, label, option values) of the answers asked before `key`."""
    earlier = []
    for name, question, item in answer_names(definition):
        if question["key"] == key:
            break
        label = (item or question).get("label") or {}
        values = [o.get("value") for o in question.get("options") or []]
        earlier.append((name, label, values if item is None else []))
    return earlier


@bp.route("/questionnaires/<code>/questions/<key>/move", methods=["POST"])
@admin_required
def move_question(code: str, key: str):
    questionnaire = _questionnaire(code)
    step = -1 if request.form.get("direction") == "up" else 1
    try:
        builder.move_question(questionnaire, key, step)
    except builder.UnknownQuestion:
        abort(404)
    return redirect(url_for("office.questionnaire_builder", code=code) + f"#row-{key}")


@bp.route("/questionnaires/<code>/questions/<key>/delete", methods=["POST"])
@admin_required
def delete_question(code: str, key: str):
    questionnaire = _questionnaire(code)
    try:
        builder.delete_question(questionnaire, key)
    except builder.UnknownQuestion:
        abort(404)
    flash(_("Question %(key)s deleted.", key=key), "success")
    return redirect(url_for("office.questionnaire_builder", code=code))


def _shown_definition(questionnaire) -> dict:
    number = request.args.get("version", type=int)
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
    questionnaire = _questionnaire(code)
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
            version=request.args.get("version", type=int),
        )
    response = Response(page, status=400 if errors else 200)
    # The builder shows this page in an iframe of its own (same origin only).
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'self'; "
        "base-uri 'self'; object-src 'none'"
    )
    return response


@bp.route("/questionnaires/<code>/preview.css")
@admin_required
def questionnaire_preview_css(code: str):
    definition = _shown_definition(_questionnaire(code))
    response = Response(conditional_css(definition), mimetype="text/css")
    response.cache_control.no_cache = True
    return response


@bp.route("/questionnaires/<code>/publish", methods=["POST"])
@admin_required
def publish_questionnaire(code: str):
    questionnaire = _questionnaire(code)
    try:
        version = drafts.publish_draft(questionnaire)
    except DefinitionError as exc:
        flash(_("Not published: please fix these first."), "error")
        _flash_problems(exc.problems)
        return redirect(url_for("office.questionnaire_builder", code=code))
    except drafts.QuestionnaireError as exc:
        flash(exc.text(), "error")
        return redirect(url_for("office.questionnaire_builder", code=code))
    _audit("publish_questionnaire", version.label)
    flash(_("Published as version %(number)s.", number=version.number), "success")
    return redirect(url_for("office.questionnaire_history", code=code))


@bp.route("/questionnaires/<code>/discard", methods=["POST"])
@admin_required
def discard_draft(code: str):
    questionnaire = _questionnaire(code)
    drafts.discard_draft(questionnaire)
    _audit("discard_questionnaire_draft", code)
    flash(_("The draft was discarded."), "success")
    return redirect(url_for("office.questionnaire_builder", code=code))


@bp.route("/questionnaires/<code>/history")
@admin_required
def questionnaire_history(code: str):
    questionnaire = _questionnaire(code)
    versions = drafts.versions_of(questionnaire)
    numbers = [v.number for v in versions]
    new = request.args.get("b", type=int) or (numbers[-1] if numbers else None)
    old = request.args.get("a", type=int)
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
    questionnaire = _questionnaire(code)
    number = request.args.get("version", type=int)
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
    questionnaire = _questionnaire(code)
    halls = {hall.id: hall for hall in all_halls()}
    if request.method == "POST":
        remove = request.form.get("remove") == "1"
        if not remove and questionnaire.latest_published() is None:
            flash(_("Publish this questionnaire before assigning it."), "error")
            return redirect(url_for("office.questionnaire_assignments", code=code))
        places = [_place(halls, place) for place in request.form.getlist("place")]
        for hall, window in places:
            done = assigning.assign(None if remove else questionnaire, hall, window)
            _audit(
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
    if not ident.isdigit():
        abort(400)
    for hall in halls.values():
        if kind == "hall" and hall.id == int(ident):
            return hall, None
        for window in hall.windows:
            if kind == "window" and window.id == int(ident):
                return hall, window
    abort(400)
