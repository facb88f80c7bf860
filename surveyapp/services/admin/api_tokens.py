"""Bearer tokens of the JSON API: created, revoked; only the SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import ApiToken


def token_digest(token: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str) -> str:
    """Store a new token for `name` and return it (shown once, never stored)."""
    name = name.strip()
    if not name:
        raise ValueError("a token needs a name")
    token = "sa_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name[:80], token_hash=token_digest(token)))
    db.session.commit()
    return token


def revoke_tokens(name: str) -> int:
    """Revoke every token named `name`; return how many there were."""
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.name == name)).all()
    for token in tokens:
        token.revoked = True
    db.session.commit()
    return len(tokens)
