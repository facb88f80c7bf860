"""Password pages every user reaches: change your own (signed in, any role),
and set a new one by a one-time link (signed out)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from surveyapp.auth import roles_required
from surveyapp.extensions import db
from surveyapp.models import User
from surveyapp.models.users import ROLES
from surveyapp.office import bp
from surveyapp.office.account_forms import ChangePasswordForm, SetPasswordForm
from surveyapp.ratelimits import limit
from surveyapp.services.admin import passwords
from surveyapp.services.admin.users import AccountError


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required(*ROLES)
@limit("RATELIMIT_LOGIN", methods=("POST",))
def account_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        # The User row itself (the session's, from the identity map), not the
        # proxy: login_user below keeps what it is given.
        user = db.session.get(User, current_user.id)
        try:
            passwords.change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                client_address=request.remote_addr,
            )
        except AccountError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            # The session's id names the password (User.get_id): renew it
            # here; every other session of this user has ended.
            login_user(user)
            flash(_("Your password is changed."), "success")
            home = "office.index" if user.is_office else "firm.index"
            return redirect(url_for(home))
    elif request.method == "POST":
        status = 400
    return render_template("office/account/password.html", form=form), status


@bp.route("/password/<token>", methods=["GET", "POST"])
@limit("RATELIMIT_LOGIN", methods=("POST",))
def password_link(token: str):
    try:
        user = passwords.user_for_token(token)
    except passwords.InvalidLink:
        return render_template("office/account/link_invalid.html"), 410
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            passwords.set_password_by_link(
                token, form.new_password.data, client_address=request.remote_addr
            )
        except (AccountError, passwords.InvalidLink) as exc:
            flash(str(exc), "error")
            status = 400
        else:
            flash(_("Your password is set. Please sign in."), "success")
            return redirect(url_for("office.login"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "office/account/set_password.html", form=form, user=user
    ), status
