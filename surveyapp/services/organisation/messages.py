"""The words for the catalogue's rules (analysis/catalogue*.py name them by
code): shown on the office's pages in the user's language, in English by the
command line."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.analysis.catalogue import Problem

_MESSAGES = {
    "empty_file": lambda p: _l("the file is empty"),
    "no_rows": lambda p: _l("no data rows"),
    "missing_column": lambda p: _l("missing column"),
    "empty_code": lambda p: _l("the code is empty"),
    "bad_code": lambda p: _l(
        "a code holds only letters, digits, “.”, “_” and “-”, "
        "and starts with a letter or digit"
    ),
    "code_too_long": lambda p: _l(
        "the code is longer than %(max)d characters", max=p["max"]
    ),
    "empty_name": lambda p: _l("the name is empty"),
    "name_too_long": lambda p: _l(
        "the name is longer than %(max)d characters", max=p["max"]
    ),
    "needs_region": lambda p: _l("a hall needs its region (code and name)"),
    "needs_hall": lambda p: _l("a window needs its hall (code and name)"),
    "needs_department": lambda p: _l(
        "a service item needs its department (code and name)"
    ),
    "conflict_name": lambda p: _l("%(code)s is named “%(other)s” in row %(row)d", **p),
    "conflict_hall_parent": lambda p: _l(
        "hall %(code)s is in region %(other)s in row %(row)d", **p
    ),
    "conflict_window_parent": lambda p: _l(
        "window %(code)s is under hall %(other)s in row %(row)d", **p
    ),
    "conflict_service_item_parent": lambda p: _l(
        "service item %(code)s belongs to department %(other)s in row %(row)d", **p
    ),
    "conflict_department": lambda p: _l(
        "window %(code)s has the department %(other)s in row %(row)d", **p
    ),
    "duplicate_link": lambda p: _l(
        "this window and service item are already listed in row %(row)d", **p
    ),
    "unknown_department": lambda p: _l(
        "no department with this code in the file or the catalogue"
    ),
    "code_taken": lambda p: _l("this code is already in use"),
    "bad_email": lambda p: _l(
        "an e-mail address looks like name@example.gov.cn (at most 254 characters)"
    ),
    "unknown_parent": lambda p: _l("choose where it belongs"),
    "parent_retired": lambda p: _l(
        "it belongs to a retired unit: restore that one first"
    ),
}


def message(code: str, params: dict | None = None):
    """The rule's message, translated when shown."""
    return _MESSAGES[code](params or {})


def problem_message(problem: Problem):
    return message(problem.code, problem.params)
