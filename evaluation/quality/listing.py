"""The field team's list: every flagged or quarantined submission, one row per problem.

Sources, in this order of precedence (the same problem found twice is listed once):

1. ``quarantine.csv``: rows ingestion set aside (``status`` = ``quarantined`` or
   ``dropped_duplicate``), with the rule, column, value and ingestion's message, and the
   enumerator and interview time ingestion took from the row before setting it aside
   (empty in a ``quarantine.csv`` written before those columns existed);
2. the ``_flags`` of accepted rows (``status`` = ``flagged``);
3. what the quality checks found (short interviews by the report's thresholds, IQR
   outliers, panel-code problems), also ``flagged``.

``assent_refused`` is not a problem and is not listed (the assent section counts it).
Never a personal value: a personal field's value is ``<personal: redacted>`` (and its
message is dropped), and answers to questions in ``hidden_value_groups`` (drug use,
delinquency, victimisation) are ``<sensitive: hidden>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from evaluation.quality.rows import (
    ASSENT_REFUSED,
    KEY_COLUMNS,
    flag_table,
    local_dates,
    row_keys,
)

LISTING_COLUMNS = (
    "table",
    "enumerator",
    "date",
    "submission_id",
    "file",
    "row",
    "status",
    "rule",
    "column",
    "value",
    "detail",
)
"""Columns of :func:`flagged_submissions`."""

REDACTED = "<personal: redacted>"
HIDDEN = "<sensitive: hidden>"
QUARANTINED, DROPPED, FLAGGED = "quarantined", "dropped_duplicate", "flagged"


def flagged_submissions(
    tables: Mapping[str, pd.DataFrame],
    quarantine: pd.DataFrame,
    *,
    detections: Iterable[pd.DataFrame] = (),
    instruments: Mapping[str, object] | None = None,
    hidden_groups: Iterable[str] = (),
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Every problem of every flagged or quarantined submission.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Clean tables by name.
    quarantine : DataFrame
        ``quarantine.csv``; its ``enumerator`` and ``interview_at`` (else ``submitted_at``)
        give the enumerator and date of quarantined rows.
    detections : iterable of DataFrame
        Problems the checks found: :data:`~evaluation.quality.rows.KEY_COLUMNS` plus
        ``rule`` and optionally ``variable`` or ``column``, ``value``.
    instruments : mapping of str to Instrument, optional
        Per table, to know personal fields and question groups.
    hidden_groups : iterable of str
        Question groups whose answers are never shown: ``group`` in any table, or
        ``table:group`` in one table (see :func:`hidden_questions`).
    timezone : str
        The local day of each interview (``date``).

    Returns
    -------
    DataFrame
        :data:`LISTING_COLUMNS`, sorted by enumerator (missing last), date, table and
        submission; ``value`` and ``detail`` are text.
    """
    privacy = _Privacy(instruments or {}, set(hidden_groups))
    parts = [_from_quarantine(quarantine, timezone)]
    for name, frame in tables.items():
        parts.append(_from_flags(frame, name, timezone))
    for found in detections:
        parts.append(_from_detection(found))
    listing = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else _empty()
    )
    listing = listing[listing["rule"].ne(ASSENT_REFUSED).fillna(True)]
    listing = listing.drop_duplicates(["table", "submission_id", "file", "row", "rule", "column"])
    listing = privacy.apply(listing)
    listing = listing.sort_values(
        ["enumerator", "date", "table", "submission_id", "rule", "column"],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    return _typed(listing[list(LISTING_COLUMNS)])


def flagged_only(listing: pd.DataFrame) -> pd.DataFrame:
    """The accepted submissions' problems (``status == "flagged"``) of a listing."""
    return listing[listing["status"].eq(FLAGGED)].reset_index(drop=True)


def quarantined_with_enumerator(listing: pd.DataFrame, table: str) -> pd.DataFrame:
    """Quarantined submissions of ``table`` whose enumerator is known (``submission_id``,
    ``enumerator``), for :func:`~evaluation.quality.enumerators.enumerator_summary`."""
    chosen = listing[
        listing["table"].eq(table)
        & listing["status"].isin([QUARANTINED, DROPPED])
        & listing["enumerator"].notna()
    ]
    return chosen[["submission_id", "enumerator"]].drop_duplicates().reset_index(drop=True)


def _from_quarantine(quarantine: pd.DataFrame, timezone: str) -> pd.DataFrame:
    if quarantine.empty:
        return _empty()
    q = quarantine.reset_index(drop=True)
    action = q["action"].astype("string")
    return pd.DataFrame(
        {
            "table": q["table"].astype("string"),
            "enumerator": _text_column(q, "enumerator"),
            "date": local_dates(
                _text_column(q, "interview_at").fillna(_text_column(q, "submitted_at")), timezone
            ),
            "submission_id": _text_column(q, "submission_id"),
            "file": q["file"].astype("string"),
            "row": q["row"],
            "status": action.where(action.eq(DROPPED), QUARANTINED),
            "rule": q["rule"].astype("string"),
            "column": q["column"].astype("string").fillna(""),
            "value": _text_column(q, "value"),
            "detail": _text_column(q, "message"),
        }
    )


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column of ``frame`` with empty cells missing; all missing if it is absent."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame[column].astype("string").replace("", pd.NA)


def _from_flags(frame: pd.DataFrame, table: str, timezone: str) -> pd.DataFrame:
    flags = flag_table(frame, table)
    if flags.empty:
        return _empty()
    keys = (
        row_keys(frame, table, timezone).iloc[flags["position"].to_numpy()].reset_index(drop=True)
    )
    values = [
        _cell(frame, position, column, rule)
        for position, column, rule in zip(
            flags["position"], flags["column"], flags["rule"], strict=True
        )
    ]
    return keys.assign(
        status=FLAGGED,
        rule=flags["rule"].to_numpy(),
        column=flags["column"].to_numpy(),
        value=pd.array(values, dtype="string"),
        detail=pd.NA,
    )


def _from_detection(found: pd.DataFrame) -> pd.DataFrame:
    if found.empty:
        return _empty()
    out = found[list(KEY_COLUMNS)].copy()
    column = found.get("column", found.get("variable"))
    out["status"] = FLAGGED
    out["rule"] = found["rule"].astype("string").to_numpy()
    out["column"] = column.astype("string").fillna("").to_numpy() if column is not None else ""
    raw = found["value"] if "value" in found.columns else pd.Series([None] * len(found))
    out["value"] = pd.array([value_text(v) for v in raw], dtype="string")
    out["detail"] = pd.NA
    return out.reset_index(drop=True)


def _cell(frame: pd.DataFrame, position: int, column: str, rule: str) -> object:
    if rule == "short_interview":
        minutes = frame["_duration_min"].iloc[position]
        return value_text(None if pd.isna(minutes) else round(float(minutes), 1))
    if column and column in frame.columns:
        return value_text(frame[column].iloc[position])
    return None


def value_text(value: object) -> str | None:
    """An answer as text for a listing: numbers without a needless ``.0``; None if missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        from evaluation.expressions import number_to_string

        return number_to_string(round(float(value), 6))
    return str(value)


def hidden_questions(
    instruments: Mapping[str, object], groups: Iterable[str]
) -> set[tuple[str, str]]:
    """``(table, question)`` of every question inside a hidden group.

    ``groups`` holds group names (hidden in every table) or ``table:group`` (in that table
    only: the youth survey's ``victim`` group is sensitive, the DV register's is the
    coordinator's own record).
    """
    anywhere = {g for g in groups if ":" not in g}
    scoped = {tuple(g.split(":", 1)) for g in groups if ":" in g}
    hidden = set()
    for table, instrument in instruments.items():
        mine = anywhere | {group for t, group in scoped if t == table}
        for question in instrument.questions:  # type: ignore[attr-defined]
            if mine.intersection(question.group_path):
                hidden.add((table, question.name))
    return hidden


class _Privacy:
    """Redacts personal fields and hides sensitive answers in a listing."""

    def __init__(self, instruments: Mapping[str, object], hidden_groups: set[str]) -> None:
        self.personal: set[tuple[str, str]] = {
            (table, question.name)
            for table, instrument in instruments.items()
            for question in instrument.questions  # type: ignore[attr-defined]
            if question.personal_data
        }
        self.hidden = hidden_questions(instruments, hidden_groups)

    def apply(self, listing: pd.DataFrame) -> pd.DataFrame:
        if listing.empty:
            return listing
        pairs = list(zip(listing["table"].fillna(""), listing["column"].fillna(""), strict=True))
        personal = np.array([p in self.personal for p in pairs], dtype=bool)
        hidden = np.array([p in self.hidden for p in pairs], dtype=bool) & ~personal
        out = listing.copy()
        has_value = out["value"].notna().to_numpy()
        out.loc[personal & has_value, "value"] = REDACTED
        out.loc[hidden & has_value, "value"] = HIDDEN
        out.loc[personal | hidden, "detail"] = pd.NA  # messages may quote the value
        return out


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series(dtype="string"),
            "enumerator": pd.Series(dtype="string"),
            "date": pd.Series(dtype="datetime64[ns]"),
            "submission_id": pd.Series(dtype="string"),
            "file": pd.Series(dtype="string"),
            "row": pd.Series(dtype="Int64"),
            "status": pd.Series(dtype="string"),
            "rule": pd.Series(dtype="string"),
            "column": pd.Series(dtype="string"),
            "value": pd.Series(dtype="string"),
            "detail": pd.Series(dtype="string"),
        }
    )


def _typed(listing: pd.DataFrame) -> pd.DataFrame:
    out = listing.copy()
    for column in ("table", "enumerator", "submission_id", "file", "status", "rule", "column"):
        out[column] = out[column].astype("string")
    out["value"] = out["value"].astype("string")
    out["detail"] = out["detail"].astype("string")
    out["row"] = pd.array(out["row"], dtype="Int64")
    out["date"] = pd.to_datetime(out["date"])
    return out
