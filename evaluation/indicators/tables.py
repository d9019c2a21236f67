"""Donor-shaped tables: the logframe (indicator tracking table) and one disaggregation.

:func:`logframe_table` gives one row per logframe indicator, in the shape of a UK-funded
programme's indicator tracking table (ITT): id, level, indicator, unit, baseline, the latest
milestone due, target, the actual with its CI, % of target and status. Indicators the
workbench does not compute are listed too, with their baseline and targets and "not
collected by the workbench". :func:`disaggregation_table` gives one disaggregation (sex,
age band ...) for every indicator that has it, with a ``total`` row, ready for one workbook
sheet. Numbers are not formatted here (that is ``evaluation.report``'s job).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from evaluation.errors import ParamsError, did_you_mean
from evaluation.indicators.compute import (
    DesignArg,
    attribute_column,
    compute_prepared,
    prepare_tables,
)
from evaluation.indicators.model import Indicator, Logframe
from evaluation.indicators.status import latest_milestone
from evaluation.results import RESULT_COLUMNS, ResultInfo, make_result

ITT_COLUMNS = (
    "id", "level", "indicator", "unit", "baseline", "baseline_date", "milestone",
    "milestone_date", "target", "target_date", "actual", "ci_low", "ci_high", "n", "period",
    "pct_of_target", "status", "source", "frequency", "note",
)  # fmt: skip
NOT_COLLECTED = "not collected by the workbench"
TOTAL = "total"


def logframe_table(
    logframe: Logframe,
    results: pd.DataFrame,
    as_of: dt.date | None = None,
    language: str = "en",
) -> pd.DataFrame:
    """The indicator tracking table: one row per logframe indicator, in logframe order.

    Parameters
    ----------
    logframe : Logframe
    results : DataFrame
        From :func:`~evaluation.indicators.compute_indicators` (rows with ``by`` values are
        ignored: the ITT shows totals).
    as_of : date, optional
        The report date: the actual is the latest period ending on or before it, and
        "milestone" is the latest milestone due by then. Default: the latest period and the
        milestone due at its end.
    language : {"en", "sq"}
        Language of the indicator names and sources.

    Returns
    -------
    DataFrame
        Columns :data:`ITT_COLUMNS`. ``actual``, ``ci_low``, ``ci_high`` in the indicator's
        units (proportions for percent); ``status`` compares the actual with the milestone
        path at the end of its period (see :mod:`evaluation.indicators.status`);
        ``note`` says why a row has no actual.
    """
    if language not in ("en", "sq"):
        raise ParamsError(
            f"language '{language}' is not en or sq{did_you_mean(language, ['en', 'sq'])}"
        )
    totals = _overall_rows(results)
    rows = [_itt_row(ind, totals, as_of, language) for ind in logframe.indicators.values()]
    table = pd.DataFrame(rows, columns=list(ITT_COLUMNS))
    table["n"] = pd.array(table["n"], dtype="Int64")
    table.attrs["info"] = ResultInfo(
        estimator="indicators.logframe_table",
        method="indicator tracking table (latest actual per indicator against milestones)",
        n_obs=len(table),
        notes=(f"as of {as_of}" if as_of else "latest period of each indicator",),
    )
    return table


def _overall_rows(results: pd.DataFrame) -> pd.DataFrame:
    columns = list(results.columns)
    by = (
        columns[columns.index("period") + 1 : columns.index("estimate")]
        if "period" in columns
        else []
    )
    if not by:
        return results
    return results[results[by].isna().all(axis=1)]


def _itt_row(
    indicator: Indicator, totals: pd.DataFrame, as_of: dt.date | None, language: str
) -> dict[str, object]:
    base = {
        "id": indicator.id,
        "level": indicator.level,
        "indicator": indicator.label(language),
        "unit": indicator.unit,
        "baseline": indicator.baseline.value if indicator.baseline else math.nan,
        "baseline_date": indicator.baseline.date if indicator.baseline else None,
        "target": indicator.target.value if indicator.target else math.nan,
        "target_date": indicator.target.date if indicator.target else None,
        "source": indicator.source_text(language),
        "frequency": indicator.frequency,
    }
    latest = _latest(totals[totals["indicator"] == indicator.id], as_of) if len(totals) else None
    milestone = latest_milestone(
        indicator, as_of or (latest["period_end"] if latest is not None else None)
    )
    base["milestone"] = milestone.value if milestone else math.nan
    base["milestone_date"] = milestone.date if milestone else None
    if not indicator.computable:
        return {**base, "status": "not collected", "note": f"{NOT_COLLECTED}: {indicator.reason}"}
    if latest is None:
        return {**base, "status": "no data", "note": "no actual value for the period"}
    return {
        **base,
        "actual": latest["estimate"],
        "ci_low": latest["ci_low"],
        "ci_high": latest["ci_high"],
        "n": latest["n"],
        "period": latest["period"],
        "pct_of_target": latest["pct_of_target"],
        "status": latest["status"],
        "note": "",
    }


def _latest(rows: pd.DataFrame, as_of: dt.date | None) -> pd.Series | None:
    if as_of is not None:
        ends = rows["period_end"]
        rows = rows[ends.isna() | ends.map(lambda d: d is None or d is pd.NaT or d <= as_of)]
    rows = rows[rows["n"].fillna(0) > 0]
    return rows.iloc[-1] if len(rows) else None


def disaggregation_table(
    logframe: Logframe,
    tables: Mapping[str, pd.DataFrame],
    dimension: str,
    ids: Iterable[str] | None = None,
    period: str | Sequence[str] | None = None,
    design: DesignArg = "auto",
    *,
    language: str = "en",
    level: float = 0.95,
) -> pd.DataFrame:
    """One disaggregation for every indicator that lists it, with a ``total`` row each.

    Parameters
    ----------
    logframe : Logframe
    tables : mapping of str to DataFrame
        Clean tables.
    dimension : str
        A disaggregation name (``sex``, ``age_band``, ``disability``, ``unit``, ``arm`` ...).
    ids : iterable of str, optional
        Indicators; default the computable ones listing ``dimension``.
    period, design, level
        As in :func:`~evaluation.indicators.compute_indicator`.
    language : {"en", "sq"}
        Language of ``indicator_name``.

    Returns
    -------
    DataFrame
        ``indicator, indicator_name, period, <dimension>, estimate, se, ci_low, ci_high,
        p_value, df, n, unit``; the ``<dimension>`` column holds the category (text) or
        ``"total"``. ``n`` is the unweighted count the disclosure rule is applied to. For
        the dimension ``unit`` (administrative unit) the indicator's unit is in
        ``indicator_unit``; ``attrs["info"].extra["unit_column"]`` names the column.
    """
    chosen = (
        list(ids)
        if ids is not None
        else [
            i for i in logframe.computable() if dimension in logframe.indicator(i).disaggregations
        ]
    )
    if not chosen:
        raise ParamsError(
            f"no computable indicator lists the disaggregation '{dimension}'"
            f"{did_you_mean(dimension, logframe.dimensions)}; dimensions: "
            f"{', '.join(logframe.dimensions)}"
        )
    if dimension == "indicator_name":
        raise ParamsError(
            "cannot disaggregate by 'indicator_name': the table has a column of that name; "
            "give the dimension another name in the logframe's 'dimensions'"
        )
    needed = {logframe.indicator(i).definition.table for i in chosen}  # type: ignore[union-attr]
    prepared = prepare_tables(logframe, tables, needed)
    unit = attribute_column("unit", [dimension])
    columns = ["indicator", "indicator_name", "period", dimension, *RESULT_COLUMNS, unit]
    parts = []
    for indicator_id in chosen:
        name = logframe.indicator(indicator_id).label(language)
        overall = compute_prepared(
            logframe, indicator_id, prepared, period, None, design, level=level
        )
        split = compute_prepared(
            logframe, indicator_id, prepared, period, dimension, design, level=level
        )
        # The total has no dimension column; its attribute columns carry their own names.
        overall = overall.rename(columns={"unit": unit}).assign(**{dimension: TOTAL})
        for part in (overall, split):
            part = part.assign(indicator_name=name, **{dimension: part[dimension].astype("string")})
            parts.append(part[columns])
    order = {p: i for i, p in enumerate(dict.fromkeys(v for t in parts for v in t["period"]))}
    combined = pd.concat(parts, ignore_index=True)
    combined["_total_first"] = combined[dimension] != TOTAL
    combined["_order"] = combined["period"].map(order)
    combined["_indicator"] = combined["indicator"].map({i: k for k, i in enumerate(chosen)})
    combined = combined.sort_values(["_indicator", "_order", "_total_first"], kind="stable")
    combined = combined.drop(columns=["_total_first", "_order", "_indicator"])
    info = ResultInfo(
        estimator="indicators.disaggregation_table",
        method=f"indicators by {dimension}, with totals",
        level=level,
        n_obs=len(combined),
        extra={"dimension": dimension, "unit_column": unit},
    )
    return make_result(
        combined, info, id_columns=["indicator", "indicator_name", "period", dimension]
    )
