"""Per-submission facts every check needs: who, when, which flags, whether assent was given.

Clean tables carry metadata columns (``_submission_id``, ``_enumerator``, ``_submitted_at``,
``_duration_min``, ``_flags`` …; see :data:`evaluation.quality.data.METADATA_COLUMNS`).
``_flags`` holds the lesser problems ingestion found, ``;``-separated, each a code or
``code:<question>`` (``short_interview;outlier_iqr:age``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.validation import require_columns

FLAG_SEPARATOR = ";"
ASSENT_REFUSED = "assent_refused"
KEY_COLUMNS = ("table", "submission_id", "enumerator", "date", "file", "row")
"""Columns that say which submission a listing row is about."""


def flag_table(frame: pd.DataFrame, table: str = "") -> pd.DataFrame:
    """The ``_flags`` of a clean table, one row per flag.

    Returns
    -------
    DataFrame
        ``table, submission_id, rule, column, position`` (``position`` is the row's place in
        ``frame``; ``column`` is empty for flags about the whole row).
    """
    flags = frame["_flags"].astype("string").fillna("")
    exploded = flags.str.split(FLAG_SEPARATOR).explode()
    exploded = exploded[exploded.str.strip() != ""].str.strip()
    parts = exploded.str.split(":", n=1, expand=True)
    if parts.empty:
        parts = pd.DataFrame({0: pd.Series(dtype="string"), 1: pd.Series(dtype="string")})
    elif 1 not in parts.columns:
        parts[1] = pd.NA
    positions = [frame.index.get_loc(i) for i in exploded.index]
    ids = frame["_submission_id"].astype("string").to_numpy()
    return pd.DataFrame(
        {
            "table": pd.Series([table] * len(exploded), dtype="string"),
            "submission_id": pd.Series(ids[positions], dtype="string"),
            "rule": pd.Series(parts[0].to_numpy(), dtype="string"),
            "column": pd.Series(parts[1].fillna("").to_numpy(), dtype="string"),
            "position": pd.Series(positions, dtype="int64"),
        }
    )


def has_flag(frame: pd.DataFrame, code: str) -> pd.Series:
    """Whether each row carries flag ``code`` (with or without a ``:question`` part)."""
    flags = frame["_flags"].astype("string").fillna("")
    pattern = rf"(?:^|{FLAG_SEPARATOR})\s*{code}(?::[^{FLAG_SEPARATOR}]*)?\s*(?:{FLAG_SEPARATOR}|$)"
    return flags.str.contains(pattern, regex=True).astype(bool)


def assent_refused(frame: pd.DataFrame, assent_column: str = "assent") -> pd.Series:
    """Rows where the respondent refused assent: flagged ``assent_refused`` by ingestion, or
    ``assent`` answered ``no`` when the table has that question."""
    refused = has_flag(frame, ASSENT_REFUSED)
    if assent_column in frame.columns:
        answer = frame[assent_column].astype("string").str.strip().str.casefold()
        refused = refused | answer.eq("no").fillna(False).astype(bool)
    return refused


def local_dates(moments: pd.Series, timezone: str) -> pd.Series:
    """The calendar day of each time in ``timezone`` (naive midnight datetimes; NaT kept).

    Naive times are taken as UTC (``_submitted_at`` is UTC by the contract).
    """
    values = pd.to_datetime(moments, errors="coerce", utc=True)
    return values.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()


TIME_COLUMNS = ("start", "end", "_submitted_at", "today")
"""Where the time of an interview is read from, first available first: the device's start
and end (metadata questions), the server's submission time, the device's date."""


def interview_times(frame: pd.DataFrame) -> pd.Series:
    """When each interview took place (UTC): ``start``, else ``end``, else ``_submitted_at``,
    else ``today`` (see :data:`TIME_COLUMNS`); NaT when none is known."""
    times = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    for column in TIME_COLUMNS:
        if column in frame.columns:
            values = pd.to_datetime(frame[column], errors="coerce", utc=True)
            times = times.fillna(values.astype("datetime64[ns, UTC]"))
    return times


def row_keys(frame: pd.DataFrame, table: str, timezone: str) -> pd.DataFrame:
    """Who and when for every row of a clean table.

    Returns
    -------
    DataFrame
        :data:`KEY_COLUMNS`, aligned with ``frame``'s rows (same order, fresh index):
        ``date`` is the local day of the interview (:func:`interview_times`); ``row`` the line
        in the raw file.
    """
    return pd.DataFrame(
        {
            "table": pd.Series([table] * len(frame), dtype="string"),
            "submission_id": frame["_submission_id"].astype("string").to_numpy(),
            "enumerator": frame["_enumerator"].astype("string").to_numpy(),
            "date": local_dates(interview_times(frame), timezone).to_numpy(),
            "file": frame["_source_file"].astype("string").to_numpy(),
            "row": pd.array(frame["_source_row"].to_numpy(), dtype="Int64"),
        }
    )


def groups(frame: pd.DataFrame, by: str | None) -> list[tuple[object, np.ndarray]]:
    """``(value, row mask)`` for each value of column ``by`` (sorted; missing last), or one
    group of every row when ``by`` is None."""
    if by is None:
        return [(None, np.ones(len(frame), dtype=bool))]
    require_columns(frame, [by], "the table")
    codes, uniques = pd.factorize(frame[by].astype("string"), sort=True)
    found = [(key, codes == i) for i, key in enumerate(uniques.tolist())]
    if (codes < 0).any():
        found.append((pd.NA, codes < 0))
    return found
