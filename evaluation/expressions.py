"""XLSForm expressions: the XPath subset real forms use, parsed once and evaluated over a table.

An XLSForm's ``relevant``, ``constraint``, ``calculation`` and ``choice_filter`` cells hold
XPath 1.0 expressions with ODK extensions (``${field}``, ``selected()``, ``regex()``...).
:func:`compile_expression` parses one into a tree once (never with Python ``eval``);
:meth:`Expression.evaluate` then runs it over every row of a :class:`pandas.DataFrame` at once
with numpy, and :meth:`Expression.evaluate_row` runs it on one row (a dict) for messages.

Semantics (XPath 1.0 as ODK's JavaRosa applies it; the reference is the ODK XForms spec):

- ``${name}`` and bare names are answers (columns); ``.`` is the current answer. An empty or
  missing answer is the empty string ``''``; as a number it is NaN.
- ``=`` / ``!=``: if either side is a boolean, both are compared as booleans; else if either is a
  number (or date), as numbers; two numeric columns compare as numbers (two empty answers are
  equal); everything else compares as strings, so ``${q} = 'a'`` compares a select's stored code.
- ``<``, ``<=``, ``>``, ``>=`` always compare numbers. Any comparison with NaN is false, except
  ``!=``, which is the negation of ``=`` (IEEE 754, as JavaRosa does).
- Strings become numbers as XPath ``number()`` reads them (``-?digits[.digits]``, surrounding
  spaces allowed, nothing else); ISO dates and date-times also become numbers, the days since
  1970-01-01, so ``${end_date} >= ${start_date}`` and ``. <= today()`` work on text exports.
- A boolean of an answer is true when the answer is not empty.

Only what the project's and real third-party forms use is supported; XPath paths and
predicates (``/data/x``, ``instance('l')/root/item[...]``) and functions such as
``pulldata()`` raise :class:`~evaluation.errors.UnsupportedExpressionError`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from evaluation.errors import (
    DataError,
    ExpressionError,
    ParamsError,
    UnsupportedExpressionError,
    did_you_mean,
    format_values,
)
from evaluation.xpath import (
    Call,
    Chain,
    Current,
    Field,
    Name,
    Negate,
    Node,
    Number,
    String,
    parse,
    walk,
)

__all__ = [
    "Expression",
    "ExpressionFrame",
    "compile_expression",
    "number_to_string",
    "string_to_number",
]

# --------------------------------------------------------------------------- primitives
# These few conversions define the language; both evaluators use them.

_XPATH_NUMBER = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")
_ISO_DATE_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EPOCH = dt.datetime(1970, 1, 1)
_SECONDS_PER_DAY = 86400.0


def string_to_number(text: str) -> float:
    """XPath ``number()`` of a string, extended to ISO dates (days since 1970-01-01).

    Parameters
    ----------
    text : str
        The string value.

    Returns
    -------
    float
        The number, or NaN when ``text`` is empty or not a number. ``'2024-03-01'`` gives
        the days since 1970-01-01; a date-time with an offset is first converted to UTC.
    """
    if _XPATH_NUMBER.fullmatch(text):
        return float(text)
    stripped = text.strip()
    if _ISO_DATE_START.match(stripped):
        return _iso_to_days(stripped)
    return math.nan


def _iso_to_days(text: str) -> float:
    try:
        if len(text) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        else:
            moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return math.nan
    return (moment - _EPOCH).total_seconds() / _SECONDS_PER_DAY


def number_to_string(value: float) -> str:
    """XPath ``string()`` of a number: ``5`` not ``5.0``, ``NaN``, ``Infinity``, no exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer():
        return str(int(value))
    return np.format_float_positional(value, trim="-")


def days_to_string(days: float) -> str:
    """A date (days since 1970-01-01) as ``YYYY-MM-DD``, or ISO date-time when it has a time."""
    if not math.isfinite(days):
        return ""
    try:
        moment = _EPOCH + dt.timedelta(days=days)
    except OverflowError:
        return ""
    if moment.time() == dt.time():
        return moment.date().isoformat()
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _moment_to_days(value: dt.date | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)  # wall-clock time, as a form shows it
        return (value - _EPOCH).total_seconds() / _SECONDS_PER_DAY
    return float((value - _EPOCH.date()).days)


# --------------------------------------------------------------------------- values
# Vectorised values are (kind, data): "num" float64, "str" object array of str, "bool" bool
# array, "date" float64 days since 1970-01-01, or "node" (an answer column, a _Node). Data is a
# numpy scalar when the value is the same on every row (literals), so numpy broadcasts it.


class _Val(NamedTuple):
    kind: str
    data: Any


