"""The XLSForm expression evaluator: a table of expressions with known results, parse errors
with positions, vectorised == row-by-row on random data, and parser fuzzing."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.errors import DataError, ExpressionError, UnsupportedExpressionError
from evaluation.expressions import (
    ExpressionFrame,
    compile_expression,
    number_to_string,
    string_to_number,
)

TODAY = dt.date(2024, 3, 1)
NAN = math.nan
T, F = True, False


def answers() -> pd.DataFrame:
    """Four submissions with the awkward cases: empty answers, None, codes, dates as text."""
    return pd.DataFrame(
        {
            "age": [15.0, 9.0, NAN, 30.0],
            "w": [NAN, 9.0, NAN, 1.0],
            "n": [3, 5, 0, 2],
            "sex": ["f", "m", None, ""],
            "reasons": ["a other", "b", None, "a  b"],
            "code": ["0", "1", "99", None],
            "start": ["2024-03-01", "2024-02-29T23:30:00+01:00", "", "not a date"],
            "phone": ["0691234567", "069123", "", "+355691234567"],
        }
    )


def days(year: int, month: int, day: int) -> float:
    return float((dt.date(year, month, day) - dt.date(1970, 1, 1)).days)


# expression, current column, expected value on each of the four rows (a scalar means all rows)
TABLE = [
    # constraints on the current answer; NaN (empty) fails every comparison
    (". >= 12 and . <= 25", "age", [T, F, F, F]),
    (". > 0 or . = 0", "age", [T, T, F, T]),
    ("${age} != 15", None, [F, T, T, T]),  # != is "not =": NaN != 15 holds (IEEE, JavaRosa)
    # an empty answer is the empty string
    ("${sex} = 'f'", None, [T, F, F, F]),
    ("${sex} = ''", None, [F, F, T, T]),
    ("${sex} != ''", None, [T, T, F, F]),
    ("${age} = ''", None, [F, F, T, F]),
    ("${age} = ${w}", None, [F, T, T, F]),  # two empty numeric answers are equal
    ("${sex} = ${code}", None, [F, F, F, T]),
    # number() of empty or text is NaN
    ("number(${sex})", None, NAN),
    ("number('') = number('')", None, F),
    ("number('') != 1", None, T),
    ("number(' 12.50 ')", None, 12.5),
    ("number('1e3')", None, NAN),
    # select codes compare as stored text, or as numbers against a number
    ("${code} = '0'", None, [T, F, F, F]),
    ("${code} = '00'", None, F),
    ("${code} = 00", None, [T, F, F, F]),
    ("${code} > 1", None, [F, F, T, F]),
    # select_multiple answers are space separated
    ("selected(${reasons}, 'a')", None, [T, F, F, T]),
    ("selected(${reasons}, 'other')", None, [T, F, F, F]),
    ("selected(${reasons}, '')", None, F),
    ("count-selected(${reasons})", None, [2.0, 1.0, 0.0, 2.0]),
    ("selected-at(${reasons}, 1)", None, ["other", "", "", "b"]),
    ("not(selected(., 'b')) and count-selected(.) >= 1", "reasons", [T, F, F, F]),
    # text functions
    ("string-length(${phone})", None, [10.0, 6.0, 0.0, 13.0]),
    ("regex(${phone}, '^0[0-9]{9}$')", None, [T, F, F, F]),
    ("regex(., '[0-9]{6}')", "phone", [T, T, F, T]),
    ("contains(${phone}, '691')", None, [T, T, F, T]),
    ("starts-with(${phone}, '+355')", None, [F, F, F, T]),
    ("concat(${sex}, '-', ${n})", None, ["f-3", "m-5", "-0", "-2"]),
    ("concat('a', 1 div 4, true())", None, "a0.25true"),
    ("substr('abcdef', 1, 3)", None, "bc"),
    ("substring-before('a-b', '-')", None, "a"),
    ("normalize-space('  a   b ')", None, "a b"),
    ("translate('abc', 'abc', 'AB')", None, "AB"),
    # dates: text dates compare as days; an offset is converted to UTC
    ("${start} < today()", None, [F, T, F, F]),
    ("${start} <= today()", None, [T, T, F, F]),
    ("${start} = '2024-03-01'", None, [T, F, F, F]),
    ("today()", None, "2024-03-01"),
    ("date('2024-03-01') + 1", None, days(2024, 3, 2)),
    ("today() - date('2024-02-01')", None, 29.0),
    ("decimal-date-time('1970-01-02T12:00:00')", None, 1.5),
    ("format-date(date('2024-03-05'), '%d/%m/%Y %e %n %y')", None, "05/03/2024 5 3 24"),
    ("format-date(${start}, '%Y')", None, ["2024", "2024", "", ""]),
    # arithmetic, precedence, XPath division and mod
    ("1 + 2 * 3 - 4 div 2", None, 5.0),
    ("2 - 3 - 4", None, -5.0),
    ("-2 * -3", None, 6.0),
    ("${n} + ${age}", None, [18.0, 14.0, NAN, 32.0]),
    ("${n} div 0", None, [math.inf, math.inf, NAN, math.inf]),
    ("-${n} mod 2", None, [-1.0, -1.0, 0.0, 0.0]),
    ("7 mod -3", None, 1.0),
    ("-7 mod 3", None, -1.0),
    ("7.5 mod 2", None, 1.5),
    ("(1 div 0) mod 2", None, NAN),
    ("5 mod (1 div 0)", None, 5.0),
    ("0 div 0", None, NAN),
    ("-1 div 0", None, -math.inf),
    ("(1 div 0) - (1 div 0)", None, NAN),
    ("${age} > ${n}", None, [T, T, F, T]),
    ("n > 2", None, [T, T, F, F]),  # a bare name is a column (as in choice filters)
    # booleans
    ("not(${sex} = 'f')", None, [F, T, T, T]),
    ("true() and not(false())", None, T),
    ("1 = true()", None, T),
    ("0 = false()", None, T),
    ("${sex} = true()", None, [T, T, F, F]),
    ("'abc' = \"abc\"", None, T),
    # numbers
    ("round(2.5)", None, 3.0),
    ("round(-2.5)", None, -3.0),  # ODK rounds half away from zero
    ("round(1.005, 2)", None, 1.01),  # on the decimal form, not the binary one
    ("round(${age} div 7, 1)", None, [2.1, 1.3, NAN, 4.3]),
    ("int(-2.7)", None, -2.0),
    ("int(${age} div 2)", None, [7.0, 4.0, NAN, 15.0]),
    ("max(${age}, ${n}, 10)", None, [15.0, 10.0, NAN, 30.0]),
    ("min(1, 2)", None, 1.0),
    ("pow(2, 10)", None, 1024.0),
    ("sqrt(-1)", None, NAN),
    ("abs(-3)", None, 3.0),
    ("floor(-1.5)", None, -2.0),
    ("ceiling(-1.5)", None, -1.0),
    ("log(0)", None, -math.inf),
    # strings of numbers
    ("string(${age})", None, ["15", "9", "", "30"]),
    ("string(1 div 3)", None, "0.3333333333333333"),
    ("string(0.1 + 0.2)", None, "0.30000000000000004"),
    ("string(1 div 0)", None, "Infinity"),
    ("string(number('x'))", None, "NaN"),
    ("string(5.0)", None, "5"),
    ("string(0.0000001)", None, "0.0000001"),
    # if / coalesce
    ("if(${age} >= 18, 'adult', 'minor')", None, ["minor", "minor", "minor", "adult"]),
    ("if(${sex} = 'f', ${age}, 0)", None, ["15", "0", "0", "0"]),  # an answer or a number
    ("if(${sex} = 'f', ${age}, 0) > 10", None, [T, F, F, F]),
    ("if(${sex} = 'f', ${age}, 0) = ''", None, F),
    ("coalesce(${sex}, 'unknown')", None, ["f", "m", "unknown", "unknown"]),
    ("coalesce(${age}, 0) + 1", None, [16.0, 10.0, 1.0, 31.0]),
    # answers themselves
    ("${sex}", None, ["f", "m", "", ""]),
    ("${age}", None, ["15", "9", "", "30"]),  # an answer evaluates to its text
    (".", "n", ["3", "5", "0", "2"]),
]


def assert_same(got: object, expected: object, what: str) -> None:
    got_list = list(np.asarray(got, dtype=object).ravel()) if np.ndim(got) else [got]
    expected_list = list(expected) if isinstance(expected, list) else [expected] * len(got_list)
    assert len(got_list) == len(expected_list), what
    for g, e in zip(got_list, expected_list, strict=True):
        if isinstance(e, float) and math.isnan(e):
            assert isinstance(g, float) and math.isnan(g), f"{what}: got {g!r}, expected NaN"
        elif isinstance(e, float):
            assert isinstance(g, float) and g == pytest.approx(e, rel=1e-12), f"{what}: {g!r}"
        else:
            assert g == e and type(g) is type(e), f"{what}: got {g!r}, expected {e!r}"


@pytest.mark.parametrize(("text", "current", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_expression_table_vectorised(text, current, expected):
    values = compile_expression(text).evaluate(answers(), current, today=TODAY)
    assert len(values) == 4
    assert_same([v.item() if hasattr(v, "item") else v for v in values], expected, text)


@pytest.mark.parametrize(("text", "current", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_expression_table_row_by_row(text, current, expected):
    expression = compile_expression(text)
    rows = answers().to_dict("records")
    values = [expression.evaluate_row(row, current, today=TODAY) for row in rows]
    assert_same(values, expected, text)


def test_holds_is_xpath_boolean_of_the_value():
    frame = ExpressionFrame(answers(), today=TODAY)
    assert list(compile_expression("${sex}").holds(frame)) == [T, T, F, F]
    assert list(compile_expression("${n}").holds(frame)) == [T, T, T, T]  # '0' is an answer
    assert list(compile_expression("${n} - 3").holds(frame)) == [F, T, T, T]
    assert compile_expression("${n} - 3").holds_row({"n": 3}) is False
    assert compile_expression("'x'").holds(frame).dtype == bool


def test_categorical_select_compares_its_stored_code():
    data = pd.DataFrame({"sex": pd.Categorical(["f", "m", None], categories=["m", "f"])})
    assert list(compile_expression("${sex} = 'f'").holds(data)) == [T, F, F]
    assert list(compile_expression("${sex} = ''").holds(data)) == [F, F, T]


def test_typed_columns_numbers_dates_and_booleans():
    data = pd.DataFrame(
        {
            "k": pd.array([1, None, 3], dtype="Int64"),
            "d": pd.to_datetime(["2024-01-31", None, "2024-03-01 12:00"], format="ISO8601"),
            "b": [True, False, True],
        }
    )
    assert list(compile_expression("${k} >= 1").holds(data)) == [T, F, T]
    assert list(compile_expression("${k} = ''").holds(data)) == [F, T, F]
    assert list(compile_expression("${d} < '2024-02-01'").holds(data)) == [T, F, F]
    assert list(compile_expression("string(${d})").evaluate(data)) == [
        "2024-01-31",
        "",
        "2024-03-01T12:00:00",
    ]
    assert list(compile_expression("${b} = 1").holds(data)) == [T, F, T]


def test_empty_tables_and_filtered_indexes():
    empty = answers().iloc[:0]
    assert compile_expression("regex(${phone}, 'x') or ${age} > 3").holds(empty).shape == (0,)
    assert compile_expression("concat(${sex}, 'x')").evaluate(empty).shape == (0,)
    filtered = answers().iloc[[3, 0]]  # index 3, 0: positions, not labels, count
    assert list(compile_expression("${age} > 20").holds(filtered)) == [T, F]


def test_a_frame_reuses_column_conversions_and_fixes_today():
    frame = ExpressionFrame(answers(), today=dt.date(2024, 2, 1))
    first = compile_expression(". > 10").holds(frame, "age")
    assert frame.node("age") is frame.node("age")
    assert list(first) == [T, F, F, T]
    assert list(compile_expression("${start} < today()").holds(frame)) == [F, F, F, F]


def test_primitive_conversions():
    assert string_to_number(" -12.50 ") == -12.5
    assert string_to_number(".5") == 0.5
    assert string_to_number("5.") == 5.0
    for text in ("", "+5", "1e3", "1,5", "٣", "abc", "Infinity", "2024-13-01"):
        assert math.isnan(string_to_number(text)), text
    assert string_to_number("1970-01-03") == 2.0
    assert string_to_number("1970-01-01T06:00:00Z") == 0.25
    assert string_to_number("1970-01-01T06:00:00+06:00") == 0.0
    assert number_to_string(-0.0) == "0"
    assert number_to_string(1e21) == "1000000000000000000000"
    assert number_to_string(-math.inf) == "-Infinity"


# --------------------------------------------------------------------------- errors
COMPILE_ERRORS = [
    ("selectd(${a}, 'x')", 0, "did you mean 'selected'"),
    ("1 + selected(${a})", 4, "takes 2 arguments, got 1"),
    ("if(1, 2)", 0, "takes 3 arguments, got 2"),
    ("concat()", None, None),
    ("regex(., '[')", 9, "regex pattern '[' is not valid"),
    ("(1 + 2", 6, "expected ')' or ','"),  # syntax errors come through compile_expression too
]


@pytest.mark.parametrize(("text", "position", "fragment"), COMPILE_ERRORS)
def test_compile_checks_functions_and_arguments(text, position, fragment):
    if fragment is None:
        assert compile_expression(text).evaluate_row({}) == ""
        return
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    error = caught.value
    assert not isinstance(error, UnsupportedExpressionError)
    assert (error.position, error.expression) == (position, text)
    assert fragment in str(error) and repr(text) in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "/data/age > 3",
        "instance('places')/root/item[name = ${x}]/label",
        "pulldata('fruits', 'name', 'key', ${x})",
        "position(..) = 1",
        "${last-saved#age}",
        "count(${members})",
        "jr:choice-name(${sex}, '${sex}')",
    ],
)
def test_valid_xlsform_that_the_workbench_cannot_evaluate(text):
    with pytest.raises(UnsupportedExpressionError, match=r"not evaluated|cannot be evaluated"):
        compile_expression(text)


def test_missing_columns_are_named_with_a_suggestion():
    with pytest.raises(DataError, match=r"'agee', 'sexx'.*did you mean 'age'"):
        compile_expression("${agee} > 3 and ${sexx} = 'f'").evaluate(answers())
    with pytest.raises(DataError, match="'agee'"):
        compile_expression("${agee} > 3").evaluate_row({"age": 4})


def test_current_answer_needs_a_current_column():
    with pytest.raises(ExpressionError, match="no current column"):
        compile_expression(". > 3").evaluate(answers())


def test_invalid_regex_from_the_data_is_an_expression_error():
    data = pd.DataFrame({"pattern": ["[0-9]", "("], "text": ["1", "2"]})
    with pytest.raises(ExpressionError, match="not valid"):
        compile_expression("regex(${text}, ${pattern})").evaluate(data)


def test_inputs_are_not_modified():
    data = answers()
    before = data.copy()
    compile_expression("${age} > 3 and selected(${reasons}, 'a')").evaluate(data)
    pd.testing.assert_frame_equal(data, before)


def test_expression_reports_its_references():
    expression = compile_expression("${a} + ${b} > . and name != ${a}")
    assert expression.fields == ("a", "b")
    assert expression.names == ("name",)
    assert expression.uses_current


# --------------------------------------------------------------------------- properties
COLUMN_ATOMS = ["${age}", "${w}", "${n}", "${sex}", "${code}", "${reasons}", "${start}", "."]
LITERAL_ATOMS = ["1", "0", "2.5", "'f'", "''", "'0'", "'a'", "'2024-03-01'", "today()", "true()"]
BINARY = ["+", "-", "*", "div", "mod", "=", "!=", "<", "<=", ">", ">=", "and", "or"]
UNARY = ["not", "number", "string", "string-length", "count-selected", "int", "round", "date"]


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        st.tuples(children, st.sampled_from(BINARY), children).map(lambda t: f"({' '.join(t)})"),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
        pair.map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        pair.map(lambda t: f"concat({t[0]}, {t[1]})"),
        pair.map(lambda t: f"max({t[0]}, {t[1]})"),
        pair.map(lambda t: f"selected({t[0]}, {t[1]})"),
        pair.map(lambda t: f"regex({t[0]}, '^[a-f0-9 ]')"),
        pair.map(lambda t: f"format-date({t[0]}, '%Y-%n')"),
    )


EXPRESSIONS = st.recursive(st.sampled_from(COLUMN_ATOMS + LITERAL_ATOMS), _extend, max_leaves=10)


def random_answers(seed: int, rows: int = 25) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.choice([NAN, 0.0, 9.0, 15.5, 30.0, -2.0], rows),
            "w": rng.choice([NAN, 9.0, 1.0], rows),
            "n": rng.integers(-3, 4, rows),
            "sex": rng.choice(np.array(["f", "m", "", None, "0"], dtype=object), rows),
            "code": rng.choice(np.array(["0", "1", "99", None, "1.0", " 2"], dtype=object), rows),
            "reasons": rng.choice(np.array(["a b", "other", "", None, "b  a"], dtype=object), rows),
            "start": rng.choice(
                np.array(["2024-03-01", "2024-02-29T23:30:00+01:00", "", "x"], dtype=object), rows
            ),
        }
    )


def same_value(vector_value: object, row_value: object) -> bool:
    if isinstance(vector_value, float) and math.isnan(vector_value):
        return isinstance(row_value, float) and math.isnan(row_value)
    if isinstance(vector_value, float) and vector_value == 0 and isinstance(row_value, float):
        return row_value == 0 and math.copysign(1, vector_value) == math.copysign(1, row_value)
    return vector_value == row_value and type(vector_value) is type(row_value)


def check_vectorised_equals_row_by_row(text: str, seed: int, rows: int = 25) -> None:
    data = random_answers(seed, rows)
    check_against_rows(text, ExpressionFrame(data, today=TODAY), data.to_dict("records"))


def check_against_rows(text: str, frame: ExpressionFrame, rows: list[dict]) -> None:
    expression = compile_expression(text)
    vector = expression.evaluate(frame, "age")
    holds = expression.holds(frame, "age")
    assert vector.shape == holds.shape == (len(rows),)
    for i, row in enumerate(rows):
        expected = expression.evaluate_row(row, "age", today=TODAY)
        got = vector[i].item() if hasattr(vector[i], "item") else vector[i]
        assert same_value(got, expected), f"{text!r} row {i} {row}: {got!r} != {expected!r}"
        assert holds[i] == expression.holds_row(row, "age", today=TODAY), f"{text!r} row {i}"


PAIRS = [(a, b) for a in COLUMN_ATOMS + LITERAL_ATOMS for b in COLUMN_ATOMS + LITERAL_ATOMS]


@pytest.fixture(scope="module")
def shared_answers() -> tuple[ExpressionFrame, list[dict]]:
    data = random_answers(seed=7, rows=12)
    return ExpressionFrame(data, today=TODAY), data.to_dict("records")


@pytest.mark.parametrize("op", BINARY)
def test_every_operator_on_every_pair_of_values(op, shared_answers):
    for left, right in PAIRS:
        check_against_rows(f"{left} {op} {right}", *shared_answers)


@pytest.mark.parametrize("function", ["selected", "coalesce", "concat", "max"])
def test_two_argument_functions_on_every_pair_of_values(function, shared_answers):
    for left, right in PAIRS:
        check_against_rows(f"{function}({left}, {right})", *shared_answers)


@pytest.mark.parametrize("function", UNARY)
def test_one_argument_functions_on_every_value(function, shared_answers):
    for value in COLUMN_ATOMS + LITERAL_ATOMS:
        check_against_rows(f"-{function}({value})", *shared_answers)
        check_against_rows(f"if({value}, {function}({value}), .)", *shared_answers)


# The recursive strategy's repr is large; hypothesis warns about it, harmlessly.
QUIET = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")


@QUIET
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=EXPRESSIONS, seed=st.integers(0, 2**16))
def test_vectorised_equals_row_by_row_on_random_data(text, seed):
    check_vectorised_equals_row_by_row(text, seed)


@pytest.mark.slow
@QUIET
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=EXPRESSIONS, seed=st.integers(0, 2**16))
def test_vectorised_equals_row_by_row_on_random_data_long(text, seed):
    check_vectorised_equals_row_by_row(text, seed)


FUZZ_ALPHABET = st.sampled_from(
    [
        *"${}()[]/.,'\"=!<>+-*|@:#0123456789 abcdefxyz_‘’é",
        *["and", "or", "div", "mod", "selected(", "regex(", "if(", "${a}", ".", "today()"],
    ]
)


FUZZ_TEXT = st.one_of(st.text(max_size=40), st.lists(FUZZ_ALPHABET, max_size=25).map("".join))


@settings(max_examples=500, deadline=None)
@given(text=FUZZ_TEXT)
def test_random_text_raises_only_the_evaluators_own_error(text):
    check_only_own_errors(text)


@pytest.mark.slow
@settings(max_examples=20000, deadline=None)
@given(text=FUZZ_TEXT)
def test_random_text_raises_only_the_evaluators_own_error_long(text):
    check_only_own_errors(text)


def check_only_own_errors(text: str) -> None:
    try:
        expression = compile_expression(text)
    except ExpressionError:
        return
    columns = {
        name: ["1", "a b", "", "2024-01-01"] for name in expression.fields + expression.names
    }
    columns.setdefault("current", ["x", "", "3", "."])
    data = pd.DataFrame(columns)
    try:
        values = expression.evaluate(data, "current", today=TODAY)
    except ExpressionError:
        return
    assert len(values) == 4


def _number_literals() -> st.SearchStrategy[str]:
    integers = st.integers(0, 10**6).map(str)
    decimals = st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]}")
    return st.one_of(integers, decimals, st.just("0"))


def ieee(op: str, a: float, b: float) -> float:
    """Python arithmetic with IEEE 754 results where Python would raise."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        if b == 0:
            return (
                NAN if a == 0 or math.isnan(a) else math.copysign(math.inf, a * math.copysign(1, b))
            )
        return a / b
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return NAN
    return math.fmod(a, b)


