"""Counts and simple statistics of register rows, per period, as tidy result tables.

A monitoring table is *long*: one row per measure, period and category, with the result
columns of :mod:`evaluation.results` (``estimate`` is the count or the statistic, ``n`` the
cases, children or people behind it, which is what the small-cell rule is applied to).
Single-choice breakdowns get a total row (category :data:`TOTAL`, ``"All"``), so the
categories add up to it; multiple-choice breakdowns do not (a case may be in several).

The periods are given as frames: ``{period label: the rows of that period}``, so that the
caller decides what a row is (a case registered in the month, a child counted once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ParamsError
from evaluation.monitoring.periods import Window, months_of
from evaluation.results import ResultInfo, make_result
from evaluation.validation import require_columns

TOTAL = "All"
"""Category of the total row (a total label :mod:`evaluation.privacy` recognises)."""
MISSING = "not_recorded"
"""Category of rows whose answer is empty (so that categories still add up to the total)."""
ID_COLUMNS = ("measure", "variable", "period", "category")
STATISTICS = ("median", "mean", "share")


def split_windows(
    frame: pd.DataFrame, date_column: str, windows: Sequence[Window], what: str = "register"
) -> dict[str, pd.DataFrame]:
    """The rows of each window, by the month of ``date_column``.

    Parameters
    ----------
    frame : DataFrame
        A clean register (not modified).
    date_column : str
        The date that places a row in a month (e.g. ``date_registered``).
    windows : sequence of Window
        The periods, e.g. the month, the month before and the last twelve.
    what : str
        The table's name, for messages.

    Returns
    -------
    dict of str to DataFrame
        ``{window.label: rows}`` in the order given; rows without a date are in none.
    """
    require_columns(frame, [date_column], what=what)
    month = months_of(frame[date_column], f"{what}, column '{date_column}'")
    return {win.label: frame[month.isin(win.months).fillna(False)] for win in windows}


def count_total(
    frames: Mapping[str, pd.DataFrame], measure: str, unique: str | None = None
) -> pd.DataFrame:
    """Rows (or distinct values of ``unique``) per period: one total row each.

    Returns
    -------
    DataFrame
        ``measure, variable, period, category, estimate, se, ci_low, ci_high, p_value, df,
        n`` with ``variable = ""``, ``category = "All"`` and ``estimate = n`` = the count.
    """
    rows = []
    for label, part in frames.items():
        count = len(part) if unique is None else int(part[unique].dropna().nunique())
        rows.append(_count_row(measure, "", label, TOTAL, count))
    return _result(rows, f"count of {measure}")


def count_categories(
    frames: Mapping[str, pd.DataFrame],
    measure: str,
    variable: str,
    categories: Sequence[str] | None = None,
    *,
    multiple: bool = False,
    total: bool = True,
) -> pd.DataFrame:
    """Rows per category of ``variable`` in each period.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        ``{period label: rows}``.
    measure : str
        What a row is (``dv_cases``, ``street_children``...).
    variable : str
        A single-choice column, or for ``multiple=True`` a select_multiple question whose
        choices are the boolean columns ``<variable>__<code>``.
    categories : sequence of str, optional
        Categories in display order, zeros included (default: the column's categories, or
        the values found, sorted). Values outside the list are an error.
    multiple : bool
        Count each choice of a select_multiple question (a row may count in several).
    total : bool
        Add the total row (single choice only; the categories, with :data:`MISSING` for
        empty answers, add up to it).

    Returns
    -------
    DataFrame
        As :func:`count_total`, one row per period and category.

    Raises
    ------
    DataError
        A column is missing, or a value is not one of ``categories``.

    See Also
    --------
    R ``table(factor(x, levels = categories), useNA = "ifany")`` with ``addmargins``.
    """
    if multiple:
        return _count_multiple(frames, measure, variable, categories)
    levels = list(categories) if categories is not None else _levels(frames, variable)
    rows = []
    for label, part in frames.items():
        require_columns(part, [variable], what=f"{measure} ({label})")
        values = part[variable].astype("string")
        unknown = sorted(set(values.dropna()) - set(levels))
        if unknown:
            raise DataError(
                f"{measure}: column '{variable}' has values {unknown[:5]} that are not among "
                f"the categories {levels}; re-run the ingestion with the current questionnaire"
            )
        counts = values.fillna(MISSING).value_counts()
        shown = levels + ([MISSING] if counts.get(MISSING, 0) else [])
        rows += [_count_row(measure, variable, label, c, int(counts.get(c, 0))) for c in shown]
        if total:
            rows.append(_count_row(measure, variable, label, TOTAL, len(part)))
    return _result(rows, f"{measure} by {variable}")


def _count_multiple(
    frames: Mapping[str, pd.DataFrame],
    measure: str,
    variable: str,
    categories: Sequence[str] | None,
) -> pd.DataFrame:
    rows = []
    for label, part in frames.items():
        prefix = f"{variable}__"
        found = [c[len(prefix) :] for c in part.columns if c.startswith(prefix)]
        codes = list(categories) if categories is not None else found
        missing = [c for c in codes if f"{prefix}{c}" not in part.columns]
        if missing or not codes:
            raise DataError(
                f"{measure}: the select_multiple question '{variable}' has no column "
                f"{', '.join(prefix + c for c in missing) or prefix + '<choice>'}; the clean "
                "table needs one boolean column per choice (ingestion contract)"
            )
        for code in codes:
            ticked = part[f"{prefix}{code}"].astype("boolean").fillna(False)
            rows.append(_count_row(measure, variable, label, code, int(ticked.sum())))
    return _result(rows, f"{measure} by {variable} (multiple choice)")


def statistic(
    frames: Mapping[str, pd.DataFrame], measure: str, column: str, kind: str
) -> pd.DataFrame:
    """A median, mean or share of ``column`` in each period, over the rows that have a value.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        ``{period label: rows}``.
    measure : str
        Name of the statistic (``dv_days_to_review``...).
    column : str
        A numeric column; for ``share`` a 0/1 column.
    kind : {"median", "mean", "share"}
        The statistic. The median is the middle value (the mean of the two middle values
        for an even count), as R ``median()``.

    Returns
    -------
    DataFrame
        ``measure, variable, period, category, estimate, ..., n`` with ``variable`` the
        column, ``category = "All"``; ``n`` rows with a value, ``estimate`` NaN when none.

    Raises
    ------
    DataError
        A column is missing, not numeric, or (``share``) not 0/1.
    ParamsError
        An unknown ``kind``.

    See Also
    --------
    R ``median(x, na.rm = TRUE)``, ``mean(x, na.rm = TRUE)``.
    """
    if kind not in STATISTICS:
        raise ParamsError(f"statistic {kind!r} is not one of {', '.join(STATISTICS)}")
    rows = []
    for label, part in frames.items():
        require_columns(part, [column], what=f"{measure} ({label})")
        values = _numbers(part[column], f"{measure}: column '{column}'")
        if kind == "share" and not set(np.unique(values)) <= {0.0, 1.0}:
            raise DataError(f"{measure}: column '{column}' must be 0/1 for a share")
        value = np.nan
        if len(values):
            value = float(np.median(values) if kind == "median" else np.mean(values))
        rows.append(
            {
                "measure": measure,
                "variable": column,
                "period": label,
                "category": TOTAL,
                "estimate": value,
                "n": len(values),
            }
        )
    return _result(rows, f"{kind} of {column}")


def _numbers(series: pd.Series, what: str) -> np.ndarray:
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() & series.notna()
    if bad.any():
        raise DataError(f"{what}: {int(bad.sum())} values are not numbers")
    return numeric.dropna().to_numpy(dtype=float)


def _levels(frames: Mapping[str, pd.DataFrame], variable: str) -> list[str]:
    for part in frames.values():
        if variable in part.columns and isinstance(part[variable].dtype, pd.CategoricalDtype):
            return [str(c) for c in part[variable].cat.categories]
    found = {str(v) for part in frames.values() for v in part[variable].dropna()}
    return sorted(found)


def from_counts(counts: Sequence[tuple[str, str, str, str, int]], method: str) -> pd.DataFrame:
    """A long table from ``(measure, variable, period, category, count)`` tuples."""
    return _result([_count_row(*row) for row in counts], method)


def _count_row(measure: str, variable: str, period: str, category: str, count: int) -> dict:
    return {
        "measure": measure,
        "variable": variable,
        "period": period,
        "category": category,
        "estimate": float(count),
        "n": count,
    }


def _result(rows: list[dict], method: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*ID_COLUMNS, "estimate", "n"])
    for column in ID_COLUMNS:
        frame[column] = frame[column].astype("string")
    info = ResultInfo(
        estimator="monitoring.counting",
        method=f"{method} (complete register: exact, no sampling error)",
        vcov="none (complete register)",
        n_obs=int(frame["n"].sum()) if len(frame) else 0,
    )
    return make_result(frame, info, id_columns=ID_COLUMNS)
