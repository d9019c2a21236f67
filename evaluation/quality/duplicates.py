"""Duplicate submissions, as ingestion found them (``quarantine.csv``).

Ingestion's documented rule: an exact duplicate (the same submission stored twice) is
dropped once and logged with action ``dropped_duplicate`` (rule ``duplicate_exact``); two
different submissions with the same id are both quarantined (rule ``duplicate_id``).
Duplicated panel codes within a school and wave are in :mod:`evaluation.quality.panel`.
"""

from __future__ import annotations

import pandas as pd

DUPLICATE_RULES = ("duplicate_exact", "duplicate_id")


def duplicate_rows(quarantine: pd.DataFrame) -> pd.DataFrame:
    """One row per duplicate row ingestion set aside.

    Returns
    -------
    DataFrame
        ``table, file, row, submission_id, rule, action`` (a row quarantined for several
        reasons appears once per duplicate rule).
    """
    chosen = quarantine[quarantine["rule"].isin(DUPLICATE_RULES).fillna(False)]
    columns = ["table", "file", "row", "submission_id", "rule", "action"]
    out = chosen[columns].drop_duplicates(["table", "file", "row", "rule"])
    return out.sort_values(["table", "file", "rule", "row"], kind="stable").reset_index(drop=True)


def duplicate_summary(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Duplicates per table, file and rule.

    Returns
    -------
    DataFrame
        ``table, file, rule, rows`` (rows set aside) and ``submissions`` (distinct ids);
        one row per table, file and rule that occurred.
    """
    rows = duplicate_rows(quarantine)
    if rows.empty:
        return pd.DataFrame(
            {
                "table": pd.Series(dtype="string"),
                "file": pd.Series(dtype="string"),
                "rule": pd.Series(dtype="string"),
                "rows": pd.Series(dtype="int64"),
                "submissions": pd.Series(dtype="int64"),
            }
        )
    grouped = rows.groupby(["table", "file", "rule"], sort=True)
    out = grouped.agg(rows=("row", "size"), submissions=("submission_id", "nunique"))
    return out.reset_index().astype({"rows": "int64", "submissions": "int64"})
