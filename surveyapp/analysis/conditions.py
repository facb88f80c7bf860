"""Conditions of questionnaire questions: XLSForm's `relevant` subset parsed to
a small expression tree, evaluated against answers, and written back as text.

The subset: `${name}` compared with a literal (=, !=, <, <=, >, >=),
`selected(${name}, 'value')`, `and`, `or` and parentheses. A tree is JSON:

    {"op": "<=", "ref": "overall", "value": 2}
    {"op": "selected", "ref": "problems", "value": "other"}
    {"op": "and" | "or", "args": [tree, tree, ...]}

The first representation of conditions, `{"overall": [1, 2]}` (the answer of
each named question is one of the listed values), is read through `as_tree`,
so stored versions keep working. Values compare as XPath does in ODK: a
numeric literal compares numerically, a string literal as text, and an
unanswered question is the empty string (`${x} != 2` holds when x is empty).
No Flask, no database: the services and the templates' CSS build on this.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
SELF = "."
# Names as the definition format allows them (XLSForm allows a few more).
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{[^}]*\})
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
    | '(?P<squote>[^']*)'
    | "(?P<dquote>[^"]*)"
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_:-]*)
    | (?P<dot>\.)
    )""",
    re.VERBOSE,
)


class ConditionError(ValueError):
    """A condition outside the subset. `code` names the problem for messages
    in other languages; `params` fill them."""

    TEXTS = {
        "empty": "the condition is empty",
        "syntax": "unexpected {found} at character {position}",
        "end": "the condition ends too early",
        "function": "{name}() is not supported (only selected())",
        "word": "'{name}' is not supported (use and, or, selected())",
        "name": "'{name}' is not a question name",
        "two_refs": "compare a question with a value, not with another question",
        "no_ref": "a comparison needs a question: ${{name}}",
        "self": "'.' is only allowed in a constraint",
        "shape": "not a condition: {detail}",
    }

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(self.TEXTS[code].format(**params))


# --- parsing -------------------------------------------------------------------


def parse(text: str, *, allow_self: bool = False) -> dict:
    """The tree of `text`; ConditionError when it is outside the subset."""
    tokens = list(_tokens(text or ""))
    if not tokens:
        raise ConditionError("empty")
    parser = _Parser(tokens, allow_self)
    tree = parser.expression()
    if parser.position < len(tokens):
        kind, value, at = tokens[parser.position]
        if kind == "word":
            raise ConditionError("word", name=value)
        raise ConditionError("syntax", found=_shown(kind, value), position=at + 1)
    return tree


def _tokens(text: str) -> Iterator[tuple[str, Any, int]]:
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            return
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            at = len(text) - len(text[position:].lstrip())
            raise ConditionError("syntax", found=repr(text[at]), position=at + 1)
        at = match.start(match.lastgroup)
        kind, raw = match.lastgroup, match.group(match.lastgroup)
        position = match.end()
        if kind == "ref":
            name = raw[2:-1].strip()
            if not NAME.fullmatch(name):
                raise ConditionError("name", name=name)
            yield "ref", name, at
        elif kind == "number":
            yield "literal", float(raw) if "." in raw else int(raw), at
        elif kind in ("squote", "dquote"):
            yield "literal", raw, at - 1
        else:
            yield kind, raw, at


