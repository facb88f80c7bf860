"""Accounts: creating users, signing in, and the audit log of privileged actions."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.extensions import db
from surveyapp.models import AuditLog, User
from surveyapp.models.base import utcnow
from surveyapp.models.users import ROLES
from surveyapp.security import salted_hash
from surveyapp.services.paging import page_of

MIN_PASSWORD = 10


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ValueError):
    """A user that cannot be created as asked."""


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    firm_id: int | None = None,
    display_name: str = "",
) -> User:
    username = username.strip()
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if not username:
        raise AccountError("a username is required")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"user {username!r} already exists")
    user = User(
        username=username, role=role, firm_id=firm_id, display_name=display_name
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        # Spend the same time as a real check so usernames cannot be probed.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def audit_entries(
    action: str | None, page: int, per_page: int
) -> tuple[list[AuditLog], int, list[str]]:
    """A page of the audit log, newest first, optionally of one action; its
    total; and every action logged so far (for the filter)."""
    query = select(AuditLog)
    if action:
        query = query.where(AuditLog.action == action)
    entries, total = page_of(
        query.options(joinedload(AuditLog.user)).order_by(
            AuditLog.created_at.desc(), AuditLog.id.desc()
        ),
        page,
        per_page,
    )
    actions = db.session.scalars(
        select(AuditLog.action).distinct().order_by(AuditLog.action)
    ).all()
    return entries, total, list(actions)


def audit(
    user: User | None,
    action: str,
    target: str = "",
    detail: dict | None = None,
    client_address: str | None = None,
    *,
    commit: bool = True,
) -> AuditLog:
    entry = AuditLog(
        user_id=user.id if user is not None and getattr(user, "id", None) else None,
        action=action,
        target=target,
        detail=detail or {},
        ip_hash=salted_hash(client_address, purpose="ip"),
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry
