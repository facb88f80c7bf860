"""Office administration pages: the audit log of privileged actions."""

from __future__ import annotations

from flask import render_template, request

from surveyapp.auth import admin_required
from surveyapp.office import bp
from surveyapp.services.admin.users import audit_entries

PER_PAGE = 100


@bp.route("/audit")
@admin_required
def audit_log():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
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
    )
