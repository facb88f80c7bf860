"""Office pages for survey projects: firms, projects, assigning firms, firm users."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Firm, QuestionnaireVersion
from surveyapp.models.sampling import SurveyProject
from surveyapp.models.users import ROLE_ADMIN, ROLE_FIRM_MANAGER, ROLE_INTERVIEWER
from surveyapp.numbers import parse_day, parse_id
from surveyapp.office import bp
from surveyapp.services.admin.users import AccountError, audit, create_user
from surveyapp.services.fieldwork import projects as service
from surveyapp.services.organisation.units import active_halls, active_service_items


def _admin_only() -> None:
    if current_user.role != ROLE_ADMIN:
        abort(403)


def _page(status: int = 200):
    return render_template(
        "office/projects.html",
        projects=service.list_projects(),
        firms=db.session.scalars(select(Firm).order_by(Firm.code)).all(),
        halls=active_halls(),  # retired units take no new fieldwork
        items=active_service_items(),
        versions=db.session.scalars(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.status == "published"
            )
        ).all(),
        values=request.form,
    ), status


@bp.route("/projects")
def projects():
    return _page()


def _date(name: str) -> date:
    day = parse_day(request.form.get(name, ""))
    if day is None:
        raise service.ProjectError(_("Please enter dates as YYYY-MM-DD."))
    return day


def _ints(name: str) -> list[int]:
    return [i for v in request.form.getlist(name) if (i := parse_id(v)) is not None]


@bp.route("/projects", methods=["POST"])
def create_project():
    _admin_only()
    form = request.form
    try:
        project = service.create_project(
            form.get("code", ""),
            form.get("name", ""),
            parse_id(form.get("version_id")) or 0,
            _date("period_start"),
            _date("period_end"),
            firm_id=parse_id(form.get("firm_id")),
            hall_ids=_ints("hall_ids"),
            service_item_ids=_ints("service_item_ids"),
            quota_dimensions=form.getlist("quota_dimensions"),
            over_quota_policy=form.get("over_quota_policy", "screen_out"),
        )
    except service.ProjectError as exc:
        flash(str(exc), "error")
        return _page(400)
    audit(
        current_user, "create_project", project.code, client_address=request.remote_addr
    )
    flash(_("Project created."), "success")
    return redirect(url_for("office.projects"))


@bp.route("/projects/<int:project_id>/firm", methods=["POST"])
def assign_firm(project_id: int):
    _admin_only()
    project = db.session.get(SurveyProject, project_id) or abort(404)
    raw = request.form.get("firm_id", "")
    try:
        service.assign_firm(project, parse_id(raw))
    except service.ProjectError as exc:
        flash(str(exc), "error")
        return _page(400)
    audit(
        current_user,
        "assign_firm",
        project.code,
        {"firm_id": project.firm_id},
        request.remote_addr,
    )
    flash(_("Firm assigned."), "success")
    return redirect(url_for("office.projects"))


@bp.route("/firms", methods=["POST"])
def create_firm():
    _admin_only()
    try:
        firm = service.create_firm(
            request.form.get("code", ""), request.form.get("name", "")
        )
    except service.ProjectError as exc:
        flash(str(exc), "error")
        return _page(400)
    audit(current_user, "create_firm", firm.code, client_address=request.remote_addr)
    flash(_("Firm created."), "success")
    return redirect(url_for("office.projects"))


@bp.route("/firms/users", methods=["POST"])
def create_firm_user():
    _admin_only()
    form = request.form
    role = form.get("role", "")
    firm_id = parse_id(form.get("firm_id"))
    firm = db.session.get(Firm, firm_id) if firm_id else None
    if role not in (ROLE_FIRM_MANAGER, ROLE_INTERVIEWER) or firm is None:
        flash(_("Choose a firm and a firm role."), "error")
        return _page(400)
    try:
        user = create_user(
            form.get("username", ""),
            form.get("password", ""),
            role,
            firm_id=firm.id,
            display_name=form.get("display_name", ""),
        )
    except AccountError as exc:
        flash(str(exc), "error")
        return _page(400)
    audit(
        current_user,
        "create_user",
        user.username,
        {"role": role, "firm": firm.code},
        request.remote_addr,
    )
    flash(_("User created."), "success")
    return redirect(url_for("office.projects"))
