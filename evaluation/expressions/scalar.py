"""One-row values: XPath kinds as plain Python values, their conversions and operators.

One-row evaluation uses plain Python values: float, str, bool, :class:`_SNode` (an answer)
and :class:`_SDate` (days). It is written separately from the vectorised path
(:mod:`evaluation.expressions.vector`) and tests compare the two.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaluation.expressions.values import (
    _moment_to_days,
    _number_to_answer,
    _result_kind,
    days_to_string,
    number_to_string,
    string_to_number,
)


# --------------------------------------------------------------------------- values
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


# --------------------------------------------------------------------------- the row
@dataclass(frozen=True)
class _Row:
    """The answers of one row, the column ``.`` stands for, and what today()/now() return."""

    values: Mapping[str, Any]
    current: str | None
    today: dt.date
    now: dt.datetime
