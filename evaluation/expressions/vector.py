"""Vectorised values: XPath kinds over whole columns, their conversions and operators.

The tree walker in :mod:`evaluation.expressions.evaluate` turns each node into a
:class:`_Val`; these functions convert values between kinds (with the empty-answer and NaN
rules of :mod:`evaluation.expressions.values`) and apply the operators, a whole column at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from evaluation.expressions.frame import ExpressionFrame, _Merged
from evaluation.expressions.values import (
    _result_kind,
    days_to_string,
    number_to_string,
    string_to_number,
)

# --------------------------------------------------------------------------- values
# Vectorised values are (kind, data): "num" float64, "str" object array of str, "bool" bool
# array, "date" float64 days since 1970-01-01, or "node" (an answer column, a _Node). Data is a
# numpy scalar when the value is the same on every row (literals), so numpy broadcasts it.


class _Val(NamedTuple):
    kind: str
    data: Any


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
    known = frame._factorisation(values)
    if known is not None:
        codes, uniques = known
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