def _shown(kind: str, value: Any) -> str:
    if kind == "ref":
        return "${" + value + "}"
    return repr(value) if kind == "literal" else f"'{value}'"


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any, int]], allow_self: bool):
        self.tokens = tokens
        self.position = 0
        self.allow_self = allow_self

    def peek(self) -> tuple[str, Any, int] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str | None = None, value: Any = None) -> tuple[str, Any, int]:
        token = self.peek()
        if token is None:
            raise ConditionError("end")
        if (kind and token[0] != kind) or (value is not None and token[1] != value):
            raise ConditionError(
                "syntax", found=_shown(token[0], token[1]), position=token[2] + 1
            )
        self.position += 1
        return token

    def expression(self) -> dict:
        return self._joined("or", self.conjunction)

    def conjunction(self) -> dict:
        return self._joined("and", self.factor)

    def _joined(self, word: str, part: Callable[[], dict]) -> dict:
        args = [part()]
        while (token := self.peek()) is not None and token[:2] == ("word", word):
            self.position += 1
            args.append(part())
        return args[0] if len(args) == 1 else simplify({"op": word, "args": args})

    def factor(self) -> dict:
        token = self.peek()
        if token is None:
            raise ConditionError("end")
        kind, value, _ = token
        if (kind, value) == ("punct", "("):
            self.position += 1
            tree = self.expression()
            self.take("punct", ")")
            return tree
        if kind == "word":
            following = self.tokens[self.position + 1 : self.position + 2]
            if following and following[0][:2] == ("punct", "("):
                if value != "selected":
                    raise ConditionError("function", name=value)
                return self.selected()
            raise ConditionError("word", name=value)
        return self.comparison()

    def selected(self) -> dict:
        self.take("word", "selected")
        self.take("punct", "(")
        ref = self.operand()
        self.take("punct", ",")
        value = self.operand()
        self.take("punct", ")")
        if ref[0] != "ref" or value[0] != "literal":
            raise ConditionError("no_ref")
        return {"op": "selected", "ref": ref[1], "value": str(value[1])}

    def operand(self) -> tuple[str, Any]:
        kind, value, at = self.take()
        if kind == "dot":
            if not self.allow_self:
                raise ConditionError("self")
            return "ref", SELF
        if kind not in ("ref", "literal"):
            raise ConditionError("syntax", found=_shown(kind, value), position=at + 1)
        return kind, value

    def comparison(self) -> dict:
        left = self.operand()
        op = self.take("op")[1]
        right = self.operand()
        if left[0] == right[0] == "ref":
            raise ConditionError("two_refs")
        if left[0] == right[0] == "literal":
            raise ConditionError("no_ref")
        if left[0] == "literal":
            left, right, op = right, left, _MIRRORED[op]
        return {"op": op, "ref": left[1], "value": right[1]}


def simplify(tree: dict) -> dict:
    """Nested and-in-and and or-in-or flattened: the one shape parse() gives."""
    if tree["op"] not in ("and", "or"):
        return tree
    args: list[dict] = []
    for arg in map(simplify, tree["args"]):
        args.extend(arg["args"] if arg["op"] == tree["op"] else [arg])
    return args[0] if len(args) == 1 else {"op": tree["op"], "args": args}


# --- the stored forms ----------------------------------------------------------


def is_tree(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("op"), str)


def as_tree(condition: Any) -> dict | None:
    """The tree of a stored condition (a tree, or the first form
    `{"question": [values]}`); None when there is none."""
    if not condition:
        return None
    if is_tree(condition):
        return condition
    if not isinstance(condition, Mapping):
        raise ConditionError("shape", detail=repr(condition)[:60])
    parts = []
    for ref, allowed in condition.items():
        values = list(allowed) if isinstance(allowed, list | tuple) else [allowed]
        if not values:
            raise ConditionError("shape", detail=f"{ref}: no values")
        choices = [{"op": "=", "ref": str(ref), "value": v} for v in values]
        parts.append(choices[0] if len(choices) == 1 else {"op": "or", "args": choices})
    return parts[0] if len(parts) == 1 else {"op": "and", "args": parts}


