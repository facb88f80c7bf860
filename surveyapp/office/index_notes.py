"""The index's method notes in the reader's language.

Runs store their notes as the analysis wrote them (English, with figures);
each known shape is matched here and shown through the catalog, so a stored
run reads in Chinese too. A note of no known shape is shown as stored."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

from surveyapp.services.questionnaires.default import DRIVERS

NUMBER = r"([0-9]+(?:\.[0-9]+)?)"


def driver_name(key: str) -> str:
    """A driver's name in the page's language; the key when it is not known."""
    from surveyapp.i18n import current_language

    for code, zh, en in DRIVERS:
        if code == key:
            return zh if current_language() == "zh" else en
    return key


def _drivers(listed: str) -> str:
    def version(match: re.Match) -> str:
        keys = [k.strip() for k in match.group(2).split(",") if k.strip()]
        names = "、".join(driver_name(k) for k in keys if k != "none")
        return f"{match.group(1)}（{names or _('none')}）"

    return re.sub(r"([^;()]+?) \(([^)]*)\)", version, listed)


_SHAPES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (
        re.compile(
            rf"^{NUMBER} response\(s\) answered drivers carrying less than "
            rf"{NUMBER} of the weight: left out of the index$"
        ),
        lambda m: _(
            "%(n)s response(s) answered drivers carrying less than %(share)s of "
            "the weight: left out of the index",
            n=m.group(1),
            share=m.group(2),
        ),
    ),
    (
        re.compile(rf"^{NUMBER} hall-month\(s\) collapsed to hall x month: .*$"),
        lambda m: _(
            "%(n)s hall-month(s) collapsed to hall × month: a service item had "
            "transactions but no respondents (or respondents but no volume)",
            n=m.group(1),
        ),
    ),
    (
        re.compile(
            rf"^{NUMBER} hall-month\(s\) without transaction volumes: their "
            rf"{NUMBER} respondents get the mean weight$"
        ),
        lambda m: _(
            "%(n)s hall-month(s) without transaction volumes: their %(r)s "
            "respondents get the mean weight",
            n=m.group(1),
            r=m.group(2),
        ),
    ),
    (
        re.compile(
            rf"^weights raked to {NUMBER} hall x month and {NUMBER} service "
            r"item x month margins \(only margins known\)$"
        ),
        lambda m: _(
            "weights raked to %(h)s hall × month and %(i)s service item × month "
            "margins (only margins known)",
            h=m.group(1),
            i=m.group(2),
        ),
    ),
    (
        re.compile(rf"^responses clustered by window and day: {NUMBER} clusters$"),
        lambda m: _(
            "responses clustered by window and day: %(n)s clusters", n=m.group(1)
        ),
    ),
    (
        re.compile(r"^every response its own sampling unit \(no clustering\)$"),
        lambda m: _("every response its own sampling unit (no clustering)"),
    ),
    (
        re.compile(r"^finite-population correction: .*$"),
        lambda m: _(
            "finite-population correction: each hall's variance × (1 − "
            "respondents / transactions)"
        ),
    ),
    (
        re.compile(r"^no finite-population correction: no transaction volumes$"),
        lambda m: _("no finite-population correction: no transaction volumes"),
    ),
    (
        re.compile(
            rf"^weights post-stratified to transaction volumes in {NUMBER} "
            r"cells$"
        ),
        lambda m: _(
            "weights post-stratified to transaction volumes in %(n)s cells",
            n=m.group(1),
        ),
    ),
    (
        re.compile(r"^no transaction volumes for the period: every weight is 1$"),
        lambda m: _("no transaction volumes for the period: every weight is 1"),
    ),
    (
        re.compile(
            rf"^{NUMBER} weight\(s\) trimmed at {NUMBER} x their hall's mean "
            r"weight, the excess shared within the hall$"
        ),
        lambda m: _(
            "%(n)s weight(s) trimmed at %(ratio)s × their hall's mean weight, the "
            "excess shared within the hall",
            n=m.group(1),
            ratio=m.group(2),
        ),
    ),
    (
        re.compile(
            rf"^Responses answered {NUMBER} questionnaire versions, with the "
            r"same drivers: (.*)\.$"
        ),
        lambda m: _(
            "Responses answered %(n)s questionnaire versions, with the same "
            "drivers: %(listed)s.",
            n=m.group(1),
            listed=_drivers(m.group(2)),
        ),
    ),
    (
        re.compile(
            rf"^Responses answered {NUMBER} questionnaire versions with "
            r"different drivers: (.*?)\. Each response's drivers .*? is "
            r"excluded\)\.(?: Drivers that are not index dimensions are not "
            r"used: (.*)\.)?$"
        ),
        lambda m: (
            _(
                "Responses answered %(n)s questionnaire versions with different "
                "drivers: %(listed)s. Each response's drivers come from the version "
                "it answered; a dimension its version does not ask is missing for it "
                "(a response missing half of them is excluded).",
                n=m.group(1),
                listed=_drivers(m.group(2)),
            )
            + (
                " "
                + _(
                    "Drivers that are not index dimensions are not used: %(names)s.",
                    names="、".join(
                        driver_name(k.strip()) for k in m.group(3).split(",")
                    ),
                )
                if m.group(3)
                else ""
            )
        ),
    ),
]


def method_note(note: str) -> str:
    """A stored method note in the page's language."""
    for shape, render in _SHAPES:
        match = shape.match(note)
        if match:
            return render(match)
    return note


