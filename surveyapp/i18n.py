"""Locale selection and helpers for bilingual content stored as data."""

from __future__ import annotations

from babel import Locale
from flask import current_app, g, request
from flask_babel import get_locale

LANG_COOKIE = "lang"

# Every request picks a locale. Parsing the Accept-Language header and the
# locale identifier cost ~8% of a page view, and browsers send few distinct
# headers, so both answers are remembered per process (bounded).
_LOCALES: dict[str, Locale] = {}
_BEST_MATCH: dict[tuple[str, tuple[str, ...]], str] = {}
_BEST_MATCH_MAX = 512


def select_locale() -> Locale:
    """?lang= wins (and is remembered in a cookie), then the cookie, then the
    browser's Accept-Language, then Chinese."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        g.set_lang_cookie = chosen
        return _locale(chosen)
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return _locale(cookie)
    return _locale(_best_match(request.headers.get("Accept-Language", ""), languages))


def _locale(code: str) -> Locale:
    locale = _LOCALES.get(code)
    if locale is None:
        locale = _LOCALES[code] = Locale.parse(code)
    return locale


def _best_match(header: str, languages) -> str:
    key = (header, tuple(languages))
    best = _BEST_MATCH.get(key)
    if best is None:
        best = request.accept_languages.best_match(languages) or languages[0]
        if len(_BEST_MATCH) >= _BEST_MATCH_MAX:
            _BEST_MATCH.clear()
        _BEST_MATCH[key] = best
    return best


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "zh"


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
