"""Authorization in one place: role decorators applied to whole blueprints."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from surveyapp.models.users import FIRM_ROLES, OFFICE_ROLES, ROLE_ADMIN


def roles_required(*roles: str):
    """Anonymous users go to sign-in; signed-in users without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("office.login", next=request.full_path))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


office_required = roles_required(*OFFICE_ROLES)
admin_required = roles_required(ROLE_ADMIN)
firm_required = roles_required(*FIRM_ROLES)


def protect_blueprint(bp, check, exempt: tuple[str, ...] = ()) -> None:
    """Apply `check` (a decorator) to every view of `bp` except the exempt ones."""

    @bp.before_request
    def _guard():
        endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
        if endpoint in exempt:
            return None
        return check(lambda: None)()