def exclusion_label(reason: str) -> str:
    return {
        "rejected": _("rejected by the quality check"),
        "flagged": _("flagged, awaiting review"),
        "missing_drivers": _("too few drivers answered"),
        "no_unit": _("no unit to rank"),
    }.get(reason, reason)


def _status(status: str) -> str:
    return {
        "draft": _("Draft"),
        "published": _("Published"),
        "superseded": _("Superseded"),
    }.get(status, status)


_ERRORS: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (
        re.compile(r"^period '(.*)' not understood"),
        lambda m: _(
            "Period “%(value)s” is not understood: write 2026, 2026-Q3, 2026-07 "
            "or 2026-07-01..2026-09-30.",
            value=m.group(1),
        ),
    ),
    (
        re.compile(r"^period '(.*)' ends before it starts$"),
        lambda m: _("Period “%(value)s” ends before it starts.", value=m.group(1)),
    ),
    (
        re.compile(r"^(?:period '(.*)': |year )"),
        lambda m: _(
            "Period “%(value)s” is not a real date within the years served.",
            value=m.group(1) or "",
        ),
    ),
    (
        re.compile(r"^compare runs of the same level$"),
        lambda m: _("Only runs of the same level can be compared."),
    ),
    (
        re.compile(r"^run ([0-9]+) is (\w+); only a draft is published$"),
        lambda m: _(
            "Run %(id)s is %(status)s: only a draft can be published.",
            id=m.group(1),
            status=_status(m.group(2)),
        ),
    ),
    (
        re.compile(r"^superseding a published run needs a reason$"),
        lambda m: _("Give the reason for replacing a published run."),
    ),
    (
        re.compile(r"^run ([0-9]+) is (\w+); only a published run"),
        lambda m: _(
            "Run %(id)s is %(status)s: only a published run can be replaced.",
            id=m.group(1),
            status=_status(m.group(2)),
        ),
    ),
    (
        re.compile(r"^run ([0-9]+) must be a different draft run$"),
        lambda m: _("The correction must be another draft run."),
    ),
    (
        re.compile(r"^the correction must be for the same period and level$"),
        lambda m: _("The correction must be for the same period and level."),
    ),
    (
        re.compile(r"^judgement ([0-9]+)-([0-9]+) must be positive$"),
        lambda m: _(
            "Judgement %(i)s–%(j)s must be a positive number.",
            i=m.group(1),
            j=m.group(2),
        ),
    ),
    (
        re.compile(r"^no responses in (.*) before the cut-off$"),
        lambda m: _(
            "No responses in %(period)s before the cut-off.", period=m.group(1)
        ),
    ),
    (
        re.compile(r"^every response of (.*) is excluded$"),
        lambda m: _("Every response of %(period)s is excluded.", period=m.group(1)),
    ),
    (
        re.compile(r"^no index run ([0-9]+)$"),
        lambda m: _("There is no index run %(id)s.", id=m.group(1)),
    ),
    (
        re.compile(r"^invalid literal for int\(\)"),
        lambda m: _("Choose a run from the list."),
    ),
]


def index_error(error: Exception | str) -> str:
    """An index service's error in the page's language."""
    text = str(error)
    for shape, render in _ERRORS:
        match = shape.match(text)
        if match:
            return render(match)
    return text
