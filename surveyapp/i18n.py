"""Locale selection and helpers for bilingual content stored as data."""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import get_locale

LANG_COOKIE = "lang"


def select_locale() -> str:
    """?lang= wins (and is remembered in a cookie), then the cookie, then the
    browser's Accept-Language, then Chinese."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        g.set_lang_cookie = chosen
        return chosen
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or languages[0]


def current_language() -> str:
    return str(get_locale() or "zh")[:2]


def localized(value: dict | str | None, lang: str | None = None) -> str:
    """Pick the text for the current language from {"zh": ..., "en": ...}."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    lang = lang or current_language()
    return value.get(lang) or value.get("zh") or next(iter(value.values()), "")


def remember_language(response):
    lang = g.pop("set_lang_cookie", None) if g else None
    if lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", httponly=True
        )
    return response
