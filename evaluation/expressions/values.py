"""XPath values: how strings, numbers, dates and booleans convert into one another.

These few conversions define the language; the vectorised evaluator
(:mod:`evaluation.expressions.vector`) and the one-row evaluator
(:mod:`evaluation.expressions.scalar`) both use them. An empty answer is ``''`` as a string
and NaN as a number; ISO dates are numbers of days since 1970-01-01.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np

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
    moment = _days_to_moment(days)
    if moment is None:
        return ""
    if moment.time() == dt.time():
        return moment.date().isoformat()
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _days_to_moment(days: float) -> dt.datetime | None:
    """The date-time ``days`` after 1970-01-01; None when not finite or out of range."""
    if not math.isfinite(days):
        return None
    try:
        return _EPOCH + dt.timedelta(days=days)
    except OverflowError:
        return None


def _moment_to_days(value: dt.date | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)  # wall-clock time, as a form shows it
        return (value - _EPOCH).total_seconds() / _SECONDS_PER_DAY
    return float((value - _EPOCH.date()).days)


# --------------------------------------------------------------------------- answers
# One cell of an answer column as text and as a number: '' and NaN when it is empty.


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


# --------------------------------------------------------------------------- kinds
def _result_kind(kind_a: str, kind_b: str) -> str:
    """The kind of ``if(c, a, b)``: the common kind, else number for numbers and dates, else
    string (an answer and a number give a string, which still compares as a number with
    numbers and as text with text, as the XPath answer would)."""
    if kind_a == kind_b:
        return kind_a
    if {kind_a, kind_b} <= {"num", "date"}:
        return "num"
    return "str"
