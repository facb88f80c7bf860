"""Keyset pagers of the office lists: the cursor from the URL and the links."""

from __future__ import annotations

from flask import request, url_for

from surveyapp.services.keyset import Cursor, KeysetPage, parse_cursor

CURSOR_ARGS = ("after", "before", "last")


def cursor_from_args(args) -> Cursor | None:
    return parse_cursor(args.get("after"), args.get("before"), args.get("last") == "1")


def filter_args(args, names: tuple[str, ...]) -> dict[str, str]:
    """The page's own filters (`names`) from the query string: what the
    filters, exports and pager links carry on. Nothing else is carried: a
    stray `fmt` or `endpoint` would collide with url_for's own arguments."""
    return {k: args[k] for k in names if args.get(k) and k not in CURSOR_ARGS}


def page_links(
    endpoint: str, page: KeysetPage, names: tuple[str, ...]
) -> dict[str, str | None]:
    """URLs of the first, previous, next and last pages (None where there is
    no such page), carrying the filters `names`."""
    args = filter_args(request.args, names)
    prev_args, next_args = page.prev_args(), page.next_args()
    return {
        "first": url_for(endpoint, **args) if page.has_prev else None,
        "prev": url_for(endpoint, **args, **prev_args) if prev_args else None,
        "next": url_for(endpoint, **args, **next_args) if next_args else None,
        "last": url_for(endpoint, **args, last="1") if page.has_next else None,
    }
