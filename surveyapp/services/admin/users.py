"""Accounts: creating and managing users, signing in and sessions, and the
audit log of privileged actions."""

from __future__ import annotations

import hmac
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.extensions import db
from surveyapp.models import AuditLog, Firm, User
from surveyapp.models.base import utcnow
from surveyapp.models.users import FIRM_ROLES, ROLE_ADMIN, ROLES
from surveyapp.numbers import parse_id
from surveyapp.security import salted_hash
from surveyapp.services.paging import page_of

MIN_PASSWORD = 10
MAX_PASSWORD = 200


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ValueError):
    """A change to an account refused; the message is translated when shown."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            _l("The password needs at least %(n)d characters.", n=MIN_PASSWORD)
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            _l("The password may have at most %(n)d characters.", n=MAX_PASSWORD)
        )


def _check_role(role: str, firm_id: int | None) -> int | None:
    """The firm a user of `role` belongs to: firm roles need an active firm,
    office roles have none."""
    if role not in ROLES:
        raise AccountError(_l("Unknown role."))
    if role not in FIRM_ROLES:
        return None
    firm = db.session.get(Firm, firm_id) if firm_id else None
    if firm is None or not firm.active:
        raise AccountError(_l("A firm role needs a firm."))
    return firm.id


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    firm_id: int | None = None,
    display_name: str = "",
) -> User:
    username = username.strip()
    if not username:
        raise AccountError(_l("A username is required."))
    if len(username) > 80 or len(display_name) > 120:
        raise AccountError(_l("The name is too long."))
    firm_id = _check_role(role, firm_id)
    check_password_rules(password)
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(_l("User %(name)s already exists.", name=username))
    user = User(
        username=username,
        role=role,
        firm_id=firm_id,
        display_name=display_name.strip(),
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
    if not user.is_active or not user.check_password(password):
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


def session_user(session_id: str) -> User | None:
    """The user a session belongs to (Flask-Login's user loader, on every
    signed-in request): none once the user or their firm is disabled, or the
    password has changed or the user signed out since the session began
    (User.get_id)."""
    user_id, _, fingerprint = session_id.partition(":")
    if parse_id(user_id) is None or not fingerprint:
        return None
    user = db.session.get(User, parse_id(user_id))
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(user.credential_fingerprint, fingerprint):
        return None
    return user


def end_sessions(user: User) -> None:
    """Sign-out: every session of the user ends, this one and any copy of its
    cookie (the session names User.session_version through get_id)."""
    user.session_version = (user.session_version or 0) + 1
    db.session.commit()


def list_users() -> list[User]:
    return list(
        db.session.scalars(
            select(User).options(joinedload(User.firm)).order_by(User.username)
        )
    )


def _other_active_admins(user: User) -> int:
    # Locked, so two admins demoting each other at once cannot both pass.
    rows = db.session.scalars(
        select(User.id)
        .where(User.role == ROLE_ADMIN, User.active, User.id != user.id)
        .with_for_update()
    ).all()
    return len(rows)


def _keep_an_admin(user: User, role: str, active: bool) -> None:
    """Refuse to leave the city without an active admin."""
    removes = user.role == ROLE_ADMIN and user.active
    removes = removes and (role != ROLE_ADMIN or not active)
    if removes and _other_active_admins(user) == 0:
        raise AccountError(
            _l("This is the last active admin: make another user admin first.")
        )


def update_user(
    user: User,
    *,
    role: str,
    firm_id: int | None,
    display_name: str,
    actor: User | None,
    client_address: str | None = None,
) -> User:
    """Change a user's role (and firm, for firm roles) and display name."""
    firm_id = _check_role(role, firm_id)
    if len(display_name) > 120:
        raise AccountError(_l("The name is too long."))
    _keep_an_admin(user, role, user.active)
    before = {"role": user.role, "firm_id": user.firm_id, "name": user.display_name}
    user.role, user.firm_id = role, firm_id
    user.display_name = display_name.strip()
    after = {"role": user.role, "firm_id": user.firm_id, "name": user.display_name}
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit(actor, "update_user", user.username, changed, client_address, commit=False)
    db.session.commit()
    return user


def set_user_active(
    user: User,
    active: bool,
    *,
    actor: User | None,
    client_address: str | None = None,
) -> User:
    """Disable (every session ends at its next request) or enable a user."""
    _keep_an_admin(user, user.role, active)
    user.active = active
    action = "enable_user" if active else "disable_user"
    audit(actor, action, user.username, {}, client_address, commit=False)
    db.session.commit()
    return user