class _Node:
    """An answer column: its string view ('' when empty), its number view, and whether it is
    typed as a number (a numeric or date column). Text columns are factorised once, so every
    conversion and function runs once per distinct value; views are computed when first
    needed and kept."""

    def __init__(self, frame: ExpressionFrame, series: pd.Series) -> None:
        self._frame = frame
        self._series = series
        dtype = series.dtype
        self._categorical = isinstance(dtype, pd.CategoricalDtype)
        self._dates = pd.api.types.is_datetime64_any_dtype(dtype)
        self.numeric = bool(
            self._dates or (pd.api.types.is_numeric_dtype(dtype) and not self._categorical)
        )
        if self._categorical:
            self.numeric = _Node(frame, pd.Series(dtype.categories)).numeric
        self._str: np.ndarray | None = None
        self._num: np.ndarray | None = None
        self._empty: np.ndarray | None = None
        self._factor: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def str(self) -> np.ndarray:
        if self._str is None:
            codes, uniques = self._factorised()
            if self.numeric:
                texts = self._frame.map_unique(uniques, self._answer_text, object)
            elif pd.api.types.infer_dtype(uniques, skipna=False) == "string":
                texts = uniques.astype(object)
            else:
                texts = np.array([_scalar_text(u) for u in uniques], dtype=object)
            texts = np.append(texts, "").astype(object)  # the last code is "missing"
            self._str = texts[codes]
            self._frame._factors[id(self._str)] = (self._str, codes, texts)
        return self._str

    @property
    def num(self) -> np.ndarray:
        if self._num is None:
            if self._dates:
                self._num = _datetimes_to_days(self._series)
            elif self.numeric and not self._categorical:
                self._num = self._series.to_numpy(dtype="float64", na_value=np.nan)
            else:
                codes, uniques = self._factorised()
                numbers = np.array([_scalar_number(u) for u in uniques] + [np.nan], dtype=float)
                self._num = numbers[codes]
                self._frame._factors[id(self._num)] = (self._num, codes, numbers)
        return self._num

    @property
    def empty(self) -> np.ndarray:
        if self._empty is None:
            known = self._frame._factors.get(id(self._str))
            if known is not None and known[0] is self._str:
                _, codes, texts = known
                self._empty = (texts == "")[codes]
            else:
                self._empty = self.str == ""
        return self._empty

    def _answer_text(self, value: float) -> str:
        return days_to_string(value) if self._dates else _number_to_answer(value)

    def _factorised(self) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, uniques)`` with missing values coded ``len(uniques)``."""
        if self._factor is None:
            if self._categorical:
                codes = self._series.cat.codes.to_numpy()
                uniques = np.asarray(self._series.cat.categories, dtype=object)
                if pd.api.types.is_numeric_dtype(self._series.cat.categories.dtype):
                    uniques = np.asarray(self._series.cat.categories, dtype=float)
            elif self.numeric:
                codes, uniques = pd.factorize(self.num, use_na_sentinel=True)
            else:
                codes, uniques = pd.factorize(self._series, use_na_sentinel=True)
                uniques = np.asarray(uniques, dtype=object)
            codes = np.where(codes < 0, len(uniques), codes)
            self._factor = (codes, uniques)
        return self._factor


def _datetimes_to_days(series: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 (wall-clock time for time-zone-aware columns), NaN when missing."""
    values = series.dt.tz_localize(None) if series.dt.tz is not None else series
    nanos = values.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    nanos[values.isna().to_numpy()] = np.nan
    return nanos / (_SECONDS_PER_DAY * 1e9)


def _number_to_answer(value: float) -> str:
    return "" if math.isnan(value) else number_to_string(value)


def _scalar_text(value: Any) -> str:
    """The string value of one cell of a text column."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | float | np.integer | np.floating):
        return _number_to_answer(float(value))
    if isinstance(value, dt.date):
        return days_to_string(_moment_to_days(value))
    return str(value)


def _scalar_number(value: Any) -> float:
    """The number value of one cell of a text column."""
    if isinstance(value, str):
        return string_to_number(value)
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        return float(value)
    if isinstance(value, dt.date):
        return _moment_to_days(value)
    return string_to_number(str(value))


class _Merged:
    """A node built by ``if()``/``coalesce()`` from two nodes."""

    def __init__(self, str_: Any, num: Any, numeric: bool) -> None:
        self.str = str_
        self.num = num
        self.numeric = numeric
        self.empty = str_ == ""


# --------------------------------------------------------------------------- frame
class ExpressionFrame:
    """A table prepared for evaluating many expressions: column conversions are kept.

    Build one per table and pass it to :meth:`Expression.evaluate` instead of the DataFrame
    when evaluating many expressions, so each column is converted only once.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per submission, one column per answer (select_multiple answers as one
        space-separated text column).
    today : datetime.date, optional
        The date ``today()`` returns; default the computer's date.
    now : datetime.datetime, optional
        The date-time ``now()`` returns; default the computer's clock.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        today: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise ParamsError(f"expected a pandas DataFrame, got {type(data).__name__}")
        self.data = data
        self.n_rows = len(data)
        self.today = today or dt.date.today()
        self.now = now or dt.datetime.now()
        self._nodes: dict[str, _Node] = {}
        self._factors: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def node(self, name: str) -> _Node:
        """The answer column ``name`` with its views."""
        node = self._nodes.get(name)
        if node is None:
            column = self.data[name]
            if isinstance(column, pd.DataFrame):
                raise DataError(
                    f"the data has {column.shape[1]} columns named '{name}'; "
                    "rename them so each answer has one column"
                )
            node = self._nodes[name] = _Node(self, column)
        return node

    def map_unique(self, values: np.ndarray, func: Callable[[Any], Any], dtype: Any) -> np.ndarray:
        """``func`` applied to each distinct value of ``values`` (once each), spread back."""
        known = self._factors.get(id(values))
        if known is not None and known[0] is values:
            _, codes, uniques = known
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=False)
            uniques = np.asarray(uniques)
        results = list(map(func, uniques.tolist()))  # plain Python values, one call each
        if dtype is object:
            mapped = np.empty(len(results), dtype=object)
            mapped[:] = results
        else:
            mapped = np.array(results, dtype=dtype)
        return mapped[codes]


