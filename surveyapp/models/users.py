"""Accounts: office staff, survey firms and their users, API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.extensions import db
from surveyapp.models.base import utcnow

ROLE_ADMIN = "admin"
ROLE_ANALYST = "analyst"
ROLE_FIRM_MANAGER = "firm_manager"
ROLE_INTERVIEWER = "interviewer"
ROLES = (ROLE_ADMIN, ROLE_ANALYST, ROLE_FIRM_MANAGER, ROLE_INTERVIEWER)
OFFICE_ROLES = (ROLE_ADMIN, ROLE_ANALYST)
FIRM_ROLES = (ROLE_FIRM_MANAGER, ROLE_INTERVIEWER)


class Firm(db.Model):
    """A third-party survey firm contracted by the city."""

    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    users: Mapped[list[User]] = relationship(back_populates="firm")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Raised when the user signs out: every session opened before ends
    # (a copied cookie opens nothing once its owner has signed out).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    firm: Mapped[Firm | None] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login
        """A disabled user, or a user of a deactivated firm, has no access."""
        return self.active and (self.firm is None or self.firm.active)

    @property
    def credential_fingerprint(self) -> str:
        """Changes whenever the password does, and at every sign-out. It is a
        digest of the (salted scrypt) hash, so it tells nothing about the
        password."""
        material = f"{self.password_hash}:{self.session_version}"
        return hashlib.sha256(material.encode()).hexdigest()[:20]

    def get_id(self) -> str:
        # Flask-Login's alternative token: the session names the password it
        # was opened with, so a new password ends every other session
        # (services/admin/users.py session_user).
        return f"{self.id}:{self.credential_fingerprint}"

    @property
    def is_office(self) -> bool:
        return self.role in OFFICE_ROLES

    @property
    def is_firm(self) -> bool:
        return self.role in FIRM_ROLES

    def set_password(self, password: str) -> None:
        # werkzeug's scrypt KDF (salted, memory-hard).
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)
