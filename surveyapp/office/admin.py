"""Office administration pages (admin): users and the audit log."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from surveyapp.auth import admin_required
from surveyapp.extensions import db
from surveyapp.models import Firm, User
from surveyapp.numbers import whole_number
from surveyapp.office import bp
from surveyapp.office.account_forms import ROLE_LABELS, NewUserForm, UserForm
from surveyapp.office.audit_words import action_label
from surveyapp.services.admin import passwords
from surveyapp.services.admin.users import (
    AccountError,
    audit_entries,
    list_users,
    set_user_active,
    update_user,
)
from surveyapp.services.organisation.qr import default_base_url

PER_PAGE = 100


@bp.route("/audit")
@admin_required
def audit_log():
    page = max(request.args.get("page", 1, type=whole_number) or 1, 1)
    action = request.args.get("action") or None
    entries, total, actions = audit_entries(action, page, PER_PAGE)
    return render_template(
        "office/audit_log.html",
        entries=entries,
        total=total,
        page=page,
        per_page=PER_PAGE,
        actions=actions,
        action=action,
        action_label=action_label,
    )


def _firms():
    return db.session.scalars(select(Firm).where(Firm.active).order_by(Firm.code)).all()


def _user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _users_page(form: NewUserForm, *, status: int = 200):
    return render_template(
        "office/users/list.html", users=list_users(), form=form, roles=ROLE_LABELS
    ), status


def _link_page(user: User, token: str, *, created: bool = False):
    link = default_base_url().rstrip("/") + url_for("office.password_link", token=token)
    hours = current_app.config["PASSWORD_LINK_MAX_AGE"] // 3600
    return render_template(
        "office/users/link.html", user=user, link=link, hours=hours, created=created
    )


@bp.route("/users")
@admin_required
def users():
    return _users_page(NewUserForm(formdata=None).set_firms(_firms()))


@bp.route("/users", methods=["POST"])
@admin_required
def create_user_page():
    form = NewUserForm().set_firms(_firms())
    if not form.validate_on_submit():
        return _users_page(form, status=400)
    try:
        user = passwords.create_account(
            form.username.data,
            form.role.data,
            firm_id=form.firm_id.data,
            display_name=form.display_name.data or "",
            actor=current_user,
            client_address=request.remote_addr,
        )
    except AccountError as exc:
        flash(str(exc), "error")
        return _users_page(form, status=400)
    token = passwords.issue_password_token(
        user, actor=current_user, client_address=request.remote_addr
    )
    return _link_page(user, token, created=True)


def _user_page(user: User, form: UserForm | None = None, *, status: int = 200):
    form = form or UserForm(
        formdata=None,
        data={
            "display_name": user.display_name,
            "role": user.role,
            "firm_id": user.firm_id,
        },
    )
    return render_template(
        "office/users/edit.html",
        user=user,
        form=form.set_firms(_firms()),
        roles=ROLE_LABELS,
    ), status


@bp.route("/users/<int:user_id>")
@admin_required
def user_page(user_id: int):
    return _user_page(_user(user_id))


@bp.route("/users/<int:user_id>", methods=["POST"])
@admin_required
def update_user_page(user_id: int):
    user = _user(user_id)
    form = UserForm().set_firms(_firms())
    if not form.validate_on_submit():
        return _user_page(user, form, status=400)
    try:
        update_user(
            user,
            role=form.role.data,
            firm_id=form.firm_id.data,
            display_name=form.display_name.data or "",
            actor=current_user,
            client_address=request.remote_addr,
        )
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _user_page(user, form, status=409)
    flash(_("Saved."), "success")
    return redirect(url_for("office.user_page", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def set_user_active_page(user_id: int):
    user = _user(user_id)
    if request.form.get("active") not in ("0", "1"):
        abort(400)
    active = request.form["active"] == "1"
    try:
        set_user_active(
            user, active, actor=current_user, client_address=request.remote_addr
        )
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _user_page(user, status=409)
    flash(
        _("Enabled.") if active else _("Disabled: their sessions have ended."),
        "success",
    )
    return redirect(url_for("office.user_page", user_id=user.id))


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
@admin_required
def password_link_page(user_id: int):
    user = _user(user_id)
    try:
        token = passwords.issue_password_token(
            user, actor=current_user, client_address=request.remote_addr
        )
    except AccountError as exc:
        flash(str(exc), "error")
        return _user_page(user, status=409)
    return _link_page(user, token)
