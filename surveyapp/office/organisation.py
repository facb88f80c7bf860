"""Office pages (admin) for the organisation catalogue, one unit at a time:
list, add, rename or move, retire and restore; and the new city's checklist."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from surveyapp.analysis.catalogue import KINDS
from surveyapp.auth import admin_required
from surveyapp.extensions import db
from surveyapp.numbers import parse_id, whole_number
from surveyapp.office import bp
from surveyapp.services.admin.users import audit
from surveyapp.services.organisation import editing
from surveyapp.services.organisation.setup import (
    install_standard_questionnaire,
    setup_steps,
)
from surveyapp.services.organisation.units import MODELS, counts
from surveyapp.services.paging import page_of

PER_PAGE = 100
KIND_LABELS = {
    "region": _l("Regions"),
    "department": _l("Departments"),
    "hall": _l("Halls"),
    "window": _l("Windows"),
    "service_item": _l("Service items"),
}


@bp.context_processor
def _catalogue_labels():
    # setup_steps is called by the templates that show the checklist (admins).
    return {"kind_labels": KIND_LABELS, "setup_steps": setup_steps}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return kind


def _unit(kind: str, unit_id: int):
    return db.session.get(MODELS[_kind(kind)], unit_id) or abort(404)


def _choices(kind: str) -> dict:
    """The units a form of `kind` picks from: in use only."""
    wanted = {
        "department": ("region",),
        "hall": ("region",),
        "window": ("hall", "department"),
        "service_item": ("department", "window"),
    }.get(kind, ())
    return {
        other: db.session.scalars(
            select(MODELS[other])
            .where(MODELS[other].active)
            .order_by(MODELS[other].code)
        ).all()
        for other in wanted
    }


def _form() -> editing.UnitForm:
    form = request.form

    def number(name: str) -> int | None:
        value = form.get(name, "")
        return parse_id(value)

    return editing.UnitForm(
        name=form.get("name", ""),
        name_en=form.get("name_en", ""),
        parent_id=number("parent_id"),
        department_id=number("department_id"),
        window_ids=tuple(i for v in form.getlist("window_ids") if (i := parse_id(v))),
        contact_email=form.get("contact_email", ""),
    )


@bp.route("/organisation")
@admin_required
def organisation():
    return render_template("office/organisation/index.html", counts=counts())


def _list_page(kind: str, *, status: int = 200, error=None):
    model = MODELS[kind]
    page = max(request.args.get("page", 1, type=whole_number) or 1, 1)
    query = select(model)
    search = (request.args.get("q") or "").strip()
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(model.code.ilike(pattern), model.name.ilike(pattern)))
    rows, total = page_of(
        query.order_by(model.active.desc(), model.code), page, PER_PAGE
    )
    return render_template(
        "office/organisation/units.html",
        kind=kind,
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        search=search,
        choices=_choices(kind),
        values=request.form,
        error=error,
    ), status


@bp.route("/organisation/<kind>")
@admin_required
def org_units(kind: str):
    return _list_page(_kind(kind))


@bp.route("/organisation/<kind>", methods=["POST"])
@admin_required
def org_add(kind: str):
    kind = _kind(kind)
    try:
        row = editing.add_unit(
            kind,
            request.form.get("code", ""),
            _form(),
            actor=current_user,
            client_address=request.remote_addr,
        )
    except editing.UnitError as exc:
        db.session.rollback()
        return _list_page(kind, status=400, error=exc)
    flash(_("Added %(code)s.", code=row.code), "success")
    return redirect(url_for("office.org_units", kind=kind))


def _edit_page(kind: str, row, *, status: int = 200, error=None):
    return render_template(
        "office/organisation/edit.html",
        kind=kind,
        row=row,
        choices=_choices(kind),
        offering={w.id for w in editing.offering(row)}
        if kind == "service_item"
        else set(),
        error=error,
    ), status


@bp.route("/organisation/<kind>/<int:unit_id>")
@admin_required
def org_unit(kind: str, unit_id: int):
    return _edit_page(kind, _unit(kind, unit_id))


@bp.route("/organisation/<kind>/<int:unit_id>", methods=["POST"])
@admin_required
def org_edit(kind: str, unit_id: int):
    row = _unit(kind, unit_id)
    try:
        editing.edit_unit(
            kind, row, _form(), actor=current_user, client_address=request.remote_addr
        )
    except editing.UnitError as exc:
        db.session.rollback()
        return _edit_page(kind, row, status=400, error=exc)
    flash(_("Saved %(code)s.", code=row.code), "success")
    return redirect(url_for("office.org_unit", kind=kind, unit_id=row.id))


@bp.route("/organisation/<kind>/<int:unit_id>/retire", methods=["POST"])
@admin_required
def org_retire(kind: str, unit_id: int):
    row = _unit(kind, unit_id)
    retired = editing.retire_unit(
        kind, row, actor=current_user, client_address=request.remote_addr
    )
    flash(
        _(
            "Retired %(code)s (%(count)d units in all). Past responses keep it.",
            code=row.code,
            count=len(retired),
        ),
        "success",
    )
    return redirect(url_for("office.org_unit", kind=kind, unit_id=row.id))


@bp.route("/organisation/<kind>/<int:unit_id>/restore", methods=["POST"])
@admin_required
def org_restore(kind: str, unit_id: int):
    row = _unit(kind, unit_id)
    try:
        editing.restore_unit(
            kind, row, actor=current_user, client_address=request.remote_addr
        )
    except editing.UnitError as exc:
        return _edit_page(kind, row, status=409, error=exc)
    flash(_("%(code)s is in use again.", code=row.code), "success")
    return redirect(url_for("office.org_unit", kind=kind, unit_id=row.id))


@bp.route("/setup")
@admin_required
def setup():
    return render_template("office/organisation/setup.html")


@bp.route("/setup/questionnaire", methods=["POST"])
@admin_required
def setup_questionnaire():
    if install_standard_questionnaire():
        audit(current_user, "install_questionnaire", "HCP", {}, request.remote_addr)
        flash(_("The standard questionnaire is published."), "success")
    else:
        flash(_("A questionnaire is already published."), "error")
    return redirect(url_for("office.setup"))
