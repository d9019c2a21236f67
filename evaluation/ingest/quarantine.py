"""The quarantine file: one line per problem of every row that did not reach clean data.

Columns: ``table, file, row, submission_id, column, value, rule, message, action``.
``action`` is ``quarantined`` (the row is not in clean data) or ``dropped_duplicate`` (an
exact copy, dropped once). The value of a personal field is written as
``<personal: redacted>``, never itself, and messages never quote values. Every cell is made
safe for spreadsheets (no cell starts a formula).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

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


def quarantine_lines(
    table: str,
    problems: pd.DataFrame,
    files: np.ndarray,
    rows: np.ndarray,
    ids: np.ndarray,
    names: Sequence[str],
    personal: frozenset[str],
) -> pd.DataFrame:
    """The quarantine lines of one table.

    Parameters
    ----------
    table : str
        The table name.
    problems : DataFrame
        From :meth:`Problems.frame` (row positions in the table).
    files, rows, ids : numpy.ndarray
        File index, source row and submission id of every row of the table.
    names : sequence of str
        File names by file index.
    personal : frozenset of str
        Columns whose values must not be shown.
    """
    positions = problems["row"].to_numpy(dtype=np.int64)
    value = problems["value"].astype(object).fillna("").astype(str)
    hidden = problems["column"].map(lambda c: _is_personal(str(c), personal)).to_numpy(dtype=bool)
    value = value.where(~hidden | (value == ""), REDACTED)
    lines = pd.DataFrame(
        {
            "table": table,
            "file": np.asarray(names, dtype=object)[files[positions]] if len(positions) else [],
            "row": rows[positions],
            "submission_id": ids[positions],
            "column": problems["column"].to_numpy(),
            "value": value.to_numpy(),
            "rule": problems["rule"].to_numpy(),
            "message": problems["message"].to_numpy(),
            "action": problems["action"].to_numpy(),
        },
        columns=list(QUARANTINE_COLUMNS),
    )
    return safe_frame(lines)


def _is_personal(column: str, personal: frozenset[str]) -> bool:
    parts = [p.strip() for p in column.split("+")]
    return any(p in personal or p.split("__")[0] in personal for p in parts)


def empty_quarantine() -> pd.DataFrame:
    """A quarantine table with no lines (the columns only)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in QUARANTINE_COLUMNS})
