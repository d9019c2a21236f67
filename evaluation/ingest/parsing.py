"""Turn the raw text of an export column into typed values: numbers, dates, date-times, times.

Each parser takes the *distinct* values of a column (already stripped of surrounding spaces)
and returns their typed values and which of them failed, so a column of 100,000 answers
with 12 distinct codes is parsed 12 times, not 100,000. Missing values are never passed.

Accepted spellings (anything else is a ``type`` problem):

========== ===================================================================================
integer    ``15``, ``+15``, ``-3``; a whole decimal ``15.0`` (Excel, SPSS)
decimal    ``1.5``, ``.5``, ``-2``; decimal comma ``1,5`` (noted)
date       ISO ``2023-05-01`` (also with a midnight time, as XLSX cells give it);
           ``dd/mm/yyyy`` with ``/``, ``.`` or ``-`` (day first, as Albania writes it);
           Excel serial day numbers 18264–73050 (1950–2099; noted)
dateTime   ISO 8601 with an offset or ``Z`` (converted to UTC); without an offset it is the
           device's local time in the dataset's time zone (Kobo XLSX and SPSS drop the
           offset), except where the column is documented as UTC (``_submission_time``);
           ``dd/mm/yyyy HH:MM[:SS]``; Excel serial date-times (noted)
time       ``HH:MM``, ``HH:MM:SS[.fff]``, with or without an offset (kept as local
           ``HH:MM:SS``); an Excel day fraction ``0.5`` (noted)
========== ===================================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIAL_RANGE = (18264.0, 73051.0)  # 1950-01-01 .. 2100-01-01
DATETIME_DTYPE = pd.DatetimeTZDtype("ns", "UTC")
DATE_DTYPE = np.dtype("datetime64[ns]")

_INTEGER = r"[+-]?\d{1,15}(?:\.0*)?"
_DECIMAL = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_MIDNIGHT = r"(?:[T ]00:00(?::00(?:\.0+)?)?)?"
_DMY = r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})"
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})"
_ISO_DATETIME = rf"{_ISO_DATE}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?)?{_OFFSET}?"
_TIME = rf"(\d{{1,2}}):(\d{{2}})(?::(\d{{2}})(?:\.\d+)?)?{_OFFSET}?"


@dataclass
class Typed:
    """Typed values of distinct raw values.

    ``values`` is aligned with the input (missing where ``bad``); ``notes`` counts the
    distinct values read through each non-standard spelling.
    """

    values: pd.api.extensions.ExtensionArray | np.ndarray
    bad: np.ndarray
    notes: dict[str, int] = field(default_factory=dict)


Parser = Callable[[pd.Series], Typed]


def parse_integer(text: pd.Series) -> Typed:
    """Whole numbers (``Int64``); ``15.0`` is read as 15."""
    ok = text.str.fullmatch(_INTEGER).to_numpy(dtype=bool)
    numbers = pd.to_numeric(text.where(ok), errors="coerce").to_numpy(dtype=float)
    notes = _count(
        "whole numbers written with a decimal point",
        ok & text.str.contains(".", regex=False).to_numpy(dtype=bool),
    )
    return Typed(pd.array(numbers, dtype="Int64"), ~ok, notes)


def parse_decimal(text: pd.Series) -> Typed:
    """Numbers (``Float64``), with a decimal point or a decimal comma."""
    ok = text.str.fullmatch(_DECIMAL).to_numpy(dtype=bool)
    comma = ok & text.str.contains(",", regex=False).to_numpy(dtype=bool)
    numbers = pd.to_numeric(text.where(ok).str.replace(",", ".", regex=False), errors="coerce")
    return Typed(
        pd.array(numbers.to_numpy(dtype=float), dtype="Float64"),
        ~ok,
        _count("numbers with a decimal comma read as decimals", comma),
    )


def parse_date(text: pd.Series) -> Typed:
    """Calendar dates (``datetime64[ns]`` at midnight)."""
    out = pd.Series(pd.NaT, index=text.index, dtype=DATE_DTYPE)
    notes: dict[str, int] = {}
    iso = text.str.fullmatch(_ISO_DATE + _MIDNIGHT).to_numpy(dtype=bool)
    out[iso] = pd.to_datetime(text[iso].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    with_time = ~iso & text.str.fullmatch(_ISO_DATETIME).to_numpy(dtype=bool)
    out[with_time] = pd.to_datetime(
        text[with_time].str.slice(0, 10), format="%Y-%m-%d", errors="coerce"
    )
    notes.update(_count("date-times in a date column read as their date", with_time))
    dmy = text.str.fullmatch(_DMY).to_numpy(dtype=bool)
    out[dmy] = _day_first(text[dmy])
    notes.update(_count("dates written dd/mm/yyyy", dmy))
    serial, days = _excel_serials(text, integer=True)
    out[serial] = EXCEL_EPOCH + pd.to_timedelta(days[serial], unit="D")
    notes.update(_count("Excel serial day numbers read as dates", serial))
    bad = out.isna().to_numpy()
    return Typed(out.to_numpy(dtype=DATE_DTYPE), bad, notes)


def parse_datetime(text: pd.Series, local_tz: str, naive_is_utc: bool = False) -> Typed:
    """Moments in UTC (``datetime64[ns, UTC]``).

    Parameters
    ----------
    text : Series of str
        Distinct raw values.
    local_tz : str
        Time zone of values written without an offset (device clock time).
    naive_is_utc : bool
        Values without an offset are UTC already (Kobo ``_submission_time``).
    """
    out = pd.Series(pd.NaT, index=text.index, dtype=DATETIME_DTYPE)
    notes: dict[str, int] = {}
    iso = text.str.fullmatch(_ISO_DATETIME).to_numpy(dtype=bool)
    aware = iso & text.str.contains(_OFFSET + "$", regex=True).to_numpy(dtype=bool)
    if aware.any():
        out[aware] = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
    naive = iso & ~aware
    if naive.any():
        moments = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        out[naive] = _to_utc(moments, "UTC" if naive_is_utc else local_tz)
        if not naive_is_utc:
            notes.update(_count(f"date-times without an offset read as {local_tz} time", naive))
    dmy = ~iso & text.str.fullmatch(_DMY + r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?").to_numpy(
        dtype=bool
    )
    if dmy.any():
        moments = pd.to_datetime(
            text[dmy].str.replace(r"[.\-]", "/", regex=True),
            dayfirst=True,
            format="mixed",
            errors="coerce",
        )
        out[dmy] = _to_utc(moments, local_tz)
        notes.update(_count("date-times written dd/mm/yyyy", dmy))
    serial, days = _excel_serials(text, integer=False)
    serial &= ~iso & ~dmy
    if serial.any():
        moments = EXCEL_EPOCH + pd.to_timedelta(days[serial], unit="D")
        out[serial] = _to_utc(pd.Series(moments, index=text.index[serial]).dt.round("ms"), local_tz)
        notes.update(_count("Excel serial date-times read as date-times", serial))
    bad = out.isna().to_numpy()
    return Typed(out.array, bad, notes)


def parse_time(text: pd.Series) -> Typed:
    """Clock times as ``"HH:MM:SS"`` text (any offset dropped: the time as the form showed it)."""
    parts = text.str.extract("^" + _TIME + "$")
    hours = pd.to_numeric(parts[0], errors="coerce")
    minutes = pd.to_numeric(parts[1], errors="coerce")
    seconds = pd.to_numeric(parts[2], errors="coerce").fillna(0)
    ok = (hours < 24) & (minutes < 60) & (seconds < 60)
    fraction = pd.to_numeric(text.where(~ok.to_numpy()), errors="coerce")
    day_part = (
        (fraction >= 0) & (fraction < 1) & text.str.fullmatch(r"0?\.\d+|0").to_numpy(dtype=bool)
    )
    total = (fraction[day_part] * 86400).round()
    hours[day_part], minutes[day_part], seconds[day_part] = (
        total // 3600,
        total % 3600 // 60,
        total % 60,
    )
    ok = (ok | day_part).to_numpy(dtype=bool)
    texts = np.full(len(text), None, dtype=object)
    h, m, s = (x.to_numpy()[ok].astype(int) for x in (hours, minutes, seconds))
    texts[ok] = [f"{a:02d}:{b:02d}:{c:02d}" for a, b, c in zip(h, m, s, strict=True)]
    return Typed(
        pd.array(texts, dtype="string"),
        ~ok,
        _count("Excel day fractions read as times", day_part.to_numpy(dtype=bool)),
    )


def parse_boolean(text: pd.Series) -> Typed:
    """0/1 (or true/false) per-choice columns as nullable booleans."""
    lowered = text.str.lower()
    true = lowered.isin(["1", "1.0", "true", "yes"]).to_numpy(dtype=bool)
    false = lowered.isin(["0", "0.0", "false", "no"]).to_numpy(dtype=bool)
    values = pd.array(np.where(true, True, False), dtype="boolean")
    values[~(true | false)] = pd.NA
    return Typed(values, ~(true | false))


# --------------------------------------------------------------------------- helpers
def _count(note: str, mask: np.ndarray) -> dict[str, int]:
    n = int(np.count_nonzero(mask))
    return {note: n} if n else {}


def _day_first(text: pd.Series) -> pd.Series:
    parts = text.str.extract("^" + _DMY + "$").astype(int)
    frame = pd.DataFrame({"year": parts[2], "month": parts[1], "day": parts[0]})
    return pd.to_datetime(frame, errors="coerce")


def _excel_serials(text: pd.Series, *, integer: bool) -> tuple[np.ndarray, np.ndarray]:
    pattern = r"\d{5}(?:\.0*)?" if integer else r"\d{5}(?:\.\d*)?"
    looks = text.str.fullmatch(pattern).to_numpy(dtype=bool)
    days = pd.to_numeric(text.where(looks), errors="coerce").to_numpy(dtype=float)
    low, high = EXCEL_SERIAL_RANGE
    return looks & (days >= low) & (days < high), days


def _to_utc(moments: pd.Series, tz: str) -> pd.Series:
    if tz == "UTC":
        return moments.dt.tz_localize("UTC")
    # the repeated hour when clocks go back is read as summer time (the first pass)
    summer = np.ones(len(moments), dtype=bool)
    local = moments.dt.tz_localize(tz, ambiguous=summer, nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")
