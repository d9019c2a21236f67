"""Timestamps of the demo world, written the way the field's servers and devices write them.

Times are held as int64 milliseconds since 1970-01-01 UTC. Devices in Elbasan keep local
time (Europe/Tirane: CET, UTC+1; CEST, UTC+2 from the last Sunday of March to the last Sunday
of October, switching at 01:00 UTC). Nothing here reads the wall clock.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Milliseconds since the epoch for a UTC date and time."""
    stamp = dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)
    return int(stamp.timestamp()) * 1000


def day_number(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return (dt.date(year, month, day) - dt.date(1970, 1, 1)).days


def weekday(days: np.ndarray | int) -> np.ndarray | int:
    """Day of the week of day numbers: Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def friday_if_weekend(days: np.ndarray) -> np.ndarray:
    """Move day numbers that fall on a Saturday or Sunday back to the Friday before."""
    return days - np.clip(weekday(days) - 4, 0, None)


def month_of(days: np.ndarray) -> np.ndarray:
    """Calendar month (1-12) of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12 + 1


def _last_sunday_utc_ms(year: int, month: int) -> int:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    last -= dt.timedelta(days=(last.weekday() - 6) % 7)
    return ms(last.year, last.month, last.day, 1)


@cache
def _dst_bounds() -> np.ndarray:
    years = range(2000, 2041)
    return np.array([(_last_sunday_utc_ms(y, 3), _last_sunday_utc_ms(y, 10)) for y in years])


def local_offset_ms(ts: np.ndarray) -> np.ndarray:
    """The Europe/Tirane UTC offset, in milliseconds, at each UTC instant ``ts``."""
    ts = np.asarray(ts, dtype=np.int64)
    bounds = _dst_bounds()
    idx = np.searchsorted(bounds[:, 0], ts, side="right") - 1
    idx = np.clip(idx, 0, len(bounds) - 1)
    summer = (ts >= bounds[idx, 0]) & (ts < bounds[idx, 1])
    return np.where(summer, 2 * HOUR, HOUR)


def at_local_time(days: np.ndarray, since_midnight: np.ndarray | int) -> np.ndarray:
    """UTC instants (ms) of a local clock time, ``since_midnight`` ms, on day numbers ``days``.

    ``days * DAY + since_midnight - offset``, with the offset in force at the day's first
    instant (UTC midnight).
    """
    return days * DAY + since_midnight - local_offset_ms(days * DAY)


def local_ms(ts: np.ndarray) -> np.ndarray:
    """Wall-clock time in Elbasan, as naive milliseconds (UTC instant + offset)."""
    ts = np.asarray(ts, dtype=np.int64)
    return ts + local_offset_ms(ts)


def device_iso(ts: np.ndarray) -> np.ndarray:
    """``2022-10-12T09:03:11.123+02:00``: a device's ``start``/``end`` with its offset."""
    ts = np.asarray(ts, dtype=np.int64)
    offset = local_offset_ms(ts)
    text = np.datetime_as_string((ts + offset).astype("datetime64[ms]"), unit="ms")
    return np.char.add(text, np.where(offset == 2 * HOUR, "+02:00", "+01:00")).astype(object)


def form_times(start: np.ndarray, end: np.ndarray) -> dict[str, np.ndarray]:
    """A form's ``start``, ``end`` (device times) and ``today`` (local date of the start)."""
    return {"start": device_iso(start), "end": device_iso(end), "today": local_date_iso(start)}


def utc_iso_seconds(ts: np.ndarray) -> np.ndarray:
    """``2022-10-12T16:03:11``: KoboToolbox ``_submission_time`` (UTC, no offset)."""
    ts = np.asarray(ts, dtype=np.int64)
    return np.datetime_as_string(ts.astype("datetime64[ms]"), unit="s").astype(object)


def utc_iso_ms_z(ts: np.ndarray) -> np.ndarray:
    """``2022-10-12T16:03:11.481Z``: ODK Central ``SubmissionDate``."""
    ts = np.asarray(ts, dtype=np.int64)
    text = np.datetime_as_string(ts.astype("datetime64[ms]"), unit="ms")
    return np.char.add(text, "Z").astype(object)


def local_date_iso(ts: np.ndarray) -> np.ndarray:
    """``2022-10-12``: the local calendar date of each instant (the ``today`` field)."""
    return iso_dates(local_ms(ts) // DAY)


def iso_dates(days: np.ndarray) -> np.ndarray:
    """``2022-10-12`` for each day number (days since 1970-01-01); one string per date."""
    days = np.asarray(days, dtype=np.int64)
    uniques, inverse = np.unique(days, return_inverse=True)
    text = np.datetime_as_string(uniques.astype("datetime64[D]"), unit="D").astype(object)
    return text[inverse]


def local_time_iso(ts: np.ndarray) -> np.ndarray:
    """``14:35:00.000+02:00``: an ODK ``time`` answer in local time with its offset."""
    ts = np.asarray(ts, dtype=np.int64)
    offset = local_offset_ms(ts)
    text = np.datetime_as_string((ts + offset).astype("datetime64[ms]"), unit="ms")
    clock = np.char.partition(text, "T")[:, 2]
    return np.char.add(clock, np.where(offset == 2 * HOUR, "+02:00", "+01:00")).astype(object)
