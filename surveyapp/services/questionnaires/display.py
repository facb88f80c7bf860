"""The stylesheet that reveals conditional questions without JavaScript.

A condition that CSS can test (answers of choice questions, ratings and grid
items, combined with and/or) becomes `form:has(input...:checked)` rules; the
question is hidden until they match. Any other condition (a number or a
text compared) leaves its question shown, with the plain hint the template
writes ("answer this only if ..."); the server drops answers to questions
whose condition does not hold, and never requires them, either way.
"""

from __future__ import annotations

from typing import Any

from surveyapp.analysis.conditions import ConditionError, compare, references, to_dnf
from surveyapp.services.questionnaires.answers import field_name
from surveyapp.services.questionnaires.definitions import (
    OVERALL,
    answer_names,
    choice_values,
    condition_of,
    walk,
)

# (negated, selector inside :has()); a conjunction is a list of atoms and a
# condition an OR of conjunctions (analysis.conditions.to_dnf).
Atom = tuple[bool, str]


def conditional_css(definition: dict) -> str:
    """CSS rules that hide each conditional block CSS can test and show it
    while its condition holds."""
    rules = _Rules(definition)
    hidden, shown = [], []
    blocks = [(q["key"], q) for q, _groups in walk(definition) if q.get("show_if")]
    contact = next(
        (q for key, q in blocks if OVERALL in _refs(q)),
        None,
    )
    if contact is not None:
        blocks.append(("contact", contact))
    for block, question in blocks:
        dnf = rules.own(question)
        if dnf is None or dnf == [[]]:
            continue  # shown always (with its hint), or always true
        hidden.append(f"#block-{block}:not(.has-error)")
        # The block appears when it applies: its words saying when are moot.
        hidden.append(f"#block-{block} > .condition-hint")
        shown.extend(
            "form" + "".join(map(_has, conjunction)) + f" #block-{block}"
            for conjunction in dnf
        )
    lines = ["@supports selector(:has(*)) {"]
    if hidden:
        lines.append(",\n".join(hidden) + " { display: none; }")
    if shown:
        lines.append(",\n".join(shown) + " { display: block; }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _refs(question: dict) -> list[str]:
    try:
        return references(condition_of(question))
    except ConditionError:
        return []


def _has(atom: Atom) -> str:
    negated, selector = atom
    return f":not(:has({selector}))" if negated else f":has({selector})"


class _Rules:
    """The DNF of each question's condition, in atoms CSS can test."""

    def __init__(self, definition: dict):
        self.names = {name: (q, item) for name, q, item in answer_names(definition)}
        self.groups = {q["key"]: groups for q, groups in walk(definition)}
        self.relevance: dict[str, Any] = {}

    def own(
        self, question: dict, visiting: frozenset = frozenset()
    ) -> list[list[Atom]] | None:
        try:
            tree = condition_of(question)
        except ConditionError:
            return None
        return to_dnf(tree, lambda leaf: self.leaf(leaf, visiting))

    def asked(self, name: str, visiting: frozenset = frozenset()):
        """When the question holding `name` is asked: its own condition and
        its groups' (a question not asked counts as unanswered)."""
        if name in self.relevance:
            return self.relevance[name]
        if name in visiting:
            return None  # a loop of conditions: not expressible
        question, _item = self.names[name]
        dnf: list[list[Atom]] | None = [[]]
        for part in (*self.groups.get(question["key"], ()), question):
            own = self.own(part, visiting | {name})
            if own is None:
                dnf = None
                break
            dnf = [a + b for a in dnf for b in own]
        self.relevance[name] = dnf
        return dnf

    def leaf(self, leaf: dict, visiting: frozenset):
        name, op, value = leaf["ref"], leaf["op"], leaf["value"]
        if name not in self.names:
            return None
        question, item = self.names[name]
        values = choice_values(question, item)
        if values is None or (question["kind"] == "multi" and op != "selected"):
            return None
        if op == "selected":
            matching = [v for v in values if str(v) == str(value)]
        else:  # "!=" below is "none of the equal ones"
            test = "=" if op == "!=" else op
            matching = [v for v in values if compare(test, v, value)]
        selectors = [_selector(question, item, v) for v in matching]
        asked = self.asked(name, visiting)
        if asked is None:
            return None
        if op == "!=":
            if asked != [[]]:
                return None  # "not chosen" of a question that may be hidden
            return [[(True, s) for s in selectors]]
        return [a + [(False, s)] for a in asked for s in selectors]


def _selector(question: dict, item: dict | None, value: Any) -> str:
    if item is not None:
        name = field_name(question["key"], item["key"])
    else:
        name = field_name(question["key"])
    if question.get("appearance") == "minimal" and question["kind"] != "multi":
        return f'select[name="{name}"] option[value={_string(value)}]:checked'
    return f'input[name="{name}"][value={_string(value)}]:checked'


def _string(value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\a ") + '"'
