"""Submissions per day: when the field work happened, per table and round.

A day is the interview's local calendar day (``start``, else ``end``, else the server's
submission time; see :func:`evaluation.quality.rows.interview_times`) in the report's
time zone, so an interview at 00:30 in Tirana counts on that day, not the UTC day before.
"""

from __future__ import annotations

import pandas as pd

from evaluation.quality.rows import interview_times, local_dates


def submissions_per_day(
    frame: pd.DataFrame, *, table: str = "", timezone: str = "UTC", by: str | None = None
) -> pd.DataFrame:
    """Accepted submissions per calendar day (in ``timezone``) of one table, by the day of
    the interview (:func:`~evaluation.quality.rows.interview_times`).

    Parameters
    ----------
    frame : DataFrame
        A clean table (``start``/``end``/``_submitted_at``, UTC).
    table : str
        Its name.
    timezone : str
        The days are local days in this zone.
    by : str, optional
        A further column (``wave``): one series per value.

    Returns
    -------
    DataFrame
        ``table`` [, ``by``], ``date``, ``submissions``, by date. Rows without any time are
        counted in ``attrs["undated"]``.
    """
    days = local_dates(interview_times(frame), timezone)
    data = pd.DataFrame({"date": days.to_numpy()})
    keys = ["date"]
    if by is not None and by in frame.columns:
        data[by] = frame[by].astype("string").to_numpy()
        keys = [by, "date"]
    undated = int(data["date"].isna().sum())
    counts = data.dropna(subset=["date"]).groupby(keys, sort=True).size()
    out = counts.rename("submissions").reset_index()
    out.insert(0, "table", pd.Series([table] * len(out), dtype="string"))
    out["submissions"] = out["submissions"].astype("int64")
    out.attrs["undated"] = undated
    return out
