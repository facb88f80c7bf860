"""Security headers and salted hashing of personal identifiers (PIPL)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from flask.sessions import SecureCookieSessionInterface

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, which builds its signing serializer
    before it looks for a cookie and reads the cookie's settings before it
    looks at the session; citizens have none (public/routes.py), so their
    requests skip that work."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        # What the parent does for an empty session nobody changed (a Vary
        # header if it was read, no cookie), without its look-ups of the
        # cookie's settings first.
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def add_security_headers(response):
    """Each header unless the view set its own (one look at the response's
    headers, not one per header: this runs on every request)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    wanted = SECURITY_HEADERS
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        wanted += (HSTS,)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
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
    from urllib.parse import unquote_to_bytes

    from flask import abort, request

    if request.mimetype != "application/x-www-form-urlencoded":
        return
    raw = request.get_data(cache=True)
    # The separators are ASCII, so the body decodes as UTF-8 exactly when every
    # name and value does: one pass instead of parsing the form twice.
    try:
        raw.decode("ascii")
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        abort(400)
