"""Compiled expressions: parse once, check the functions, evaluate over a table or one row.

:func:`compile_expression` parses the text with :mod:`evaluation.xpath` and checks every call
against the function table; :class:`Expression` walks the tree over an
:class:`~evaluation.expressions.frame.ExpressionFrame` (vectorised) or over one row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

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
from evaluation.expressions.frame import ExpressionFrame
from evaluation.expressions.functions import FUNCTIONS, UNSUPPORTED_FUNCTIONS, _compiled_regex
from evaluation.expressions.scalar import (
    _Row,
    _s_binary,
    _s_bool,
    _s_node,
    _s_num,
    _s_str,
    _SDate,
    _SNode,
)
from evaluation.expressions.vector import _v_binary, _v_bool, _v_num, _v_str, _Val
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


# --------------------------------------------------------------------------- walking the tree
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
