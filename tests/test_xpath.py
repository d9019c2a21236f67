"""XPath syntax: precedence, names, the tree, and errors that name where reading stopped."""

import pytest

from evaluation.errors import ExpressionError, UnsupportedExpressionError
from evaluation.xpath import (
    MAX_DEPTH,
    Call,
    Chain,
    Current,
    Field,
    Name,
    Negate,
    Number,
    String,
    parse,
    walk,
)


def test_precedence_and_left_to_right_chains():
    tree = parse("1 + 2 * 3 - 4")
    assert tree == Chain(
        Number(1.0, 0),
        (("+", Chain(Number(2.0, 4), (("*", Number(3.0, 8)),), 4)), ("-", Number(4.0, 12))),
        0,
    )
    tree = parse("a or b and c = 1")
    assert isinstance(tree, Chain) and tree.rest[0][0] == "or"
    assert tree.rest[0][1].rest[0][0] == "and"


def test_unary_minus_binds_tighter_than_multiplication():
    tree = parse("-2 * 3")
    assert tree == Chain(Negate(Number(2.0, 1), 0), (("*", Number(3.0, 5)),), 0)


def test_operator_names_are_operators_only_after_a_value():
    assert parse(". div 2") == Chain(Current(0), (("div", Number(2.0, 6)),), 0)
    assert parse("and = 1") == Chain(Name("and", 0), (("=", Number(1.0, 6)),), 0)


def test_names_may_hold_hyphens_and_dots_as_in_xpath():
    assert parse("count-selected(.)") == Call("count-selected", (Current(15),), 0)
    assert parse("x-1") == Name("x-1", 0)
    assert parse("${x}-1") == Chain(Field("x", 0), (("-", Number(1.0, 5)),), 0)
    assert parse("${a.b_c-d}") == Field("a.b_c-d", 0)
    assert parse("jr:choice-name(1, 2)").name == "jr:choice-name"


def test_literals_and_whitespace():
    with pytest.raises(ExpressionError, match="found \"'s'\" at character 6"):
        parse(" 'it''s' ")  # XPath strings have no escapes: this is two strings
    assert parse("\"say 'hi'\"") == String("say 'hi'", 0)
    assert parse(".5") == Number(0.5, 0)
    assert parse("${ q }") == Field("q", 0)


def test_walk_visits_every_node():
    kinds = [type(n).__name__ for n in walk(parse("if(. > 1, -${a}, 'x')"))]
    assert kinds == ["Call", "Chain", "Current", "Number", "Negate", "Field", "String"]


PARSE_ERRORS = [
    ("${age} >", 8, "expected a value, found the end"),
    ("(1 + 2", 6, "expected ')' or ','"),
    ("1 + * 2", 4, "expected a value, found '*'"),
    ("${age", 0, "'${' is not closed"),
    ("'abc", 0, "not closed"),
    ("1 2", 2, "expected an operator"),
    (". = ‘yes’", 4, "curly quote"),
    ("${my field} = 1", 0, "not a valid field name"),
    ("f(1,", 4, "expected a value, found the end"),
    ("1 ? 2", 2, "unexpected character '?'"),
    ("$age", 0, "a field is written ${name}"),
    ("", 0, "empty"),
    ("(" * (MAX_DEPTH + 10) + "1" + ")" * (MAX_DEPTH + 10), MAX_DEPTH, "nested more than"),
    ("-" * (MAX_DEPTH + 1) + "1", MAX_DEPTH, "nested more than"),
]


@pytest.mark.parametrize(("text", "position", "fragment"), PARSE_ERRORS)
def test_parse_errors_name_the_expression_and_position(text, position, fragment):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert not isinstance(error, UnsupportedExpressionError)
    assert (error.position, error.expression) == (position, text)
    assert fragment in str(error)
    if text:
        assert repr(text) in str(error)
        assert f"at character {position + 1}" in str(error) or "at the end" in str(error)


@pytest.mark.parametrize(
    ("text", "position"),
    [("/data/age > 3", 0), ("instance('l')/root/item[name = 1]", 13), ("position(..)", 9)],
)
def test_xpath_paths_are_unsupported_not_wrong(text, position):
    with pytest.raises(UnsupportedExpressionError) as caught:
        parse(text)
    assert caught.value.position == position


def test_long_flat_chains_do_not_recurse():
    text = " + ".join(["${q}"] * 5000)
    tree = parse(text)
    assert isinstance(tree, Chain) and len(tree.rest) == 4999
