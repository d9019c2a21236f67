"""The XLSForm functions the evaluator knows: arity, and a vectorised and a one-row version.

:data:`FUNCTIONS` maps each name (``selected``, ``count-selected``, ``regex``,
``format-date``...) to a :class:`_Function`; most are built by :func:`_typed` from one core
on plain Python values. :data:`UNSUPPORTED_FUNCTIONS` are valid ODK functions that need
repeats, form state or other files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import numpy as np

from evaluation.errors import ExpressionError
from evaluation.expressions.frame import ExpressionFrame
from evaluation.expressions.scalar import (
    _S_CONVERT,
    _Row,
    _s_bool,
    _s_num,
    _s_str,
    _s_unify,
    _SDate,
)
from evaluation.expressions.values import _days_to_moment, _moment_to_days
from evaluation.expressions.vector import (
    _V_CONVERT,
    _is_array,
    _v_bool,
    _v_num,
    _v_str,
    _v_unify,
    _Val,
)


# --------------------------------------------------------------------------- machinery
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


def _ufunc(
    ufunc: Callable[..., Any], n_args: int = 1
) -> tuple[Callable[[list[_Val], ExpressionFrame], _Val], Callable[[list[Any], _Row], Any]]:
    """A numeric function that is ``ufunc`` on both paths, so one row gives what the vectorised
    path gives (``-0.0``, infinities and NaN included), without floating-point warnings."""

    def core(*values: float) -> float:
        with np.errstate(all="ignore"):
            return float(ufunc(*(np.float64(value) for value in values)))

    return _typed(("num",) * n_args, "num", core, fast=ufunc)


def _constant(value: Any) -> tuple[Callable[..., _Val], Callable[..., Any]]:
    kind = "bool" if isinstance(value, bool) else "num"
    return (lambda args, frame: _Val(kind, np.bool_(value) if kind == "bool" else value)), (
        lambda args, row: value
    )


# --------------------------------------------------------------------------- cores
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
    moment = _days_to_moment(days)
    if moment is None:
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


def _s_concat(*values: str) -> str:
    return "".join(values)


def _before(text: str, marker: str) -> str:
    index = text.find(marker)
    return text[:index] if index >= 0 else ""


def _after(text: str, marker: str) -> str:
    index = text.find(marker)
    return text[index + len(marker) :] if index >= 0 else ""


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


# --------------------------------------------------------------------------- the table
def _build_functions() -> dict[str, _Function]:
    typed: dict[str, tuple[int, int | None, tuple[Callable[..., Any], Callable[..., Any]]]] = {
        "not": (1, 1, _typed(("bool",), "bool", lambda b: not b, fast=np.logical_not)),
        "boolean": (1, 1, _typed(("bool",), "bool", lambda b: b, fast=lambda b: b)),
        "number": (1, 1, _typed(("num",), "num", lambda x: x, fast=lambda x: x)),
        "string": (1, 1, _typed(("str",), "str", lambda s: s, fast=lambda s: s)),
        "int": (1, 1, _ufunc(np.trunc)),
        "round": (1, 2, _typed(("num", "num"), "num", _round)),
        "floor": (1, 1, _ufunc(np.floor)),
        "ceiling": (1, 1, _ufunc(np.ceil)),
        "abs": (1, 1, _typed(("num",), "num", abs, fast=np.abs)),
        "pow": (2, 2, _ufunc(np.power, 2)),
        "sqrt": (1, 1, _ufunc(np.sqrt)),
        "exp": (1, 1, _ufunc(np.exp)),
        "log": (1, 1, _ufunc(np.log)),
        "log10": (1, 1, _ufunc(np.log10)),
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