def _check_columns(expression: Expression, current: str | None, columns: Iterable[Any]) -> None:
    """Raise DataError naming every column ``expression`` needs that ``columns`` lacks."""
    needed = [*expression.fields, *expression.names]
    if expression.uses_current:
        if current is None:
            raise ExpressionError(
                f"expression {expression.text!r} uses '.' (the answer being checked) but "
                "no current column was given; pass current='<question name>'",
                expression.text,
            )
        needed.append(current)
    columns = list(columns)
    present = set(columns)
    missing = list(dict.fromkeys(name for name in needed if name not in present))
    if missing:
        hint = did_you_mean(missing[0], map(str, columns))
        raise DataError(
            f"expression {expression.text!r} refers to {format_values(missing)}, which the "
            f"data has no column for{hint}; available columns: "
            f"{format_values(columns, limit=12)}"
        )


# --------------------------------------------------------------------------- conversions
_NUMERIC_KINDS = ("num", "date")


def _is_array(data: Any) -> bool:
    return isinstance(data, np.ndarray)


def _scalar_or_array(data: Any) -> Any:
    """numpy gives 0-d arrays where every input was a scalar; keep those as scalars."""
    return data[()] if isinstance(data, np.ndarray) and data.ndim == 0 else data


def _as_bool(data: Any) -> Any:
    return data if _is_array(data) else np.bool_(data)


def _v_num(value: _Val, frame: ExpressionFrame) -> Any:
    kind, data = value
    if kind in _NUMERIC_KINDS:
        return data
    if kind == "bool":
        return data.astype(float) if _is_array(data) else np.float64(data)
    if kind == "str":
        if _is_array(data):
            return frame.map_unique(data, string_to_number, float)
        return np.float64(string_to_number(data))
    return data.num


def _v_str(value: _Val, frame: ExpressionFrame) -> Any:
    kind, data = value
    if kind == "str":
        return data
    if kind == "node":
        return data.str
    if kind == "bool":
        if _is_array(data):
            return np.where(data, "true", "false").astype(object)
        return "true" if data else "false"
    convert = number_to_string if kind == "num" else days_to_string
    return frame.map_unique(data, convert, object) if _is_array(data) else convert(float(data))


def _v_bool(value: _Val, frame: ExpressionFrame) -> Any:
    kind, data = value
    if kind == "bool":
        return _as_bool(data)
    if kind == "node":
        return ~data.empty
    if kind == "str":
        return _as_bool(data != "")
    return (data != 0) & ~np.isnan(data)


_V_CONVERT: dict[str, Callable[[_Val, ExpressionFrame], Any]] = {
    "num": _v_num,
    "str": _v_str,
    "bool": _v_bool,
    "days": _v_num,
}


# --------------------------------------------------------------------------- operators
def _v_equal(left: _Val, right: _Val, frame: ExpressionFrame) -> Any:
    kinds = (left.kind, right.kind)
    if "bool" in kinds:
        return _v_bool(left, frame) == _v_bool(right, frame)
    if any(kind in _NUMERIC_KINDS for kind in kinds):
        return _v_num(left, frame) == _v_num(right, frame)
    if kinds == ("node", "node") and left.data.numeric and right.data.numeric:
        a, b = left.data, right.data
        return (a.num == b.num) | (a.empty & b.empty)
    for node, literal in ((left, right), (right, left)):
        if node.kind == "node" and literal.kind == "str" and not _is_array(literal.data):
            return _v_str_is(node.data.str, literal.data, frame)
    return _v_str(left, frame) == _v_str(right, frame)


def _v_str_is(values: np.ndarray, literal: str, frame: ExpressionFrame) -> np.ndarray:
    known = frame._factors.get(id(values))
    if known is not None and known[0] is values:
        _, codes, uniques = known
        return (uniques == literal)[codes]
    return values == literal


def _v_binary(op: str, left: _Val, right: _Val, frame: ExpressionFrame) -> _Val:
    if op in ("and", "or"):
        a, b = _v_bool(left, frame), _v_bool(right, frame)
        return _Val("bool", (a & b) if op == "and" else (a | b))
    if op == "=":
        return _Val("bool", _as_bool(_v_equal(left, right, frame)))
    if op == "!=":
        return _Val("bool", ~_as_bool(_v_equal(left, right, frame)))
    a, b = _v_num(left, frame), _v_num(right, frame)
    with np.errstate(all="ignore"):
        if op in _COMPARE:
            return _Val("bool", _COMPARE[op](a, b))
        return _Val("num", np.float64(1.0) * _ARITHMETIC[op](a, b))


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "div": np.divide,
    "mod": np.fmod,  # XPath mod keeps the sign of the dividend, like C fmod
}


def _v_unify(cond: Any, yes: _Val, no: _Val, frame: ExpressionFrame) -> _Val:
    """``yes`` where ``cond`` holds, else ``no``, in one kind (see :func:`_result_kind`)."""
    kind = _result_kind(yes.kind, no.kind)
    if kind == "node":
        return _Val(
            "node",
            _Merged(
                np.where(cond, yes.data.str, no.data.str),
                np.where(cond, yes.data.num, no.data.num),
                yes.data.numeric and no.data.numeric,
            ),
        )
    convert = {"num": _v_num, "date": _v_num, "bool": _v_bool, "str": _v_str}[kind]
    data = np.where(cond, convert(yes, frame), convert(no, frame))
    if kind == "str":
        data = data.astype(object)
    return _Val(kind, _scalar_or_array(data))


