"""Logframe indicators this month and last, against their milestones (params/logframe.yaml).

The monthly report reads each chosen indicator by month (``compute_indicators(...,
period_unit="month")``): quarterly indicators such as OC2.3 are shown for the month, and
their status compares the month's value with the milestone path at the end of the month
(:mod:`evaluation.indicators.status`). Indicators the workbench does not collect are listed
with the reason. Values based on fewer cases than the threshold are hidden together with
their status (which would give away on which side of the milestone they lie); the previous
month of a cumulative indicator is not shown, since the difference of two cumulative counts
is the month's count, which may be small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evaluation.indicators import Logframe, compute_prepared, latest_milestone
from evaluation.indicators.model import Period
from evaluation.indicators.periods import end_date
from evaluation.privacy import suppress_results
from evaluation.results import ResultInfo, make_result

COLUMNS = (
    "indicator", "level", "unit", "computable", "cumulative", "estimate", "n", "previous",
    "n_previous", "milestone", "milestone_date", "target", "target_date", "status", "note",
    "suppressed",
)  # fmt: skip


def indicator_progress(
    logframe: Logframe,
    prepared: Mapping[str, pd.DataFrame],
    ids: Sequence[str],
    this: str,
    previous: str,
    threshold: int = 10,
) -> pd.DataFrame:
    """The chosen indicators for month ``this`` and ``previous``, with milestone and status.

    Parameters
    ----------
    logframe : Logframe
    prepared : mapping of str to DataFrame
        Tables and views from :func:`evaluation.indicators.prepare_tables`, including those
        the indicators read.
    ids : sequence of str
        Indicator ids in display order; ids the logframe does not know are an error
        (:class:`~evaluation.errors.ParamsError` with "did you mean").
    this, previous : str
        ``YYYY-MM``.
    threshold : int
        Values based on fewer cases are hidden (for counts: fewer than ``threshold``
        counted).

    Returns
    -------
    DataFrame
        One row per indicator: :data:`COLUMNS` plus the result core (``estimate`` and
        ``n`` are this month's). ``status`` is ``on track``, ``at risk``, ``off track``,
        ``no target``, ``no data``, ``not collected`` or missing when the value is hidden.
        An indicator measured by survey round rather than by date has no monthly value
        (``no data``, with a note).
    """
    indicators = [logframe.indicator(i) for i in ids]
    parts, notes = [], []
    for indicator in indicators:
        period = indicator.definition.period if indicator.definition else None
        if not indicator.computable:
            continue
        if period is None or period.unit == "value":
            notes.append(f"{indicator.id} is not measured by month")
            continue
        parts.append(
            compute_prepared(
                logframe, indicator.id, prepared, [previous, this], period_unit="month"
            )
        )
    results = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["indicator", "period", "estimate", "n", "status"])
    )
    rows = [_row(logframe, i, results, this, previous) for i in indicators]
    table = pd.DataFrame(rows, columns=list(COLUMNS[:-1]))
    table = _protect(table, threshold)
    info = ResultInfo(
        estimator="monitoring.indicator_progress",
        method=f"logframe indicators by month ({this} and {previous}) against milestones",
        n_obs=len(table),
        notes=tuple(notes),
    )
    return make_result(table, info, id_columns=["indicator", "level", "unit"])


def _row(logframe: Logframe, indicator, results: pd.DataFrame, this: str, previous: str) -> dict:
    month_end = end_date(this, Period("month_end", "month"))
    milestone = latest_milestone(indicator, month_end)
    definition = indicator.definition
    cumulative = bool(definition and definition.period and definition.period.cumulative)
    base = {
        "indicator": indicator.id,
        "level": indicator.level,
        "unit": indicator.unit,
        "computable": indicator.computable,
        "cumulative": cumulative,
        "milestone": milestone.value if milestone else math.nan,
        "milestone_date": milestone.date if milestone else None,
        "target": indicator.target.value if indicator.target else math.nan,
        "target_date": indicator.target.date if indicator.target else None,
        "estimate": math.nan,
        "previous": math.nan,
        "n": pd.NA,
        "n_previous": pd.NA,
        "status": "not collected" if not indicator.computable else "no data",
        "note": indicator.reason if not indicator.computable else "",
    }
    if not indicator.computable:
        return base
    mine = results[results["indicator"] == indicator.id]
    now = mine[mine["period"] == this]
    before = mine[mine["period"] == previous]
    if len(now):
        base.update(estimate=now["estimate"].iloc[0], n=now["n"].iloc[0])
        base["status"] = now["status"].iloc[0] if int(now["n"].iloc[0] or 0) > 0 else "no data"
    if len(before) and not cumulative:
        base.update(previous=before["estimate"].iloc[0], n_previous=before["n"].iloc[0])
    return base


def _protect(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Primary suppression of this month's and last month's values, each on its own."""
    long = []
    for column, n_column, label in (
        ("estimate", "n", "this"),
        ("previous", "n_previous", "previous"),
    ):
        part = table[["indicator", "unit", column, n_column]].rename(
            columns={column: "estimate", n_column: "n"}
        )
        part.insert(1, "period", label)
        long.append(part)
    frame = pd.concat(long, ignore_index=True)
    counted = pd.to_numeric(frame["n"], errors="coerce").astype(float)
    is_count = frame["unit"].eq("count")
    cells = np.where(is_count, frame["estimate"].astype(float), counted)
    frame["cells"] = np.where(frame["estimate"].astype(float).isna(), 0.0, cells)  # nothing to hide
    shown = suppress_results(
        frame[["indicator", "period", "estimate", "cells"]],
        by="period",
        split_by=["indicator"],
        n="cells",
        threshold=threshold,
        margins_known=False,
    )
    this = shown[shown["period"] == "this"].set_index("indicator")
    before = shown[shown["period"] == "previous"].set_index("indicator")
    out = table.copy()
    keys = out["indicator"]
    out["estimate"] = keys.map(this["estimate"]).astype(float)
    out["previous"] = keys.map(before["estimate"]).astype(float)
    hidden_now = keys.map(this["suppressed"]).fillna("")
    hidden_before = keys.map(before["suppressed"]).fillna("")
    out["n"] = pd.array(out["n"].where(hidden_now == ""), dtype="Int64")
    out["n_previous"] = pd.array(out["n_previous"].where(hidden_before == ""), dtype="Int64")
    out["status"] = out["status"].where(hidden_now == "", other=pd.NA).astype("string")
    out["suppressed"] = [
        "; ".join(p for p in (f"this: {a}" if a else "", f"previous: {b}" if b else "") if p)
        for a, b in zip(hidden_now, hidden_before, strict=True)
    ]
    return out
