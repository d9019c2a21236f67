"""Data quality of the monitoring registers at the latest ingestion (``ingest_log.json``).

What a project manager needs to know before trusting the month's numbers: how many rows of
each register were set aside by the ingestion checks (and why), and how many of the month's
rows carry a flag. These count records, not people: they are not suppressed. The full
listing is in the data-quality report (``workbench run quality``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from evaluation.quality.ingestion import file_summary, rule_counts


def ingestion_summary(log: Mapping, tables: Sequence[str]) -> pd.DataFrame:
    """Rows read, accepted and set aside per register at the latest ingestion.

    Returns
    -------
    DataFrame
        ``table, files, rows_read, rows_accepted, rows_quarantined,
        rows_dropped_duplicate, share_quarantined, reconciles`` (one row per table, in the
        order of ``tables``; a table the log does not mention is left out).
    """
    files = file_summary(log)
    files = files[files["table"].isin(list(tables))]
    grouped = files.groupby("table", sort=False)
    out = grouped.agg(
        files=("file", "count"),
        rows_read=("rows_read", "sum"),
        rows_accepted=("rows_accepted", "sum"),
        rows_quarantined=("rows_quarantined", "sum"),
        rows_dropped_duplicate=("rows_dropped_duplicate", "sum"),
        reconciles=("reconciles", "all"),
    ).reset_index()
    out["share_quarantined"] = (out["rows_quarantined"] / out["rows_read"]).where(
        out["rows_read"] > 0
    )
    order = {t: i for i, t in enumerate(tables)}
    out = out.sort_values("table", key=lambda s: s.map(order), kind="stable")
    columns = [
        "table", "files", "rows_read", "rows_accepted", "rows_quarantined",
        "rows_dropped_duplicate", "share_quarantined", "reconciles",
    ]  # fmt: skip
    return out[columns].reset_index(drop=True)


def problems(log: Mapping, tables: Sequence[str]) -> pd.DataFrame:
    """Problems found at ingestion, per register: rules that set rows aside, and flags.

    Returns
    -------
    DataFrame
        ``table, kind, code, count`` (``kind`` ``rule`` or ``flag``), most frequent first
        within each table.
    """
    counts = rule_counts(log)
    counts = counts[counts["table"].isin(list(tables))]
    out = counts.groupby(["table", "kind", "code"], sort=False)["count"].sum().reset_index()
    order = {t: i for i, t in enumerate(tables)}
    out["_t"] = out["table"].map(order)
    out = out.sort_values(["_t", "kind", "count"], ascending=[True, False, False], kind="stable")
    return out.drop(columns="_t").reset_index(drop=True)


def flagged_rows(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The period's rows of each register and how many carry a flag (``_flags`` not empty).

    Parameters
    ----------
    frames : mapping of str to DataFrame
        ``{table: the period's rows}``.

    Returns
    -------
    DataFrame
        ``table, rows, flagged``.
    """
    rows = []
    for table, part in frames.items():
        flags = part["_flags"].astype("string").fillna("") if "_flags" in part else None
        flagged = int((flags.str.strip() != "").sum()) if flags is not None else 0
        rows.append({"table": table, "rows": len(part), "flagged": flagged})
    return pd.DataFrame(rows, columns=["table", "rows", "flagged"])
