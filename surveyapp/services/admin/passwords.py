"""Passwords: a user changes their own, and an admin hands out a one-time link
to set a new one (after a reset, or for a new account).

A link is signed with the secret key, expires after PASSWORD_LINK_MAX_AGE
seconds, and names the password it replaces, so it works once: setting a
password (by the link or otherwise) makes every earlier link useless, and ends
every session opened with the old one (User.get_id). No password is ever
shown to or chosen by the admin.
"""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from surveyapp.extensions import db
from surveyapp.models import User
from surveyapp.services.admin.users import (
    AccountError,
    audit,
    check_password_rules,
    create_user,
)

_SALT = "password-link"


class InvalidLink(ValueError):
    """A password link that is forged, expired, already used or whose user
    was disabled."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_password_token(
    user: User, *, actor: User | None, client_address: str | None = None
) -> str:
    """A one-time token for `user` to set a new password (the link's last
    part); audited."""
    if not user.active:
        raise AccountError(_l("Enable the user first."))
    audit(actor, "password_link", user.username, {}, client_address)
    return _serializer().dumps([user.id, user.credential_fingerprint])


def user_for_token(token: str) -> User:
    """The user a link is for, or InvalidLink."""
    try:
        user_id, fingerprint = _serializer().loads(
            token, max_age=current_app.config["PASSWORD_LINK_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature, ValueError, TypeError):
        raise InvalidLink(token) from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if (
        user is None
        or not user.active
        or not secrets.compare_digest(str(fingerprint), user.credential_fingerprint)
    ):
        raise InvalidLink(token)
    return user


def set_password_by_link(
    token: str, password: str, *, client_address: str | None = None
) -> User:
    """Set the password a link was made for; the link is spent."""
    user = user_for_token(token)
    check_password_rules(password)
    user.set_password(password)
    audit(user, "password_set_by_link", user.username, {}, client_address)
    return user


def change_password(
    user: User, current: str, new: str, *, client_address: str | None = None
) -> None:
    """A user's own change: the current password first; every other session
    of theirs ends."""
    if not user.check_password(current):
        raise AccountError(_l("The current password is not right."))
    if new == current:
        raise AccountError(_l("Choose a password different from the current one."))
    check_password_rules(new)
    user.set_password(new)
    audit(user, "change_password", user.username, {}, client_address)


def create_account(
    username: str,
    role: str,
    *,
    firm_id: int | None,
    display_name: str,
    actor: User | None,
    client_address: str | None = None,
) -> User:
    """A new user with an unguessable password nobody knows: they choose
    their own through the link the admin hands them (issue_password_token)."""
    user = create_user(
        username,
        secrets.token_urlsafe(32),
        role,
        firm_id=firm_id,
        display_name=display_name,
    )
    detail = {"role": role, "firm_id": user.firm_id}
    audit(actor, "create_user", user.username, detail, client_address)
    return user