def check_tree(tree: Any, *, allow_self: bool = False) -> None:
    """Refuse a stored tree that parse() could not have given."""
    if not is_tree(tree):
        raise ConditionError("shape", detail=repr(tree)[:60])
    op = tree["op"]
    if op in ("and", "or"):
        args = tree.get("args")
        if not isinstance(args, list) or len(args) < 2:
            raise ConditionError("shape", detail=f"{op} needs two or more parts")
        for arg in args:
            check_tree(arg, allow_self=allow_self)
        return
    if op not in (*COMPARISONS, "selected"):
        raise ConditionError("shape", detail=f"unknown operator {op!r}")
    ref, value = tree.get("ref"), tree.get("value")
    if ref == SELF and not allow_self:
        raise ConditionError("self")
    if not isinstance(ref, str) or not (ref == SELF or NAME.fullmatch(ref)):
        raise ConditionError("name", name=str(ref))
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConditionError("shape", detail=f"value {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConditionError("shape", detail=f"value {value!r}")
    if isinstance(value, str) and "'" in value and '"' in value:
        raise ConditionError("shape", detail="a value with both kinds of quote")


def references(tree: dict | None) -> list[str]:
    """The question names a tree reads, in order, each once."""
    names: list[str] = []
    for leaf in leaves(tree):
        if leaf["ref"] not in names:
            names.append(leaf["ref"])
    return names


def leaves(tree: dict | None) -> Iterator[dict]:
    if tree is None:
        return
    if tree["op"] in ("and", "or"):
        for arg in tree["args"]:
            yield from leaves(arg)
    else:
        yield tree


def to_text(tree: dict) -> str:
    """The tree in the XLSForm syntax; parse(to_text(t)) == t."""
    op = tree["op"]
    if op in ("and", "or"):
        parts = []
        for arg in tree["args"]:
            text = to_text(arg)
            parts.append(f"({text})" if arg["op"] in ("and", "or") else text)
        return f" {op} ".join(parts)
    ref = "." if tree["ref"] == SELF else "${" + tree["ref"] + "}"
    if op == "selected":
        return f"selected({ref}, {_literal(str(tree['value']))})"
    return f"{ref} {op} {_literal(tree['value'])}"


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"' if "'" in value else f"'{value}'"
    return repr(value) if isinstance(value, float) else str(value)


# --- evaluation ----------------------------------------------------------------


def evaluate(tree: dict | None, values: Mapping[str, Any]) -> bool:
    """Whether the condition holds for `values` (question name -> answer;
    a missing name is unanswered). No tree: always."""
    if tree is None:
        return True
    op = tree["op"]
    if op == "and":
        return all(evaluate(arg, values) for arg in tree["args"])
    if op == "or":
        return any(evaluate(arg, values) for arg in tree["args"])
    return compare(op, values.get(tree["ref"]), tree["value"])


def holds(condition: Any, values: Mapping[str, Any]) -> bool:
    """evaluate() of a stored condition in either form; the first form is
    read as it stands rather than built into a tree (every submission asks)."""
    if not condition:
        return True
    if is_tree(condition):
        return evaluate(condition, values)
    if not isinstance(condition, Mapping):
        raise ConditionError("shape", detail=repr(condition)[:60])
    for ref, allowed in condition.items():
        answer = values.get(ref)
        choices = allowed if isinstance(allowed, list | tuple) else [allowed]
        if not any(compare("=", answer, value) for value in choices):
            return False
    return True


def compare(op: str, answer: Any, value: Any) -> bool:
    """One comparison of an answer with a literal, as XPath does it."""
    if op == "selected":
        if answer is None:
            return False
        chosen = answer if isinstance(answer, list) else [answer]
        return str(value) in (_text(v) for v in chosen)
    if op == "!=":
        return not compare("=", answer, value)
    if op == "=":
        if isinstance(value, str):
            return _text(answer) == value
        number = as_number(answer)
        return number is not None and number == value
    left, right = as_number(answer), as_number(value)
    if left is None or right is None:
        return False
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


def _text(answer: Any) -> str:
    if answer is None:
        return ""
    if isinstance(answer, list):
        return " ".join(map(_text, answer))
    if isinstance(answer, float) and answer.is_integer():
        return str(int(answer))
    return str(answer)


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# --- disjunctive normal form (for CSS selectors) -------------------------------


def to_dnf(
    tree: dict | None, leaf: Callable[[dict], list[list[Any]] | None], limit: int = 64
) -> list[list[Any]] | None:
    """The condition as an OR of ANDs of whatever `leaf` makes of each
    comparison (itself a list of alternatives, each a list of atoms; None
    when a leaf cannot be expressed). None when any leaf cannot, or when
    there would be more than `limit` alternatives."""
    if tree is None:
        return [[]]
    op = tree["op"]
    if op == "or":
        out: list[list[Any]] = []
        for arg in tree["args"]:
            part = to_dnf(arg, leaf, limit)
            if part is None:
                return None
            out.extend(part)
    elif op == "and":
        out = [[]]
        for arg in tree["args"]:
            part = to_dnf(arg, leaf, limit)
            if part is None:
                return None
            out = [a + b for a in out for b in part]
            if len(out) > limit:
                return None
    else:
        part = leaf(tree)
        if part is None:
            return None
        out = part
    return out if len(out) <= limit else None