def _arithmetic(depth: int = 3) -> st.SearchStrategy[tuple[str, float]]:
    leaf = _number_literals().map(lambda text: (text, float(text)))
    if depth == 0:
        return leaf

    def combine(t: tuple) -> tuple[str, float]:
        (left_text, left), op, (right_text, right), negate = t
        text, value = f"({left_text} {op} {right_text})", ieee(op, left, right)
        return (f"-{text}", -value) if negate else (text, value)

    sub = _arithmetic(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "div", "mod"]), sub, st.booleans()).map(
            combine
        ),
    )


@settings(max_examples=300, deadline=None)
@given(case=_arithmetic())
def test_random_arithmetic_matches_python(case):
    text, expected = case
    expression = compile_expression(text)
    vector = expression.evaluate(pd.DataFrame(index=range(2)))
    row = expression.evaluate_row({})
    for got in (float(vector[0]), row):
        assert same_value(got, expected), f"{text}: {got!r} != {expected!r}"


@settings(max_examples=200, deadline=None)
@given(
    terms=st.lists(
        st.tuples(
            st.lists(_number_literals(), min_size=1, max_size=3),
            st.lists(st.sampled_from(["*", "div", "mod"]), min_size=2, max_size=2),
        ),
        min_size=1,
        max_size=4,
    ),
    additive=st.lists(st.sampled_from(["+", "-"]), min_size=3, max_size=3),
)
def test_unparenthesised_arithmetic_follows_xpath_precedence(terms, additive):
    texts, values = [], []
    for literals, ops in terms:
        value, text = float(literals[0]), literals[0]
        for literal, op in zip(literals[1:], ops, strict=False):
            value, text = ieee(op, value, float(literal)), f"{text} {op} {literal}"
        texts.append(text)
        values.append(value)
    text, expected = texts[0], values[0]
    for term_text, term_value, op in zip(texts[1:], values[1:], additive, strict=False):
        text, expected = f"{text} {op} {term_text}", ieee(op, expected, term_value)
    assert same_value(compile_expression(text).evaluate_row({}), expected), text