def _result_kind(kind_a: str, kind_b: str) -> str:
    """The kind of ``if(c, a, b)``: the common kind, else number for numbers and dates, else
    string (an answer and a number give a string, which still compares as a number with
    numbers and as text with text, as the XPath answer would)."""
    if kind_a == kind_b:
        return kind_a
    if {kind_a, kind_b} <= {"num", "date"}:
        return "num"
    return "str"


# --------------------------------------------------------------------------- scalar values
# One-row evaluation uses plain Python values: float, str, bool, _SNode (an answer) and
# _SDate (days). It is written separately from the vectorised path and tests compare them.


@dataclass(frozen=True)
class _SNode:
    text: str
    number: float
    numeric: bool

    @property
    def empty(self) -> bool:
        return self.text == ""


@dataclass(frozen=True)
class _SDate:
    days: float


def _s_node(value: Any) -> _SNode:
    """An answer from a row dict: None/NaN are empty; numbers and dates are typed numeric."""
    if value is None or value is pd.NA or value is pd.NaT:
        return _SNode("", math.nan, False)
    if isinstance(value, float | np.floating) and math.isnan(value):
        return _SNode("", math.nan, True)
    if isinstance(value, str):
        return _SNode(value, string_to_number(value), False)
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        number = float(value)
        return _SNode(_number_to_answer(number), number, True)
    if isinstance(value, dt.date):
        days = _moment_to_days(value)
        return _SNode(days_to_string(days), days, True)
    text = str(value)
    return _SNode(text, string_to_number(text), False)


def _s_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float):
        return "num"
    if isinstance(value, str):
        return "str"
    if isinstance(value, _SDate):
        return "date"
    return "node"


def _s_num(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return string_to_number(value)
    if isinstance(value, _SDate):
        return value.days
    return value.number


def _s_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_to_string(value)
    if isinstance(value, str):
        return value
    if isinstance(value, _SDate):
        return days_to_string(value.days)
    return value.text


def _s_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    if isinstance(value, _SDate):
        return value.days != 0 and not math.isnan(value.days)
    return not value.empty


_S_CONVERT: dict[str, Callable[[Any], Any]] = {
    "num": _s_num,
    "str": _s_str,
    "bool": _s_bool,
    "days": _s_num,
}


def _s_equal(left: Any, right: Any) -> bool:
    kinds = (_s_kind(left), _s_kind(right))
    if "bool" in kinds:
        return _s_bool(left) == _s_bool(right)
    if "num" in kinds or "date" in kinds:
        return _s_num(left) == _s_num(right)
    if kinds == ("node", "node") and left.numeric and right.numeric:
        return left.number == right.number or (left.empty and right.empty)
    return _s_str(left) == _s_str(right)


def _s_binary(op: str, left: Any, right: Any) -> Any:
    if op == "and":
        return _s_bool(left) and _s_bool(right)
    if op == "or":
        return _s_bool(left) or _s_bool(right)
    if op == "=":
        return _s_equal(left, right)
    if op == "!=":
        return not _s_equal(left, right)
    a, b = _s_num(left), _s_num(right)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    return _s_arithmetic(op, a, b)


def _s_arithmetic(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        if b == 0:
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        return a / b
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.fmod(a, b)


def _s_unify(cond: bool, yes: Any, no: Any) -> Any:
    kind = _result_kind(_s_kind(yes), _s_kind(no))
    chosen = yes if cond else no
    if kind == "node":
        return _SNode(chosen.text, chosen.number, yes.numeric and no.numeric)
    if kind == "date":
        return chosen
    return {"num": _s_num, "bool": _s_bool, "str": _s_str}[kind](chosen)


# --------------------------------------------------------------------------- functions
@dataclass(frozen=True)
class _Function:
    """One XLSForm function: arity, and its vectorised and one-row implementations."""

    min_args: int
    max_args: int | None
    vector: Callable[[list[_Val], ExpressionFrame], _Val]
    scalar: Callable[[list[Any], _Row], Any]


def _typed(
    arg_kinds: tuple[str, ...],
    result: str,
    core: Callable[..., Any],
    fast: Callable[..., Any] | None = None,
    variadic: bool = False,
    per_value: Callable[..., Callable[[Any], Any]] | None = None,
) -> tuple[Callable[[list[_Val], ExpressionFrame], _Val], Callable[[list[Any], _Row], Any]]:
    """Build both implementations of a function from a core on plain Python values.

    Arguments are converted to ``arg_kinds`` (num, str, bool, days; the last repeats when
    ``variadic``). The vectorised version uses ``fast`` (numpy) if given, else applies
    ``core`` once per distinct value; ``per_value(*other_args)`` may give a quicker
    one-argument function for when only the first argument varies by row.
    """
    dtype = {"num": float, "bool": bool, "str": object, "date": float}[result]

    def kinds_for(n: int) -> tuple[str, ...]:
        return arg_kinds + (arg_kinds[-1],) * (n - len(arg_kinds)) if variadic else arg_kinds

    def vector(args: list[_Val], frame: ExpressionFrame) -> _Val:
        kinds = kinds_for(len(args))
        converted = [_V_CONVERT[kind](arg, frame) for kind, arg in zip(kinds, args, strict=False)]
        if fast is not None:
            with np.errstate(all="ignore"):
                return _Val(result, fast(*converted))
        only_first_varies = (
            bool(converted) and _is_array(converted[0]) and not any(map(_is_array, converted[1:]))
        )
        if per_value is not None and only_first_varies:
            func = per_value(*converted[1:])
            return _Val(result, frame.map_unique(converted[0], func, dtype))
        return _Val(result, _elementwise(core, converted, dtype, frame))

    def scalar(args: list[Any], row: _Row) -> Any:
        kinds = kinds_for(len(args))
        converted = [_S_CONVERT[kind](arg) for kind, arg in zip(kinds, args, strict=False)]
        value = core(*converted)
        return _SDate(value) if result == "date" else value

    return vector, scalar


def _elementwise(
    core: Callable[..., Any], args: list[Any], dtype: Any, frame: ExpressionFrame
) -> Any:
    arrays = [i for i, arg in enumerate(args) if _is_array(arg)]
    if not arrays:
        return core(*args)
    if len(arrays) == 1:
        i = arrays[0]
        before, after = args[:i], args[i + 1 :]
        if not before and not after:
            func = core
        elif not before and len(after) == 1:
            second = after[0]

            def func(value: Any) -> Any:
                return core(value, second)
        else:

            def func(value: Any) -> Any:
                return core(*before, value, *after)

        return frame.map_unique(args[i], func, dtype)
    broadcast = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in args])
    out = np.empty(broadcast[0].shape, dtype=dtype)
    for k in range(out.size):
        out[k] = core(*(b[k] for b in broadcast))
    return out


