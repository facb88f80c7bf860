"""Locale selection and helpers for bilingual content stored as data."""

from __future__ import annotations

from functools import cache, lru_cache
from urllib.parse import urlencode

from babel import Locale
from babel.lists import format_list
from flask import current_app, g, request
from flask_babel import get_locale
from markupsafe import Markup, escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANG_COOKIE = "lang"


def select_locale() -> Locale:
    """?lang= wins (and is remembered in a cookie), then the cookie, then the
    browser's Accept-Language, then Chinese."""
    languages = tuple(current_app.config["LANGUAGES"])
    chosen = request.args.get("lang")
    if chosen in languages:
        g.set_lang_cookie = chosen
        return _locale(chosen)
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return _locale(cookie)
    header = request.headers.get("Accept-Language", "")
    return _locale(_best_match(header, languages))


# Every request picks a locale from one of few distinct answers (two languages,
# the headers of a few browsers): each is parsed once per process.
_locale = cache(Locale.parse)


@lru_cache(maxsize=512)
def _best_match(header: str, languages: tuple[str, ...]) -> str:
    accepted = parse_accept_header(header, LanguageAccept)
    return accepted.best_match(languages) or languages[0]


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


def language_switch(lang: str) -> str:
    """The link to this page in `lang`, keeping its query (a /track code, a
    period, a filter)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return "?" + urlencode([*args, ("lang", lang)])


def remember_language(response):
    lang = g.pop("set_lang_cookie", None) if g else None
    if lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", httponly=True
        )
    return response


def or_list(items) -> Markup:
    """Alternatives joined as the language joins them: “a”或“b”, “a” or “b”."""
    return Markup(
        format_list([str(escape(i)) for i in items], style="or", locale=get_locale())
    )
