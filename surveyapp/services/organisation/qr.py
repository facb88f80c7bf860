"""Signed QR codes for halls and windows: tokens, images and printable posters."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
import qrcode.image.svg
from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Hall, Questionnaire

_SALT = "qr-code"


class InvalidCode(Exception):
    """A QR token that is forged, altered or points at nothing that exists."""


class RetiredCode(InvalidCode):
    """A genuine QR token whose hall or window has been retired."""


@dataclass(frozen=True)
class QrTarget:
    hall_id: int
    window_id: int | None
    questionnaire_id: int


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_token(hall_id: int, window_id: int | None, questionnaire_id: int) -> str:
    return _serializer().dumps([hall_id, window_id, questionnaire_id])


def parse_token(token: str) -> QrTarget:
    return _parse_token(current_app.config["SECRET_KEY"], token)


# Every page view and submission parses its QR token, and a city prints a few
# hundred: a token whose signature checked out under this key is remembered
# (a forged one raises, and lru_cache keeps no exception).
@lru_cache(maxsize=4096)
def _parse_token(secret: str, token: str) -> QrTarget:
    try:
        payload = URLSafeSerializer(secret, salt=_SALT).loads(token)
        hall_id, window_id, questionnaire_id = payload
        if not isinstance(hall_id, int) or not isinstance(questionnaire_id, int):
            raise ValueError
        if window_id is not None and not isinstance(window_id, int):
            raise ValueError
    except (BadSignature, ValueError, TypeError):
        raise InvalidCode(token) from None
    return QrTarget(hall_id, window_id, questionnaire_id)


def survey_url(token: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def default_base_url() -> str:
    """Where every absolute link points: PUBLIC_BASE_URL, else the local
    development address; never the request's Host header, which whoever
    sends the request chooses."""
    return current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000"


def png_bytes(url: str, box_size: int = 10) -> bytes:
    img = qrcode.make(url, box_size=box_size, border=4)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def svg_bytes(url: str) -> bytes:
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    buffer = io.BytesIO()
    img.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class CodeEntry:
    """One printable code: a hall's or one of its windows'."""

    code: str
    name: str
    url: str
    window: str | None


def default_questionnaire() -> Questionnaire:
    questionnaire = db.session.scalar(
        select(Questionnaire).where(Questionnaire.is_default.is_(True))
    )
    if questionnaire is None:
        raise LookupError(
            "no questionnaire published yet: publish one first (the office's "
            "Set up page, or `flask seed-demo` for the demo)"
        )
    return questionnaire


def hall_codes(hall: Hall, base_url: str) -> list[CodeEntry]:
    questionnaire = default_questionnaire()
    entries = [
        CodeEntry(
            hall.code,
            hall.name,
            survey_url(make_token(hall.id, None, questionnaire.id), base_url),
            None,
        )
    ]
    for window in hall.windows:
        if window.active:
            token = make_token(hall.id, window.id, questionnaire.id)
            entries.append(
                CodeEntry(
                    window.code, window.name, survey_url(token, base_url), window.name
                )
            )
    return entries


def find_code(code: str, base_url: str) -> CodeEntry | None:
    """The printed code of a hall or of one of its windows, by that code."""
    from surveyapp.models import Window
    from surveyapp.services.organisation.catalogue import hall_by_code

    hall = hall_by_code(code)
    if hall is None:
        window = db.session.scalar(select(Window).where(Window.code == code))
        hall = window.hall if window is not None else None
    if hall is None or not hall.active:
        return None
    return next((e for e in hall_codes(hall, base_url) if e.code == code), None)


def poster_html(hall: Hall, base_url: str) -> str:
    """An A4 poster per hall: one code per window, print CSS, no external assets."""
    entries = [
        (entry, _inline_svg(svg_bytes(entry.url)))
        for entry in hall_codes(hall, base_url)
    ]
    return render_template("office/poster.html", hall=hall, entries=entries)


def _inline_svg(data: bytes) -> str:
    text = data.decode()
    return text[text.index("<svg") :] if "<svg" in text else text


def export_codes(out_dir: Path, base_url: str) -> list[Path]:
    """Write one PNG and one SVG per hall and window, and one poster per hall."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    halls = db.session.scalars(select(Hall).where(Hall.active).order_by(Hall.code))
    for hall in halls:
        for entry in hall_codes(hall, base_url):
            for suffix, data in (
                ("png", png_bytes(entry.url)),
                ("svg", svg_bytes(entry.url)),
            ):
                path = out_dir / f"{entry.code}.{suffix}"
                path.write_bytes(data)
                written.append(path)
        poster = out_dir / f"{hall.code}-poster.html"
        poster.write_text(poster_html(hall, base_url), encoding="utf-8")
        written.append(poster)
    return written