def _selected(values: str, choice: str) -> bool:
    return choice in values.split()


def _count_selected(values: str) -> float:
    return float(len(values.split()))


def _selected_at(values: str, index: float) -> str:
    items = values.split()
    if math.isnan(index) or not 0 <= index < len(items):
        return ""
    return items[int(index)]


@lru_cache(maxsize=256)
def _compiled_regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.ASCII)  # \d, \w, \s are ASCII in Java, as in ODK
    except (re.error, RecursionError, OverflowError) as error:
        raise ExpressionError(f"regex pattern {pattern!r} is not valid: {error}") from None


def _regex(text: str, pattern: str) -> bool:
    return _compiled_regex(pattern).search(text) is not None


def _regex_tester(pattern: str) -> Callable[[str], bool]:
    search = _compiled_regex(pattern).search
    return lambda text: search(text) is not None


def _selected_tester(choice: str) -> Callable[[str], bool]:
    return lambda values: choice in values.split()


def _round(value: float, digits: float = 0.0) -> float:
    """ODK round: half away from zero on the number's shortest decimal form."""
    if not math.isfinite(value) or math.isnan(digits):
        return value if not math.isnan(digits) else math.nan
    places = int(max(min(digits, 300), -300))
    try:
        exponent = Decimal(1).scaleb(-places)
        return float(Decimal(repr(float(value))).quantize(exponent, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return value


def _int(value: float) -> float:
    return float(np.trunc(value))  # numpy keeps -0.0, as the vectorised path does


def _substr(text: str, start: float, end: float = math.inf) -> str:
    """ODK substr: 0-based ``start``, ``end`` exclusive; negative values count from the end."""
    if math.isnan(start) or math.isnan(end):
        return ""
    n = len(text)
    begin = int(max(min(start, n), -n)) if math.isfinite(start) else (n if start > 0 else 0)
    stop = int(max(min(end, n), -n)) if math.isfinite(end) else (n if end > 0 else 0)
    return text[begin:stop]


def _translate(text: str, source: str, target: str) -> str:
    table: dict[int, int | None] = {}
    for i, char in enumerate(source):
        table.setdefault(ord(char), ord(target[i]) if i < len(target) else None)
    return text.translate(table)


def _format_date(days: float, pattern: str) -> str:
    """ODK format-date: %Y %y %m %n %b %d %e %a %H %h %M %S %3 on a date or date-time."""
    if not math.isfinite(days):
        return ""
    try:
        moment = _EPOCH + dt.timedelta(days=days)
    except OverflowError:
        return ""
    parts = {
        "Y": f"{moment.year:04d}",
        "y": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}",
        "n": str(moment.month),
        "b": moment.strftime("%b"),
        "d": f"{moment.day:02d}",
        "e": str(moment.day),
        "a": moment.strftime("%a"),
        "H": f"{moment.hour:02d}",
        "h": str(moment.hour),
        "M": f"{moment.minute:02d}",
        "S": f"{moment.second:02d}",
        "3": f"{moment.microsecond // 1000:03d}",
    }
    return re.sub(r"%(.)", lambda m: parts.get(m.group(1), m.group(0)), pattern)


def _s_min(*values: float) -> float:
    return float(np.minimum.reduce(values))


def _s_max(*values: float) -> float:
    return float(np.maximum.reduce(values))


def _v_min(*values: Any) -> Any:
    return np.float64(1.0) * np.minimum.reduce(np.broadcast_arrays(*values))


def _v_max(*values: Any) -> Any:
    return np.float64(1.0) * np.maximum.reduce(np.broadcast_arrays(*values))


def _v_concat(*values: Any) -> Any:
    out: Any = ""
    for value in values:
        if _is_array(out) or _is_array(value):
            out = np.asarray(out, dtype=object) + np.asarray(value, dtype=object)
        else:
            out = out + value
    return out


# Functions that need the value kinds (not one fixed conversion) -----------------------------
def _vec_if(args: list[_Val], frame: ExpressionFrame) -> _Val:
    return _v_unify(_v_bool(args[0], frame), args[1], args[2], frame)


def _sca_if(args: list[Any], row: _Row) -> Any:
    return _s_unify(_s_bool(args[0]), args[1], args[2])


def _v_nonempty(value: _Val, frame: ExpressionFrame) -> Any:
    if value.kind == "node":
        return ~value.data.empty
    return _v_str(value, frame) != ""


def _vec_coalesce(args: list[_Val], frame: ExpressionFrame) -> _Val:
    return _v_unify(_v_nonempty(args[0], frame), args[0], args[1], frame)


def _sca_coalesce(args: list[Any], row: _Row) -> Any:
    return _s_unify(_s_str(args[0]) != "", args[0], args[1])


def _vec_date(args: list[_Val], frame: ExpressionFrame) -> _Val:
    return _Val("date", _v_num(args[0], frame))


def _sca_date(args: list[Any], row: _Row) -> Any:
    return _SDate(_s_num(args[0]))


def _vec_today(args: list[_Val], frame: ExpressionFrame) -> _Val:
    return _Val("date", np.float64(_moment_to_days(frame.today)))


def _sca_today(args: list[Any], row: _Row) -> Any:
    return _SDate(_moment_to_days(row.today))


def _vec_now(args: list[_Val], frame: ExpressionFrame) -> _Val:
    return _Val("date", np.float64(_moment_to_days(frame.now)))


def _sca_now(args: list[Any], row: _Row) -> Any:
    return _SDate(_moment_to_days(row.now))


def _constant(value: Any) -> tuple[Callable[..., _Val], Callable[..., Any]]:
    kind = "bool" if isinstance(value, bool) else "num"
    return (lambda args, frame: _Val(kind, np.bool_(value) if kind == "bool" else value)), (
        lambda args, row: value
    )


def _build_functions() -> dict[str, _Function]:
    typed: dict[str, tuple[int, int | None, tuple[Callable[..., Any], Callable[..., Any]]]] = {
        "not": (1, 1, _typed(("bool",), "bool", lambda b: not b, fast=np.logical_not)),
        "boolean": (1, 1, _typed(("bool",), "bool", lambda b: b, fast=lambda b: b)),
        "number": (1, 1, _typed(("num",), "num", lambda x: x, fast=lambda x: x)),
        "string": (1, 1, _typed(("str",), "str", lambda s: s, fast=lambda s: s)),
        "int": (1, 1, _typed(("num",), "num", _int, fast=np.trunc)),
        "round": (1, 2, _typed(("num", "num"), "num", _round)),
        "floor": (1, 1, _typed(("num",), "num", _s_floor, fast=np.floor)),
        "ceiling": (1, 1, _typed(("num",), "num", _s_ceiling, fast=np.ceil)),
        "abs": (1, 1, _typed(("num",), "num", abs, fast=np.abs)),
        "pow": (2, 2, _typed(("num", "num"), "num", _s_pow, fast=np.power)),
        "sqrt": (1, 1, _typed(("num",), "num", _s_sqrt, fast=np.sqrt)),
        "exp": (1, 1, _typed(("num",), "num", _s_exp, fast=np.exp)),
        "log": (1, 1, _typed(("num",), "num", _s_log, fast=np.log)),
        "log10": (1, 1, _typed(("num",), "num", _s_log10, fast=np.log10)),
        "pi": (0, 0, _constant(math.pi)),
        "true": (0, 0, _constant(True)),
        "false": (0, 0, _constant(False)),
        "min": (1, None, _typed(("num",), "num", _s_min, fast=_v_min, variadic=True)),
        "max": (1, None, _typed(("num",), "num", _s_max, fast=_v_max, variadic=True)),
        "selected": (
            2,
            2,
            _typed(("str", "str"), "bool", _selected, per_value=_selected_tester),
        ),
        "count-selected": (1, 1, _typed(("str",), "num", _count_selected)),
        "selected-at": (2, 2, _typed(("str", "num"), "str", _selected_at)),
        "string-length": (1, 1, _typed(("str",), "num", lambda s: float(len(s)))),
        "concat": (0, None, _typed(("str",), "str", _s_concat, fast=_v_concat, variadic=True)),
        "contains": (2, 2, _typed(("str", "str"), "bool", lambda s, t: t in s)),
        "starts-with": (2, 2, _typed(("str", "str"), "bool", lambda s, t: s.startswith(t))),
        "ends-with": (2, 2, _typed(("str", "str"), "bool", lambda s, t: s.endswith(t))),
        "substr": (2, 3, _typed(("str", "num", "num"), "str", _substr)),
        "substring-before": (2, 2, _typed(("str", "str"), "str", _before)),
        "substring-after": (2, 2, _typed(("str", "str"), "str", _after)),
        "normalize-space": (1, 1, _typed(("str",), "str", lambda s: " ".join(s.split()))),
        "translate": (3, 3, _typed(("str", "str", "str"), "str", _translate)),
        "regex": (2, 2, _typed(("str", "str"), "bool", _regex, per_value=_regex_tester)),
        "if": (3, 3, (_vec_if, _sca_if)),
        "coalesce": (2, 2, (_vec_coalesce, _sca_coalesce)),
        "today": (0, 0, (_vec_today, _sca_today)),
        "now": (0, 0, (_vec_now, _sca_now)),
        "date": (1, 1, (_vec_date, _sca_date)),
        "date-time": (1, 1, (_vec_date, _sca_date)),
        "decimal-date-time": (1, 1, _typed(("days",), "num", lambda d: d, fast=lambda d: d)),
        "decimal-date": (1, 1, _typed(("days",), "num", lambda d: d, fast=lambda d: d)),
        "format-date": (2, 2, _typed(("days", "str"), "str", _format_date)),
        "format-date-time": (2, 2, _typed(("days", "str"), "str", _format_date)),
    }
    functions = {
        name: _Function(low, high, impl[0], impl[1]) for name, (low, high, impl) in typed.items()
    }
    functions["substring"] = functions["substr"]
    return functions


def _s_pow(a: float, b: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.power(np.float64(a), np.float64(b)))


def _s_floor(a: float) -> float:
    return float(np.floor(a))


def _s_ceiling(a: float) -> float:
    return float(np.ceil(a))


def _s_sqrt(a: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.float64(a)))


