"""Firm routes: projects, dashboard, frame import, sample plan and exports."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.analysis.sampling import sample_size
from surveyapp.downloads import no_store, send_table
from surveyapp.firm import bp
from surveyapp.firm.forms import CallbackForm, PlanForm, SampleSizeForm, UploadForm
from surveyapp.models.users import ROLE_FIRM_MANAGER
from surveyapp.services.fieldwork import frames, plans
from surveyapp.services.fieldwork import progress as fieldwork
from surveyapp.services.fieldwork.projects import (
    NotYours,
    list_projects,
    project_for_user,
)
from surveyapp.tables.reader import FileRefused
from surveyapp.tables.writer import FORMATS
from surveyapp.uploads import allow_uploads

# Frames and transactions may be larger than other forms (FIRM_UPLOAD_MAX_BYTES).
allow_uploads(bp, "frame", "transactions")


def project_or_404(project_id: int, *, manager: bool = True):
    """The current user's project; another firm's is 404, a manager page 403."""
    try:
        project = project_for_user(project_id, current_user)
    except NotYours:
        abort(404)
    if manager and current_user.role != ROLE_FIRM_MANAGER:
        abort(403)
    return project


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        abort(404)
    return fmt


@bp.route("/")
def index():
    return render_template(
        "firm/index.html", projects=list_projects(current_user.firm_id)
    )


@bp.route("/p/<int:project_id>")
def project(project_id: int):
    project = project_or_404(project_id)
    return render_template(
        "firm/project.html",
        project=project,
        fill=fieldwork.cell_fill(project),
        progress=fieldwork.daily_progress(project),
        interviewers=fieldwork.interviewer_figures(project),
        plan=plans.latest_plan(project.id),
        categories=fieldwork.category_names(project),
    )


@bp.route("/p/<int:project_id>/quotas.<fmt>")
def export_quotas(project_id: int, fmt: str):
    project = project_or_404(project_id)
    data = fieldwork.export_fill(project, _fmt(fmt))
    return send_table(data, fmt, f"quotas-{project.code}-{date.today().isoformat()}")


@bp.route("/templates/<kind>.<fmt>")
def template(kind: str, fmt: str):
    if kind not in ("frame", "transactions"):
        abort(404)
    return send_table(frames.template_bytes(kind, _fmt(fmt)), fmt, f"{kind}-template")


def _upload(project, kind: str):
    form = UploadForm()
    problems, status = [], 200
    if form.validate_on_submit():
        upload = form.file.data
        importer = (
            frames.import_frame if kind == "frame" else frames.import_transactions
        )
        try:
            count = importer(project, upload.read(), upload.filename or "")
        except FileRefused as exc:
            problems, status = exc.problems, 400
            flash(
                _(
                    "The file was refused and nothing was imported. "
                    "Please correct these problems:"
                ),
                "error",
            )
        else:
            flash(_("Imported %(count)d rows.", count=count), "success")
            return redirect(url_for(f"firm.{kind}", project_id=project.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "firm/upload.html", project=project, form=form, kind=kind, problems=problems
    ), status


@bp.route("/p/<int:project_id>/frame", methods=["GET", "POST"])
def frame(project_id: int):
    return _upload(project_or_404(project_id), "frame")


@bp.route("/p/<int:project_id>/transactions", methods=["GET", "POST"])
def transactions(project_id: int):
    return _upload(project_or_404(project_id), "transactions")


@bp.route("/sample-size")
def sample_size_helper():
    form = SampleSizeForm(request.args)
    result = None
    if request.args and form.validate():
        result = sample_size(
            form.margin.data,
            float(form.confidence.data),
            form.p.data,
            form.deff.data,
            form.population.data,
        )
    status = 400 if request.args and result is None else 200
    return render_template("firm/sample_size.html", form=form, result=result), status


@bp.route("/p/<int:project_id>/plan", methods=["GET", "POST"])
def plan(project_id: int):
    project = project_or_404(project_id)
    form = PlanForm()
    form.offer_previous_projects(
        p for p in list_projects(current_user.firm_id) if p.id != project.id
    )
    preview, status = None, 200
    if form.validate_on_submit():
        spec = plans.PlanInput(
            n=form.n.data,
            method=form.method.data,
            minimum=form.minimum.data or 0,
            sd_guess=form.sd_guess.data if form.sd_guess.data is not None else 0.5,
            previous_project_id=form.previous_project.data or None,
        )
        try:
            if request.form.get("action") == "save":
                plans.save_plan(project, spec, current_user)
                flash(_("The plan was saved and the quota targets set."), "success")
                return redirect(url_for("firm.project", project_id=project.id))
            preview = plans.compute_plan(project, spec)
        except plans.PlanError as exc:
            flash(str(exc), "error")
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template(
        "firm/plan.html",
        project=project,
        form=form,
        preview=preview,
        plan=plans.latest_plan(project.id),
        categories=fieldwork.category_names(project),
    ), status


@bp.route("/p/<int:project_id>/plan.<fmt>")
def export_plan(project_id: int, fmt: str):
    project = project_or_404(project_id)
    plan = plans.latest_plan(project.id)
    if plan is None:
        abort(404)
    return send_table(plans.export_plan(plan, _fmt(fmt)), fmt, f"plan-{project.code}")


@bp.route("/p/<int:project_id>/callbacks", methods=["GET", "POST"])
@no_store
def callbacks(project_id: int):
    project = project_or_404(project_id)
    form = CallbackForm()
    if form.validate_on_submit():
        try:
            data = frames.export_callbacks(
                project,
                form.n.data,
                form.fmt.data,
                current_user,
                form.seed.data,
                request.remote_addr,
            )
        except ValueError as exc:
            flash(
                _("The list could not be drawn: %(reason)s", reason=str(exc)), "error"
            )
        else:
            return send_table(data, form.fmt.data, f"callbacks-{project.code}")
    status = 400 if request.method == "POST" else 200
    return render_template("firm/callbacks.html", project=project, form=form), status
