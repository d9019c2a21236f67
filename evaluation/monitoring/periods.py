"""Months of the monitoring report: labels, the previous month, windows, and the data's range.

A period is a calendar month ``YYYY-MM``. The report compares the month with the one before
and with the last twelve (a *window*: the months that end with the period, labelled
``"2022-11/2023-10"``, ISO 8601's notation for an interval). :func:`check_period` refuses a
month outside the data before anything is computed, with a one-line message that says which
months the data covers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.derive.workdays import as_dates
from evaluation.errors import DataError, ParamsError
from evaluation.schedule.periods import MONTHS

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Window:
    """Consecutive months ending with the report's period.

    Attributes
    ----------
    months : tuple of str
        ``YYYY-MM`` labels, oldest first.
    """

    months: tuple[str, ...]

    @property
    def label(self) -> str:
        """``"2023-10"`` for one month, ``"2022-11/2023-10"`` for several."""
        if len(self.months) == 1:
            return self.months[0]
        return f"{self.months[0]}/{self.months[-1]}"

    @property
    def first(self) -> str:
        return self.months[0]

    @property
    def last(self) -> str:
        return self.months[-1]


def require_month(period: str, what: str = "period") -> str:
    """``period`` if it is a ``YYYY-MM`` month, else a :class:`ParamsError`."""
    if not isinstance(period, str) or not _MONTH.match(period):
        raise ParamsError(f"{what} {period!r} is not a month; write year and month, e.g. 2023-10")
    return period


def shift(period: str, months: int) -> str:
    """The month ``months`` after ``period`` (before it when negative)."""
    year, month = map(int, require_month(period).split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous(period: str) -> str:
    """The month before ``period`` (``2023-01`` → ``2022-12``)."""
    return shift(period, -1)


def window(period: str, months: int = 12) -> Window:
    """The ``months`` months that end with ``period`` (the last twelve by default)."""
    if months < 1:
        raise ParamsError(f"a window needs at least one month, got {months}")
    return Window(tuple(shift(period, -k) for k in range(months - 1, -1, -1)))


def month_label(period: str, language: str = "en") -> str:
    """``"October 2023"`` / ``"tetor 2023"`` (Albanian month names are lower case)."""
    year, month = map(int, require_month(period).split("-"))
    try:
        names = MONTHS[language]
    except KeyError:
        raise ParamsError(f"language {language!r} has no month names; choose en or sq") from None
    return f"{names[month - 1]} {year}"


def window_label(win: Window, language: str = "en") -> str:
    """``"November 2022 – October 2023"`` (a single month: its name)."""
    if len(win.months) == 1:
        return month_label(win.first, language)
    return f"{month_label(win.first, language)} – {month_label(win.last, language)}"


def months_of(dates: pd.Series, what: str = "dates") -> pd.Series:
    """The ``YYYY-MM`` month of each date (string dtype, ``<NA>`` where the date is missing).

    Time-zone-aware date-times are read in Tirana wall-clock time, as
    :func:`evaluation.derive.workdays.as_dates` does.
    """
    days = as_dates(dates, what)
    text = np.where(np.isnat(days), None, days.astype("datetime64[M]").astype(str))
    return pd.Series(text, index=dates.index, dtype="string")


@dataclass(frozen=True)
class Coverage:
    """The months a register covers: its first and last month with a dated row.

    Attributes
    ----------
    table : str
        The clean table.
    column : str
        The date column that places a row in a month.
    first, last : str or None
        ``YYYY-MM``; ``None`` when no row has a date.
    months : frozenset of str
        Every month with at least one row.
    """

    table: str
    column: str
    first: str | None
    last: str | None
    months: frozenset[str]


def coverage(table: str, frame: pd.DataFrame, column: str) -> Coverage:
    """Which months ``frame`` covers by its date ``column``.

    Raises
    ------
    DataError
        If the column is missing.
    """
    if column not in frame.columns:
        raise DataError(
            f"clean table '{table}' has no date column '{column}'; run `workbench ingest` "
            "with the current questionnaire"
        )
    found = months_of(frame[column], f"{table}, column '{column}'").dropna()
    if found.empty:
        return Coverage(table, column, None, None, frozenset())
    return Coverage(table, column, str(found.min()), str(found.max()), frozenset(found))


def check_period(period: str | None, registers: Sequence[Coverage]) -> str:
    """The report's month, checked against the registers' data.

    Parameters
    ----------
    period : str or None
        ``YYYY-MM``; ``None`` takes the latest month with data in any register.
    registers : sequence of Coverage
        What each register covers (from :func:`coverage`).

    Returns
    -------
    str
        The month.

    Raises
    ------
    DataError
        One line: the registers have no dated rows; the month is before the first or after
        the last month with data (naming the range); or no register has a row in that month.
    """
    spans = [c for c in registers if c.first is not None]
    if not spans:
        names = ", ".join(c.table for c in registers) or "none"
        raise DataError(
            f"the monitoring registers ({names}) have no dated rows; run `workbench ingest` "
            "on a dataset with monitoring data"
        )
    first = min(c.first for c in spans)  # type: ignore[type-var]
    last = max(c.last for c in spans)  # type: ignore[type-var]
    if period is None:
        return last
    require_month(period)
    span = _describe(spans)
    if period < first or period > last:
        side = "before the first" if period < first else "after the last"
        raise DataError(
            f"period {period} is {side} month with monitoring data ({span}); choose a month "
            f"from {first} to {last}, e.g. `workbench run monitoring --period {last}`"
        )
    if not any(period in c.months for c in spans):
        raise DataError(
            f"period {period} has no monitoring data: no row of {', '.join(c.table for c in spans)} "
            f"is dated in that month ({span}); ingest that month's exports or choose another month"
        )
    return period


def _describe(spans: Sequence[Coverage]) -> str:
    return "; ".join(f"{c.table} {c.first} to {c.last}" for c in spans)


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty if ``last < first``)."""
    out, month = [], require_month(first)
    while month <= last:
        out.append(month)
        month = shift(month, 1)
    return out