def _s_exp(a: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.exp(np.float64(a)))


def _s_log(a: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.log(np.float64(a)))


def _s_log10(a: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.log10(np.float64(a)))


def _s_concat(*values: str) -> str:
    return "".join(values)


def _before(text: str, marker: str) -> str:
    index = text.find(marker)
    return text[:index] if index >= 0 else ""


def _after(text: str, marker: str) -> str:
    index = text.find(marker)
    return text[index + len(marker) :] if index >= 0 else ""


FUNCTIONS: dict[str, _Function] = _build_functions()
"""The functions the evaluator knows, by XLSForm name."""

UNSUPPORTED_FUNCTIONS = frozenset(
    {
        "area", "base64-decode", "boolean-from-string", "checklist", "count", "count-non-empty",
        "current", "digest", "distance", "encrypt-string", "id", "indexed-repeat", "instance",
        "join", "jr:choice-name", "jr:itext", "lang", "last", "local-name", "name",
        "namespace-uri", "once", "position", "property", "pulldata", "random", "randomize",
        "sum", "uuid", "version", "weighted-checklist", "geofence", "exp10", "sin", "cos",
        "tan", "asin", "acos", "atan", "atan2",
    }
)  # fmt: skip
"""Valid ODK functions that need repeats, form state or other files: not evaluated here."""


