"""The condition evaluator: XLSForm's relevant subset, parsed, evaluated,
written back, and the first stored form read through the same evaluator."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.analysis.conditions import (
    ConditionError,
    as_tree,
    check_tree,
    evaluate,
    holds,
    parse,
    references,
    to_dnf,
    to_text,
)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("${overall} <= 2", {"op": "<=", "ref": "overall", "value": 2}),
        ("${visits} = '3+'", {"op": "=", "ref": "visits", "value": "3+"}),
        ('${visits} != "1"', {"op": "!=", "ref": "visits", "value": "1"}),
        ("2 >= ${overall}", {"op": "<=", "ref": "overall", "value": 2}),
        ("${wait} > 1.5", {"op": ">", "ref": "wait", "value": 1.5}),
        ("${t} < -3", {"op": "<", "ref": "t", "value": -3}),
        (
            "selected(${problems}, 'fees')",
            {"op": "selected", "ref": "problems", "value": "fees"},
        ),
        (
            "${a} = 1 or ${b} = 2 and ${c} = 3",
            {
                "op": "or",
                "args": [
                    {"op": "=", "ref": "a", "value": 1},
                    {
                        "op": "and",
                        "args": [
                            {"op": "=", "ref": "b", "value": 2},
                            {"op": "=", "ref": "c", "value": 3},
                        ],
                    },
                ],
            },
        ),
        (
            "(${a} = 1 or ${b} = 2) and (${c} = 3)",
            {
                "op": "and",
                "args": [
                    {
                        "op": "or",
                        "args": [
                            {"op": "=", "ref": "a", "value": 1},
                            {"op": "=", "ref": "b", "value": 2},
                        ],
                    },
                    {"op": "=", "ref": "c", "value": 3},
                ],
            },
        ),
    ],
)
def test_parse_gives_the_tree_and_writes_it_back(text, tree):
    assert parse(text) == tree
    assert parse(to_text(tree)) == tree


def test_same_operators_nested_are_flattened():
    tree = parse("${a} = 1 and (${b} = 2 and ${c} = 3)")
    assert tree["op"] == "and" and len(tree["args"]) == 3
    assert references(tree) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("not(${a} = 1)", "function"),
        ("count-selected(${a}) > 1", "function"),
        ("${a} = ${b}", "two_refs"),
        ("1 = 2", "no_ref"),
        ("${a} =", "end"),
        ("${a} + 1 > 2", "syntax"),
        ("${a} = 1 xor ${b} = 2", "word"),
        ("${a.b} = 1", "name"),
        (". > 1", "self"),
        ("(${a} = 1", "end"),
        ("${a} = 1)", "syntax"),
        ("selected('x', ${a})", "no_ref"),
        ("${a} = 1 or", "end"),
    ],
)
def test_expressions_outside_the_subset_are_refused(text, code):
    with pytest.raises(ConditionError) as refused:
        parse(text)
    assert refused.value.code == code
    assert str(refused.value)  # an English message for the command line


def test_constraints_may_name_the_answer_itself():
    tree = parse(". >= 0 and . <= 120", allow_self=True)
    assert [leaf["ref"] for leaf in tree["args"]] == [".", "."]


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("${overall} <= 2", {"overall": 2}, True),
        ("${overall} <= 2", {"overall": 3}, False),
        ("${overall} <= 2", {}, False),  # unanswered: no number
        ("${overall} != 2", {}, True),  # XPath: '' != 2
        ("${overall} = ''", {}, True),
        ("${overall} = '2'", {"overall": 2}, True),  # XForms values are text
        ("${overall} = 2", {"overall": "2"}, True),
        ("${visits} = '3+'", {"visits": "3+"}, True),
        ("${visits} = 3", {"visits": "3+"}, False),
        ("${wait} >= 1.5", {"wait": 1.5}, True),
        ("${wait} > 1.5", {"wait": 1.5}, False),
        ("selected(${p}, 'fees')", {"p": ["waiting", "fees"]}, True),
        ("selected(${p}, 'fees')", {"p": ["waiting"]}, False),
        ("selected(${p}, 'fees')", {}, False),
        ("selected(${v}, '2')", {"v": 2}, True),  # a single choice too
        ("${a} = 1 or ${b} = 1", {"b": 1}, True),
        ("${a} = 1 and ${b} = 1", {"b": 1}, False),
        ("(${a} = 1 or ${b} = 1) and ${c} > 0", {"a": 1, "c": 5}, True),
        ("${t} = 'x'", {"t": ["x"]}, True),
    ],
)
def test_evaluation_follows_xpath(text, values, expected):
    assert evaluate(parse(text), values) is expected


def test_no_condition_always_holds():
    assert evaluate(None, {}) is True


def test_the_first_stored_form_reads_as_a_tree():
    legacy = {"overall": [1, 2]}
    tree = as_tree(legacy)
    assert tree == parse("${overall} = 1 or ${overall} = 2")
    for overall in range(1, 6):
        assert evaluate(tree, {"overall": overall}) is (overall <= 2)
    both = as_tree({"overall": [1], "visits": ["3+"]})
    assert both["op"] == "and"
    assert evaluate(both, {"overall": 1, "visits": "3+"})
    assert not evaluate(both, {"overall": 1, "visits": "1"})
    assert as_tree(None) is None and as_tree({}) is None
    assert as_tree(tree) == tree


@given(
    st.dictionaries(
        st.sampled_from(["a", "b"]),
        st.lists(
            st.one_of(st.integers(0, 3), st.sampled_from(["1", "x", ""])), min_size=1
        ),
        min_size=1,
    ),
    st.dictionaries(
        st.sampled_from(["a", "b"]),
        st.one_of(st.integers(0, 3), st.sampled_from(["1", "x"]), st.none()),
    ),
)
def test_the_first_form_holds_exactly_when_its_tree_does(legacy, values):
    assert holds(legacy, values) == evaluate(as_tree(legacy), values)
    assert holds(as_tree(legacy), values) == evaluate(as_tree(legacy), values)


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "and", "args": [{"op": "=", "ref": "a", "value": 1}]},
        {"op": "like", "ref": "a", "value": 1},
        {"op": "=", "ref": "a b", "value": 1},
        {"op": "=", "ref": "a", "value": [1]},
        {"op": "=", "ref": "a", "value": True},
        {"op": "=", "ref": ".", "value": 1},
        "${a} = 1",
    ],
)
def test_malformed_stored_trees_are_refused(bad):
    with pytest.raises(ConditionError):
        check_tree(bad)


def test_dnf_distributes_and_over_or_and_gives_up_when_too_large():
    tree = parse("(${a} = 1 or ${a} = 2) and (${b} = 1 or ${b} = 2)")
    dnf = to_dnf(tree, lambda leaf: [[(leaf["ref"], leaf["value"])]])
    assert sorted(map(sorted, dnf)) == [
        [("a", 1), ("b", 1)],
        [("a", 1), ("b", 2)],
        [("a", 2), ("b", 1)],
        [("a", 2), ("b", 2)],
    ]
    assert to_dnf(tree, lambda leaf: None) is None
    assert to_dnf(tree, lambda leaf: [[leaf["ref"]]], limit=3) is None
    assert to_dnf(None, lambda leaf: None) == [[]]


_names = st.sampled_from(["a", "b", "c"])
_values = st.one_of(
    st.integers(-5, 5),
    st.text(alphabet="xyz12", min_size=0, max_size=3),
)
_leaf = st.builds(
    lambda op, ref, value: {"op": op, "ref": ref, "value": value},
    st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "selected"]),
    _names,
    _values,
).map(
    lambda leaf: (
        {**leaf, "value": str(leaf["value"])} if leaf["op"] == "selected" else leaf
    )
)
_trees = st.recursive(
    _leaf,
    lambda inner: st.builds(
        lambda op, args: {"op": op, "args": args},
        st.sampled_from(["and", "or"]),
        st.lists(inner, min_size=2, max_size=3),
    ),
    max_leaves=6,
)


# No deadline: the machine is shared, and a slow example is not a wrong one.
@settings(deadline=None)
@given(_trees, st.dictionaries(_names, st.one_of(st.integers(-5, 5), st.none())))
def test_written_conditions_read_back_and_mean_the_same(tree, values):
    from surveyapp.analysis.conditions import simplify

    tree = simplify(tree)
    again = parse(to_text(tree))
    assert again == tree
    assert evaluate(again, values) == evaluate(tree, values)
