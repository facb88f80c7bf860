"""The questionnaire builder (admin): questionnaires, XLSForm upload, and
their questions in both languages (questionnaire_versions.py: preview,
publishing, history, assignments). Server-rendered forms only: every step
works without JavaScript."""

from __future__ import annotations

import hashlib
import json

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from surveyapp.auth import admin_required
from surveyapp.office import bp
from surveyapp.services.admin.users import audit
from surveyapp.services.questionnaires import builder, drafts
from surveyapp.services.questionnaires.definitions import (
    APPEARANCES,
    DefinitionError,
    answer_names,
    walk,
)
from surveyapp.services.questionnaires.editing import group_of, texts
from surveyapp.services.questionnaires.fields import (
    PICK_OPS,
    condition_text,
    fields_of,
)
from surveyapp.services.questionnaires.xlsform import XLSFormRefused, read_xlsform

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


def questionnaire_or_404(code: str):
    questionnaire = drafts.by_code(code)
    if questionnaire is None:
        abort(404)
    return questionnaire


def flash_problems(problems) -> None:
    for problem in problems:
        flash(problem.text(), "error")


def audit_action(action: str, target: str, **detail) -> None:
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
    audit_action("create_questionnaire", questionnaire.code)
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
        flash_problems(exc.problems)
        return _list_page(400)
    except drafts.QuestionnaireError as exc:
        flash(exc.text(), "error")
        return _list_page(400)
    flash_problems(imported.warnings)
    audit_action("import_questionnaire", code, file=upload.filename or "")
    flash(_("The XLSForm is now the draft of %(code)s.", code=code), "success")
    return redirect(url_for("office.questionnaire_builder", code=code))


@bp.route("/questionnaires/<code>")
@admin_required
def questionnaire_builder(code: str):
    questionnaire = questionnaire_or_404(code)
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
    questionnaire = questionnaire_or_404(code)
    form = request.form
    problems = builder.update_texts(
        questionnaire,
        texts(zh=form.get("title_zh"), en=form.get("title_en")),
        texts(zh=form.get("intro_zh"), en=form.get("intro_en")),
    )
    flash_problems(problems)
    return redirect(url_for("office.questionnaire_builder", code=code))


@bp.route("/questionnaires/<code>/questions", methods=["POST"])
@admin_required
def add_question(code: str):
    questionnaire = questionnaire_or_404(code)
    key, problems = builder.add_question(
        questionnaire, request.form.get("kind", ""), request.form
    )
    if problems:
        flash_problems(problems)
        return redirect(url_for("office.questionnaire_builder", code=code))
    return redirect(url_for("office.edit_question", code=code, key=key))


@bp.route("/questionnaires/<code>/questions/<key>", methods=["GET", "POST"])
@admin_required
def edit_question(code: str, key: str):
    questionnaire = questionnaire_or_404(code)
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
        flash_problems(problems)
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
    questionnaire = questionnaire_or_404(code)
    step = -1 if request.form.get("direction") == "up" else 1
    try:
        builder.move_question(questionnaire, key, step)
    except builder.UnknownQuestion:
        abort(404)
    return redirect(url_for("office.questionnaire_builder", code=code) + f"#row-{key}")


@bp.route("/questionnaires/<code>/questions/<key>/delete", methods=["POST"])
@admin_required
def delete_question(code: str, key: str):
    questionnaire = questionnaire_or_404(code)
    try:
        builder.delete_question(questionnaire, key)
    except builder.UnknownQuestion:
        abort(404)
    flash(_("Question %(key)s deleted.", key=key), "success")
    return redirect(url_for("office.questionnaire_builder", code=code))
