"""Security headers and salted hashing of personal identifiers (PIPL)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from urllib.parse import parse_qsl

from flask import current_app
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser

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
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        # What the parent does for an empty session nobody changed (a Vary
        # header if it was read, no cookie), without its look-ups of the
        # cookie's settings first.
        if not session and not session.modified:
            if session.accessed:
                if "Vary" in response.headers:
                    response.vary.add("Cookie")
                else:  # the same header, without parsing an empty one
                    response.headers["Vary"] = "Cookie"
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
    mac = _keyed_hmac(salt or current_app.config["HASH_SALT"]).copy()
    mac.update(f"{purpose}:{value}".encode())
    return mac.hexdigest()


@lru_cache(maxsize=8)
def _keyed_hmac(salt: str) -> hmac.HMAC:
    """An HMAC keyed with the salt, copied for each value: a copy skips the
    key's padding and two hash set-ups (three hashes in every submission)."""
    return hmac.new(salt.encode(), digestmod=hashlib.sha256)


def _fernet(secret: str | None = None):
    from cryptography.fernet import Fernet

    secret = secret or current_app.config["SECRET_KEY"]
    digest = hashlib.sha256(f"phone-encryption:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


class StrictFormDataParser(FormDataParser):
    """A form body that is not valid UTF-8 gets a clear 400 instead of being
    stored with its bytes re-escaped as text (werkzeug's own handler), which
    could not then be told apart from percent signs a citizen typed.

    The urlencoded body is decoded strictly while it is parsed: one pass, not
    a check of its own before werkzeug parses it again."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        try:
            items = parse_qsl(
                stream.read().decode(), keep_blank_values=True, errors="strict"
            )
        except UnicodeDecodeError:
            # Not a ValueError to parse(), which would drop the form silently.
            raise BadRequest("The form is not valid UTF-8.") from None
        return stream, self.cls(items), self.cls()
