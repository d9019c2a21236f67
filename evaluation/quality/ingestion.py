"""What ingestion did, from ``ingest_log.json``: files, rows, rules, encodings, columns.

The log has one entry per input file (ingestion contract) with ``rows_read``,
``rows_accepted``, ``rows_quarantined`` (duplicates dropped included), the detected
format, encoding and delimiter, counts per rule and per flag, and the columns that were
renamed, unknown or missing. The invariant ``rows_read == rows_accepted +
rows_quarantined`` is checked here again for every file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import DataError


def file_summary(log: Mapping[str, Any]) -> pd.DataFrame:
    """One row per input file.

    Returns
    -------
    DataFrame
        ``table, file, format, encoding, delimiter, rows_read, rows_accepted,
        rows_quarantined, rows_dropped_duplicate, share_quarantined, reconciles``
        (``reconciles``: read = accepted + quarantined).
    """
    rows = []
    for entry in _files(log):
        read = _count(entry, "rows_read")
        accepted = _count(entry, "rows_accepted")
        quarantined = _count(entry, "rows_quarantined")
        rows.append(
            {
                "table": entry.get("table", ""),
                "file": _name(entry),
                "format": entry.get("format") or "",
                "encoding": entry.get("encoding") or "",
                "delimiter": _delimiter(entry.get("delimiter")),
                "rows_read": read,
                "rows_accepted": accepted,
                "rows_quarantined": quarantined,
                "rows_dropped_duplicate": _count(entry, "rows_dropped_duplicate"),
                "share_quarantined": quarantined / read if read else np.nan,
                "reconciles": read == accepted + quarantined,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "table",
            "file",
            "format",
            "encoding",
            "delimiter",
            "rows_read",
            "rows_accepted",
            "rows_quarantined",
            "rows_dropped_duplicate",
            "share_quarantined",
            "reconciles",
        ],
    )
    for column in ("rows_read", "rows_accepted", "rows_quarantined", "rows_dropped_duplicate"):
        out[column] = out[column].astype("int64")
    out["share_quarantined"] = out["share_quarantined"].astype("float64")
    out["reconciles"] = out["reconciles"].astype(bool)
    return out


def rule_counts(log: Mapping[str, Any]) -> pd.DataFrame:
    """Quarantine rules and flags counted per file (from the log).

    Returns
    -------
    DataFrame
        ``table, file, kind, code, count``: ``kind`` is ``rule`` (a quarantine rule,
        counted in problem lines) or ``flag`` (a lesser problem kept as a flag); most
        frequent first within each file.
    """
    rows = []
    for entry in _files(log):
        for kind, key in (("rule", "rules"), ("flag", "flags")):
            for code, count in sorted((entry.get(key) or {}).items()):
                rows.append(
                    {
                        "table": entry.get("table", ""),
                        "file": _name(entry),
                        "kind": kind,
                        "code": str(code),
                        "count": int(count),
                    }
                )
    out = pd.DataFrame(rows, columns=["table", "file", "kind", "code", "count"])
    out["count"] = out["count"].astype("int64")
    out = out.sort_values(["table", "file", "kind", "count"], ascending=[True, True, False, False])
    return out.reset_index(drop=True)


def column_changes(log: Mapping[str, Any]) -> pd.DataFrame:
    """Columns ingestion renamed, did not know, or did not find, per file.

    Returns
    -------
    DataFrame
        ``table, file, change, column, question``: ``change`` is ``renamed`` (``column``
        in the file was read as ``question``), ``unknown`` (a column in the file that no
        question matches; it was not used) or ``missing`` (a question with no column).
    """
    rows = []
    for entry in _files(log):
        columns = entry.get("columns") or {}
        base = {"table": entry.get("table", ""), "file": _name(entry)}
        for old, new in sorted((columns.get("renamed") or {}).items()):
            rows.append({**base, "change": "renamed", "column": old, "question": new})
        for name in columns.get("unknown") or []:
            rows.append({**base, "change": "unknown", "column": name, "question": ""})
        for name in columns.get("missing") or []:
            rows.append({**base, "change": "missing", "column": "", "question": name})
    return pd.DataFrame(rows, columns=["table", "file", "change", "column", "question"])


def _files(log: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    files = log.get("files")
    if not isinstance(files, list):
        raise DataError(
            "ingest_log.json has no 'files' list; it was not written by `workbench ingest` or "
            "is damaged. Run the ingestion again"
        )
    return files


def _name(entry: Mapping[str, Any]) -> str:
    return PurePath(str(entry.get("path", ""))).name


def _count(entry: Mapping[str, Any], key: str) -> int:
    value = entry.get(key, 0)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise DataError(
            f"ingest_log.json, file {_name(entry)}: '{key}' is {value!r}, not a count; run the "
            "ingestion again"
        ) from None


def _delimiter(value: object) -> str:
    if value in (None, ""):
        return ""
    return "TAB" if value == "\t" else str(value)
