"""Calendar and working days between two dates, with optional Albanian public holidays.

Convention: the days *after* the start date up to and including the end date, so a case
registered on Friday and reviewed on Monday took 3 days and 1 working day; the same day is
0. A start on a weekend does not count itself: registered on Saturday and reviewed on
Wednesday is 3 working days (Monday, Tuesday, Wednesday).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ParamsError

HOLIDAY_CALENDARS = ("albania",)
"""Named holiday calendars; ``albania`` comes from the ``holidays`` package (observed days
included: a holiday on a weekend gives the next working day off)."""


def as_dates(series: pd.Series, what: str) -> np.ndarray:
    """A date column as ``datetime64[D]`` (NaT where missing); time-zone-aware date-times are
    read in Europe/Tirane wall-clock time, so an evening submission keeps its local date."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("Europe/Tirane").dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_any_dtype(series):
        converted = pd.to_datetime(series, errors="coerce", format="ISO8601")
        bad = converted.isna() & series.notna() & (series.astype("string") != "")
        if bad.any():
            raise DataError(
                f"{what}: {int(bad.sum())} values are not dates (first: "
                f"{series[bad].iloc[0]!r}); dates must be YYYY-MM-DD"
            )
        series = converted
    return series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def holiday_dates(calendar: str | Sequence[dt.date], years: Iterable[int]) -> np.ndarray:
    """Public holidays as ``datetime64[D]``: a named calendar or an explicit list of dates."""
    if isinstance(calendar, str):
        if calendar not in HOLIDAY_CALENDARS:
            raise ParamsError(
                f"holiday calendar '{calendar}' is unknown; choose one of "
                f"{', '.join(HOLIDAY_CALENDARS)} or list the dates"
            )
        try:
            import holidays
        except ImportError:
            raise ParamsError(
                "holidays: albania needs the 'holidays' package (pip install holidays); "
                "or list the holiday dates explicitly"
            ) from None
        days = holidays.country_holidays("AL", years=sorted(set(years)))
        return np.array(sorted(days), dtype="datetime64[D]")
    return np.array(sorted(calendar), dtype="datetime64[D]")


def days_between(
    start: np.ndarray,
    end: np.ndarray,
    working: bool = False,
    holidays: str | Sequence[dt.date] | None = None,
) -> pd.Series:
    """Days (or working days, Monday-Friday less holidays) after ``start`` up to ``end``.

    Parameters
    ----------
    start, end : numpy.ndarray of datetime64[D]
        Equal-length date arrays; NaT gives a missing result.
    working : bool
        Count only working days.
    holidays : str or list of date, optional
        ``"albania"`` or explicit dates to skip (working days only).

    Returns
    -------
    Series of Int64
        Negative when ``end`` is before ``start``.

    Notes
    -----
    Working days are ``numpy.busday_count(start + 1, end + 1)``: the working days in
    :math:`(start, end]`.
    """
    missing = np.isnat(start) | np.isnat(end)
    out = np.zeros(len(start), dtype="int64")
    ok = ~missing
    if working:
        years = _years(start[ok], end[ok])
        skip = holiday_dates(holidays, years) if holidays else np.array([], dtype="datetime64[D]")
        one = np.timedelta64(1, "D")
        out[ok] = np.busday_count(start[ok] + one, end[ok] + one, holidays=skip)
    else:
        out[ok] = (end[ok] - start[ok]).astype("int64")
    return pd.Series(pd.array(np.where(missing, None, out).tolist(), dtype="Int64"))


def _years(*arrays: np.ndarray) -> list[int]:
    years: set[int] = set()
    for values in arrays:
        if len(values):
            years.update(values.astype("datetime64[Y]").astype(int) + 1970)
    return sorted(years)
