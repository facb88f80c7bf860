"""Bearer-token check of the JSON API (tokens are made in services/admin/api_tokens.py)."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import select

from surveyapp.errors import error_response
from surveyapp.extensions import db
from surveyapp.models import ApiToken
from surveyapp.models.base import utcnow
from surveyapp.services.admin.api_tokens import token_digest

PUBLIC_ENDPOINTS = ("api.openapi",)


def token_for(header: str | None) -> ApiToken | None:
    if not header or not header.startswith("Bearer "):
        return None
    value = header.removeprefix("Bearer ").strip()
    if not value:
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_digest(value))
    )
    if token is None or token.revoked:
        return None
    return token


def require_token():
    """before_request of the API blueprint: 401 JSON without a valid token."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = token_for(request.headers.get("Authorization"))
    if token is None:
        response, status = error_response(
            401,
            _("A valid API token is required (Authorization: Bearer ...)."),
            code="unauthorized",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="surveyapp"'
        return response, status
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()
    g.api_token = token
    return None
