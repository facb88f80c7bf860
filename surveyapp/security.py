"""Security headers and salted hashing of personal identifiers (PIPL)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from io import BytesIO
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from flask import current_app
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def add_security_headers(response):
    """Each header unless the view set its own."""
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault(*HSTS)
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


class StrictFormDataParser(FormDataParser):
    """Werkzeug's form parser, which first holds the body to UTF-8, strictly.

    Werkzeug turns invalid UTF-8 into text on its own (re-escaped as "%FF" in
    a url-encoded body, U+FFFD in a multipart field), which could then not be
    told apart from what a citizen typed. Here such a body gets a clear 400,
    so the percent signs a citizen types are stored as written. Installed as
    the request's ``form_data_parser_class``, werkzeug's documented hook; it
    runs when a view first reads the form."""

    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype in (URLENCODED, MULTIPART):
            body = stream.read()  # bounded: werkzeug limits the stream's length
            try:
                _check_utf8(body, mimetype, options or {})
            except UnicodeDecodeError:
                # Not a ValueError to werkzeug, which would drop the form silently.
                raise BadRequest("The form is not valid UTF-8.") from None
            stream = BytesIO(body)
        return super().parse(stream, mimetype, content_length, options)


URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _check_utf8(body: bytes, mimetype: str, options: dict) -> None:
    """Raise UnicodeDecodeError where a field's name or value is not UTF-8
    (a multipart file's content is the file's own business)."""
    if mimetype == URLENCODED:
        # Names and values are split on ASCII (& =), which no multibyte
        # sequence contains: the body is valid UTF-8 once unescaped exactly
        # when every name and value is.
        unquote_to_bytes(body).decode()
        return
    boundary = options.get("boundary", "").encode("latin-1")
    if not boundary:
        return  # werkzeug refuses it
    decoder = MultipartDecoder(boundary)
    decoder.receive_data(body)
    decoder.receive_data(None)
    field: list[bytes] | None = None
    try:
        while not isinstance(event := decoder.next_event(), Epilogue | NeedData):
            if isinstance(event, Field):  # its name was decoded strictly
                field = []
            elif isinstance(event, File):
                field = None
            elif isinstance(event, Data) and field is not None:
                field.append(event.data)
                if not event.more_data:
                    b"".join(field).decode()
    except UnicodeDecodeError:
        raise
    except ValueError:
        return  # a malformed body: werkzeug's to judge, as without this check


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: what a ?next= (or a
    Referer) may send the browser to after sign-in. Refused: another host
    (`//host`, `/\\host`), any scheme, backslashes, control characters, and
    the same spelled with percent-escapes (`/%09/evil.com`: browsers drop the
    tab and follow `//evil.com`)."""
    if not target or len(target) > 2048:
        return None
    for spelling in (target, unquote(target), unquote(unquote(target))):
        if "\\" in spelling or any(ord(c) < 0x20 or ord(c) == 0x7F for c in spelling):
            return None
        if not spelling.startswith("/") or spelling.startswith("//"):
            return None
        parts = urlsplit(spelling)
        if parts.scheme or parts.netloc:
            return None
    return target


def same_site_referrer(referrer: str | None, host: str) -> str | None:
    """The path of a Referer from this host (`host`), else None."""
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != host or parts.scheme not in ("http", "https"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return same_site_path(path)


def refuse_nul_bytes() -> None:
    """400 for a NUL byte anywhere a person's text arrives (the URL path, the
    query string, a form field): no page has a use for one, PostgreSQL text
    cannot hold it, and some libraries cut the text there."""
    from flask import abort, request

    if "\x00" in request.path or b"\x00" in request.query_string:
        abort(400)
    if "%00" in request.query_string.decode("latin-1"):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)
