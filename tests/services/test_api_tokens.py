"""API tokens as a service: created once, stored hashed, revoked by name."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp.models import ApiToken
from surveyapp.services.admin.api_tokens import (
    create_token,
    revoke_tokens,
    token_digest,
)


def test_token_stored_only_as_its_digest(db):
    token = create_token("  scoring  ")
    stored = db.session.scalar(select(ApiToken))
    assert token.startswith("sa_") and stored.name == "scoring"
    assert stored.token_hash == token_digest(token) != token


def test_a_token_needs_a_name(db):
    with pytest.raises(ValueError):
        create_token("   ")


def test_revoke_counts_and_touches_only_that_name(db):
    create_token("scoring")
    create_token("scoring")
    create_token("dashboard")
    assert revoke_tokens("scoring") == 2
    assert revoke_tokens("nobody") == 0
    revoked = {t.name: t.revoked for t in db.session.scalars(select(ApiToken))}
    assert revoked == {"scoring": True, "dashboard": False}
