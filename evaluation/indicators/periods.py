"""Reporting periods: label rows by wave, month, quarter or year, order labels, date them.

Labels are text: a ``value`` period keeps the column's codes (``baseline``, ``endline``);
date periods are ``YYYY-MM`` (month), ``YYYY-Qn`` (quarter) and ``YYYY`` (year), which sort
in time order as text. A period's reference date (for milestones and the status rule) is
its last day, or the date the logframe gives a ``value`` period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from evaluation.derive.workdays import as_dates
from evaluation.errors import ParamsError, format_values
from evaluation.indicators.model import PERIOD_UNITS, Period

ALL = "all"
"""The label of an indicator computed over all rows (no period column, or pooled)."""

_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}


def with_unit(period: Period | None, unit: str | None) -> Period | None:
    """``period`` read in another ``unit`` (``month``, ``quarter``, ``year``), e.g. a
    quarterly indicator by month for the monthly report; ``None`` keeps it."""
    if unit is None or period is None:
        return period
    if unit not in PERIOD_UNITS:
        raise ParamsError(f"period_unit '{unit}' is not one of {', '.join(PERIOD_UNITS)}")
    if (unit == "value") != (period.unit == "value"):
        raise ParamsError(
            f"period_unit '{unit}' does not fit the period column '{period.column}' "
            f"(unit '{period.unit}'): a date column can be read by month, quarter or year only"
        )
    return Period(period.column, unit, period.dates, period.cumulative)


def labels(data: pd.DataFrame, period: Period | None, what: str) -> pd.Series:
    """The period label of every row (string dtype; ``<NA>`` where the column is empty)."""
    if period is None:
        return pd.Series(ALL, index=data.index, dtype="string")
    column = data[period.column]
    if period.unit == "value":
        out = column.astype("string")
        return out.mask(out.str.strip() == "")
    days = pd.Series(as_dates(column, f"{what}, period column '{period.column}'"), index=data.index)
    text = days.dt.to_period(_FREQ[period.unit]).astype("string")
    if period.unit == "quarter":
        text = text.str.replace("Q", "-Q", regex=False)
    return text.mask(days.isna())


def ordered(
    values: Iterable[str], period: Period | None, data: pd.DataFrame | None = None
) -> list[str]:
    """Distinct labels in time order: a ``value`` period by its ``dates``, else by the column's
    category order, else as text (which is time order for date periods)."""
    found = list(dict.fromkeys(v for v in values if isinstance(v, str)))
    if period is None or period.unit != "value":
        return sorted(found)
    rank: dict[str, int] = {label: i for i, label in enumerate(period.dates)}
    if data is not None and isinstance(data[period.column].dtype, pd.CategoricalDtype):
        for i, label in enumerate(data[period.column].cat.categories):
            rank.setdefault(str(label), len(period.dates) + i)
    return sorted(found, key=lambda label: (rank.get(label, len(rank)), label))


def end_date(label: str, period: Period | None) -> dt.date | None:
    """The reference date of a period: its last day, or the logframe's date for a wave."""
    if period is None or label == ALL:
        return None
    if period.unit == "value":
        return period.dates.get(label)
    text = label.replace("-Q", "Q") if period.unit == "quarter" else label
    try:
        return pd.Period(text, freq=_FREQ[period.unit]).end_time.date()
    except ValueError:
        raise ParamsError(
            f"period '{label}' is not a {period.unit} label (expected "
            f"{ {'month': 'YYYY-MM', 'quarter': 'YYYY-Qn', 'year': 'YYYY'}[period.unit] })"
        ) from None


def requested(
    period: str | Iterable[str] | None, present: list[str], spec: Period | None
) -> list[str]:
    """The labels to compute: all present ones (``None``), or those asked for, checked."""
    if period is None:
        return present
    wanted = [period] if isinstance(period, str) else list(period)
    if spec is None:
        return [ALL]
    for label in wanted:
        if spec.unit == "value":
            if label not in present and label not in spec.dates:
                raise ParamsError(
                    f"period '{label}' is not a value of '{spec.column}'; values: "
                    f"{format_values(present)}"
                )
        else:
            end_date(label, spec)  # raises if malformed
    return wanted