# --------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class _Row:
    values: Mapping[str, Any]
    current: str | None
    today: dt.date
    now: dt.datetime


def _v_eval(node: Node, frame: ExpressionFrame, current: str | None) -> _Val:
    if isinstance(node, Chain):
        left = _v_eval(node.first, frame, current)
        for op, operand in node.rest:
            left = _v_binary(op, left, _v_eval(operand, frame, current), frame)
        return left
    if isinstance(node, Field | Name):
        return _Val("node", frame.node(node.name))
    if isinstance(node, Current):
        return _Val("node", frame.node(current))  # type: ignore[arg-type]
    if isinstance(node, Number):
        return _Val("num", np.float64(node.value))
    if isinstance(node, String):
        return _Val("str", node.value)
    if isinstance(node, Negate):
        return _Val("num", -_v_num(_v_eval(node.operand, frame, current), frame))
    args = [_v_eval(arg, frame, current) for arg in node.args]
    return FUNCTIONS[node.name].vector(args, frame)


def _s_eval(node: Node, row: _Row) -> Any:
    if isinstance(node, Chain):
        left = _s_eval(node.first, row)
        for op, operand in node.rest:
            left = _s_binary(op, left, _s_eval(operand, row))
        return left
    if isinstance(node, Field | Name):
        return _s_node(row.values[node.name])
    if isinstance(node, Current):
        return _s_node(row.values[row.current])  # type: ignore[index]
    if isinstance(node, Number):
        return node.value
    if isinstance(node, String):
        return node.value
    if isinstance(node, Negate):
        return -_s_num(_s_eval(node.operand, row))
    args = [_s_eval(arg, row) for arg in node.args]
    return FUNCTIONS[node.name].scalar(args, row)


def _v_result(value: _Val, frame: ExpressionFrame) -> np.ndarray:
    kind, data = value
    out = _v_str(value, frame) if kind in ("node", "date") else data
    dtype = {"bool": bool, "num": float}.get(kind, object)
    return np.array(np.broadcast_to(out, (frame.n_rows,)), dtype=dtype)


def _s_result(value: Any) -> Any:
    if isinstance(value, _SNode | _SDate):
        return _s_str(value)
    return value


