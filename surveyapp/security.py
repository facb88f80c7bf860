"""Security headers and salted hashing of personal identifiers (PIPL)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def salted_hash(
    value: str | None, *, purpose: str, salt: str | None = None
) -> str | None:
    """HMAC-SHA256 of a personal identifier; the purpose keeps hashes unlinkable
    across uses (an address hash never equals a phone hash)."""
    if not value:
        return None
    key = (salt or current_app.config["HASH_SALT"]).encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _fernet(secret: str | None = None):
    from cryptography.fernet import Fernet

    secret = secret or current_app.config["SECRET_KEY"]
    digest = hashlib.sha256(f"phone-encryption:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def reject_invalid_utf8() -> None:
    """A form body that is not valid UTF-8 gets a clear 400 instead of being
    stored with replacement characters."""
    from urllib.parse import parse_qsl

    from flask import abort, request

    if request.mimetype != "application/x-www-form-urlencoded":
        return
    raw = request.get_data(cache=True)
    try:
        parse_qsl(raw.decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        abort(400)
