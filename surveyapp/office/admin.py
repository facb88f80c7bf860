"""Office administration pages: the audit log of privileged actions."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from surveyapp.auth import admin_required
from surveyapp.extensions import db
from surveyapp.models import AuditLog
from surveyapp.office import bp

PER_PAGE = 100


@bp.route("/audit")
@admin_required
def audit_log():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    action = request.args.get("action") or None
    query = select(AuditLog)
    if action:
        query = query.where(AuditLog.action == action)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = db.session.scalars(
        query.options(joinedload(AuditLog.user))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    actions = db.session.scalars(
        select(AuditLog.action).distinct().order_by(AuditLog.action)
    ).all()
    return render_template(
        "office/audit_log.html",
        entries=entries,
        total=total,
        page=page,
        per_page=PER_PAGE,
        actions=actions,
        action=action,
    )
