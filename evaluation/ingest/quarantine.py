"""The quarantine file: one line per problem of every row that did not reach clean data.

Columns: ``table, file, row, submission_id, column, value, rule, message, action`` (the
ingestion contract), then who and when: ``enumerator`` (the row's ``_enumerator``, as clean
tables have it), ``submitted_at`` (the server's submission time, ``_submitted_at``) and
``interview_at`` (when the interview took place: the device's start, else its end, else the
submission time), both UTC in ISO 8601 and empty when unknown. They are taken from the row
before it is set aside, so the field team can see whose interview it was and on which day.
``action`` is ``quarantined`` (the row is not in clean data) or ``dropped_duplicate`` (an
exact copy, dropped once). The value of a personal field is written as
``<personal: redacted>``, never itself, and messages never quote values. Every cell is made
safe for spreadsheets (no cell starts a formula).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.errors import DataError, format_values
from evaluation.ingest.personal import REDACTED
from evaluation.privacy import safe_frame

QUARANTINE_COLUMNS = (
    "table",
    "file",
    "row",
    "submission_id",
    "column",
    "value",
    "rule",
    "message",
    "action",
)
"""The columns the ingestion contract fixes (readers may rely on these only)."""

WHO_AND_WHEN = ("enumerator", "submitted_at", "interview_at")
"""Columns added after :data:`QUARANTINE_COLUMNS` (additive to the contract)."""

ROW_METADATA = ("_source_row", "_submission_id", "_enumerator", "_submitted_at", "_interview_at")
"""The stacked table's columns that :func:`quarantine_lines` reads for each problem's row."""


def quarantine_lines(
    table: str,
    problems: pd.DataFrame,
    files: np.ndarray,
    names: Sequence[str],
    metadata: pd.DataFrame,
    personal: frozenset[str],
) -> pd.DataFrame:
    """The quarantine lines of one table.

    Parameters
    ----------
    table : str
        The table name.
    problems : DataFrame
        From :meth:`Problems.frame` (row positions in the table).
    files : numpy.ndarray
        File index of every row of the table.
    names : sequence of str
        File names by file index.
    metadata : DataFrame
        :data:`ROW_METADATA` of every row of the table, in order.
    personal : frozenset of str
        Columns whose values must not be shown.

    Returns
    -------
    DataFrame
        :data:`QUARANTINE_COLUMNS` then :data:`WHO_AND_WHEN`, one line per problem.
    """
    positions = problems["row"].to_numpy(dtype=np.int64)
    value = problems["value"].astype(object).fillna("").astype(str)
    hidden = problems["column"].map(lambda c: _is_personal(str(c), personal)).to_numpy(dtype=bool)
    value = value.where(~hidden | (value == ""), REDACTED)
    rows = metadata.iloc[positions]
    lines = pd.DataFrame(
        {
            "table": table,
            "file": np.asarray(names, dtype=object)[files[positions]] if len(positions) else [],
            "row": rows["_source_row"].to_numpy(dtype=np.int64),
            "submission_id": rows["_submission_id"].astype(object).to_numpy(),
            "column": problems["column"].to_numpy(),
            "value": value.to_numpy(),
            "rule": problems["rule"].to_numpy(),
            "message": problems["message"].to_numpy(),
            "action": problems["action"].to_numpy(),
            "enumerator": rows["_enumerator"].astype(object).fillna("").to_numpy(),
            "submitted_at": _utc_text(rows["_submitted_at"]),
            "interview_at": _utc_text(rows["_interview_at"]),
        },
        columns=[*QUARANTINE_COLUMNS, *WHO_AND_WHEN],
    )
    return safe_frame(lines)


def _utc_text(moments: pd.Series) -> np.ndarray:
    """``2023-05-01T08:00:00Z`` (UTC, to the second), or ``""`` when unknown."""
    utc = pd.to_datetime(moments, utc=True)
    return utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("").to_numpy(dtype=object)


def _is_personal(column: str, personal: frozenset[str]) -> bool:
    parts = [p.strip() for p in column.split("+")]
    return any(p in personal or p.split("__")[0] in personal for p in parts)


def empty_quarantine() -> pd.DataFrame:
    """A quarantine table with no lines (the columns only)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (*QUARANTINE_COLUMNS, *WHO_AND_WHEN)})


def read_quarantine_file(path: Path) -> pd.DataFrame:
    """``quarantine.csv`` as written: every cell text (``""`` where empty).

    A file written before :data:`WHO_AND_WHEN` existed gets those columns, empty.

    Raises
    ------
    DataError
        The file cannot be read as CSV, or lacks a column of :data:`QUARANTINE_COLUMNS`.
    """
    try:
        lines = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise DataError(
            f"{path}: cannot be read as CSV ({error}); run the ingestion again"
        ) from None
    missing = [c for c in QUARANTINE_COLUMNS if c not in lines.columns]
    if missing:
        raise DataError(
            f"{path}: no column {format_values(missing)}; expected "
            f"{', '.join(QUARANTINE_COLUMNS)}. Was it written by another version of "
            "`workbench ingest`? Run the ingestion again"
        )
    for column in WHO_AND_WHEN:
        if column not in lines.columns:
            lines[column] = ""
    return lines