@dataclass(frozen=True)
class Expression:
    """A parsed XLSForm expression, ready to evaluate many times.

    Attributes
    ----------
    text : str
        The expression as written.
    tree : Node
        The syntax tree.
    fields : tuple of str
        The ``${name}`` references, in order of first use.
    names : tuple of str
        Bare names (columns referred to without ``${}``, as choice filters do).
    uses_current : bool
        Whether ``.`` (the answer being checked) appears.
    """

    text: str
    tree: Node = field(repr=False)
    fields: tuple[str, ...]
    names: tuple[str, ...]
    uses_current: bool

    def evaluate(
        self,
        data: pd.DataFrame | ExpressionFrame,
        current: str | None = None,
        *,
        today: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> np.ndarray:
        """Evaluate on every row at once.

        Parameters
        ----------
        data : pandas.DataFrame or ExpressionFrame
            The answers, one column per question. Pass an :class:`ExpressionFrame` to reuse
            column conversions across many expressions.
        current : str, optional
            The column ``.`` stands for (the question whose constraint is checked).
        today, now : date, datetime, optional
            What ``today()`` and ``now()`` return (only with a DataFrame; a frame has its own).

        Returns
        -------
        numpy.ndarray
            One value per row: bool for conditions and comparisons, float64 for numbers
            (arithmetic, ``number()``, ``count-selected()``...), object (str) for strings,
            answers (their text, ``''`` when empty) and dates (``YYYY-MM-DD``).

        Raises
        ------
        DataError
            When the data lacks a column the expression refers to.
        ExpressionError
            When ``.`` is used without ``current``, or a ``regex()`` pattern from the data
            is invalid.
        """
        frame = self._frame(data, current, today, now)
        return _v_result(_v_eval(self.tree, frame, current), frame)

    def holds(
        self,
        data: pd.DataFrame | ExpressionFrame,
        current: str | None = None,
        *,
        today: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> np.ndarray:
        """Evaluate as a condition (XPath ``boolean()``): a bool array, one value per row.

        See :meth:`evaluate` for the parameters. Use it for ``relevant``, ``constraint`` and
        ``required`` expressions.
        """
        frame = self._frame(data, current, today, now)
        value = _v_bool(_v_eval(self.tree, frame, current), frame)
        return np.array(np.broadcast_to(value, (frame.n_rows,)), dtype=bool)

    def evaluate_row(
        self,
        row: Mapping[str, Any],
        current: str | None = None,
        *,
        today: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> Any:
        """Evaluate on one row: a dict of answers (None or NaN when empty).

        Gives the same value as :meth:`evaluate` gives for that row (as a Python bool, float
        or str); meant for messages that show why one row failed. A value's Python type
        stands for its column's type: int/float/date values are numeric answers.
        """
        return _s_result(_s_eval(self.tree, self._row(row, current, today, now)))

    def holds_row(
        self,
        row: Mapping[str, Any],
        current: str | None = None,
        *,
        today: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> bool:
        """:meth:`holds` for one row (a dict of answers)."""
        return _s_bool(_s_eval(self.tree, self._row(row, current, today, now)))

    def _frame(
        self,
        data: pd.DataFrame | ExpressionFrame,
        current: str | None,
        today: dt.date | None,
        now: dt.datetime | None,
    ) -> ExpressionFrame:
        if isinstance(data, ExpressionFrame):
            if today is not None or now is not None:
                raise ParamsError(
                    "today/now are set on the ExpressionFrame; do not pass them to evaluate()"
                )
            frame = data
        else:
            frame = ExpressionFrame(data, today=today, now=now)
        _check_columns(self, current, frame.data.columns)
        return frame

    def _row(
        self,
        row: Mapping[str, Any],
        current: str | None,
        today: dt.date | None,
        now: dt.datetime | None,
    ) -> _Row:
        _check_columns(self, current, row)
        return _Row(row, current, today or dt.date.today(), now or dt.datetime.now())

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    """Parse an XLSForm expression once (no Python ``eval``), checking its functions.

    Parameters
    ----------
    text : str
        The expression, e.g. ``". >= 10 and . <= 25"`` or ``"selected(${reasons}, 'other')"``.

    Returns
    -------
    Expression
        The parsed expression; evaluate it with :meth:`Expression.evaluate`.

    Raises
    ------
    ExpressionError
        The text is not a valid expression: the message quotes it and names the character
        where reading stopped (``error.position`` is 0-based); or it calls an unknown
        function or a function with the wrong number of arguments.
    UnsupportedExpressionError
        The expression is valid XLSForm but uses XPath paths or a function that needs form
        state (``pulldata()``, ``position()``, ``once()``...).

    Examples
    --------
    >>> compile_expression(". <= ${hh_size}").evaluate_row({"n": 3, "hh_size": 5}, current="n")
    True
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    tree = parse(text)
    fields: dict[str, None] = {}
    names: dict[str, None] = {}
    uses_current = False
    for node in walk(tree):
        if isinstance(node, Field):
            fields.setdefault(node.name)
        elif isinstance(node, Name):
            names.setdefault(node.name)
        elif isinstance(node, Current):
            uses_current = True
        elif isinstance(node, Call):
            _check_call(node, text)
    return Expression(text, tree, tuple(fields), tuple(names), uses_current)


def _check_call(call: Call, text: str) -> None:
    function = FUNCTIONS.get(call.name)
    where = f"at character {call.pos + 1}"
    if function is None:
        if call.name in UNSUPPORTED_FUNCTIONS:
            raise UnsupportedExpressionError(
                f"expression {text!r} calls {call.name}() {where}, which needs repeats, form "
                "state or other files and is not evaluated by the workbench",
                text,
                call.pos,
            )
        hint = did_you_mean(call.name, [*FUNCTIONS, *UNSUPPORTED_FUNCTIONS])
        raise ExpressionError(
            f"expression {text!r} calls unknown function {call.name}() {where}{hint}",
            text,
            call.pos,
        )
    n = len(call.args)
    high = function.max_args
    if n < function.min_args or (high is not None and n > high):
        if high is None:
            wanted = f"at least {function.min_args}"
        elif high == function.min_args:
            wanted = str(high)
        else:
            wanted = f"{function.min_args} to {high}"
        raise ExpressionError(
            f"expression {text!r}: {call.name}() {where} takes {wanted} argument"
            f"{'' if wanted == '1' else 's'}, got {n}",
            text,
            call.pos,
        )
    if call.name == "regex" and n == 2 and isinstance(call.args[1], String):
        try:
            _compiled_regex(call.args[1].value)
        except ExpressionError as error:
            raise ExpressionError(f"expression {text!r}: {error}", text, call.args[1].pos) from None
