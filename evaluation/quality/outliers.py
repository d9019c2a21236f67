"""Outliers: answers that broke a constraint (from quarantine) and Tukey's IQR fences.

For each numeric question (``integer``, ``decimal``, ``range``) with at least
``min_values`` answers, the fences are

.. math::

    [Q_1 - k\\,\\mathrm{IQR},\\; Q_3 + k\\,\\mathrm{IQR}], \\qquad \\mathrm{IQR} = Q_3 - Q_1,

with :math:`k` = 1.5 for outliers and 3 for extreme outliers (Tukey 1977), and quartiles
by R's default ``quantile(type = 7)`` (linear interpolation; pandas' default too). A
question whose IQR is 0 gets no fences (every answer off the median would be an outlier) and
a note says so. ``by="_enumerator"`` computes fences within each enumerator, as IPA's
``ipacheckoutliers`` can.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.quality.rows import groups, row_keys
from evaluation.results import ResultInfo, make_result

NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})
OUTLIER = "outlier"
EXTREME = "extreme"


def constraint_violations(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Rows quarantined because an answer broke its question's constraint.

    Returns
    -------
    DataFrame
        ``table, file, row, submission_id, column, value, message`` (from ``quarantine.csv``;
        a personal field's value is already redacted there).
    """
    chosen = quarantine[quarantine["rule"].eq("constraint").fillna(False)]
    columns = ["table", "file", "row", "submission_id", "column", "value", "message"]
    return chosen[columns].reset_index(drop=True)


def numeric_questions(frame: pd.DataFrame, instrument) -> list[str]:
    """Names of the instrument's numeric questions that ``frame`` has, in form order."""
    return [
        q.name
        for q in instrument.data_questions()
        if q.type in NUMERIC_TYPES and q.name in frame.columns
    ]


def iqr_fences(
    frame: pd.DataFrame,
    variables: Sequence[str],
    *,
    table: str = "",
    multiplier: float = 1.5,
    extreme: float = 3.0,
    by: str | None = None,
    min_values: int = 10,
) -> pd.DataFrame:
    """Tukey's fences of each numeric question, and the share of answers outside them.

    Parameters
    ----------
    frame : DataFrame
        A clean table.
    variables : sequence of str
        Numeric columns to check (:func:`numeric_questions`).
    table : str
        The table's name.
    multiplier, extreme : float
        :math:`k` for outliers (1.5) and extreme outliers (3).
    by : str, optional
        Fences within each group of this column (``_enumerator``).
    min_values : int
        Fewest answers for fences; below it the row has NaN fences.

    Returns
    -------
    DataFrame
        A result table: ``table`` [, ``by``], ``variable``, ``estimate`` (share of answers
        outside the outlier fences), ``n`` (answers), then ``q1``, ``median``, ``q3``,
        ``lower``, ``upper``, ``extreme_lower``, ``extreme_upper``, ``n_outliers``,
        ``n_extreme``.
    """
    rows = []
    notes = []
    for variable in variables:
        values = pd.to_numeric(frame[variable], errors="coerce").astype("float64")
        for key, mask in groups(frame, by):
            fence = _fence(values[mask].dropna(), multiplier, extreme, min_values)
            row = {"table": table}
            if by is not None:
                row[by] = key
            row.update(variable=variable, **fence)
            rows.append(row)
            if fence["n"] >= min_values and fence["q3"] == fence["q1"]:
                where = f" ({by} {key})" if by else ""
                notes.append(f"{variable}{where}: the IQR is 0, so no fences were set")
    info = ResultInfo(
        estimator="quality.iqr_fences",
        method=f"Tukey fences at {multiplier:g} and {extreme:g} IQR from the quartiles",
        n_obs=len(frame),
        reference="Tukey (1977); R quantile(type = 7); IPA ipacheckoutliers",
        notes=tuple(notes),
    )
    ids = ["table", *([by] if by else []), "variable"]
    return make_result(rows, info, id_columns=ids)


def iqr_outliers(
    frame: pd.DataFrame,
    fences: pd.DataFrame,
    *,
    table: str = "",
    timezone: str = "UTC",
) -> pd.DataFrame:
    """The answers outside the fences of :func:`iqr_fences`, one row each.

    Returns
    -------
    DataFrame
        ``table, submission_id, enumerator, date, file, row, variable, value, lower,
        upper, severity`` (``outlier`` or ``extreme``).
    """
    by = _by_column(fences)
    keys = row_keys(frame, table, timezone)
    parts = []
    for fence in fences.to_dict("records"):  # itertuples would rename '_enumerator'
        if np.isnan(fence["lower"]):
            continue
        values = pd.to_numeric(frame[fence["variable"]], errors="coerce").astype("float64")
        in_group = (
            np.ones(len(frame), dtype=bool)
            if by is None
            else frame[by].astype("string").eq(fence[by]).fillna(False).to_numpy()
        )
        v = values.to_numpy()
        with np.errstate(invalid="ignore"):
            outside = in_group & ((v < fence["lower"]) | (v > fence["upper"]))
            very = (v < fence["extreme_lower"]) | (v > fence["extreme_upper"])
        if not outside.any():
            continue
        part = keys[outside].copy()
        part["variable"] = fence["variable"]
        part["value"] = v[outside]
        part["lower"] = fence["lower"]
        part["upper"] = fence["upper"]
        part["severity"] = np.where(very[outside], EXTREME, OUTLIER)
        parts.append(part)
    if not parts:
        return empty_listing()
    listing = pd.concat(parts, ignore_index=True)
    listing["severity"] = listing["severity"].astype("string")
    listing["variable"] = listing["variable"].astype("string")
    return listing


def empty_listing() -> pd.DataFrame:
    """An outlier listing with no rows (the columns of :func:`iqr_outliers`)."""
    dtypes = {
        "table": "string",
        "submission_id": "string",
        "enumerator": "string",
        "date": "datetime64[ns]",
        "file": "string",
        "row": "Int64",
        "variable": "string",
        "value": "float64",
        "lower": "float64",
        "upper": "float64",
        "severity": "string",
    }
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes.items()})


def _fence(values: pd.Series, k: float, k_extreme: float, min_values: int) -> dict[str, float]:
    n = len(values)
    empty = dict.fromkeys(
        ("q1", "median", "q3", "lower", "upper", "extreme_lower", "extreme_upper"), np.nan
    )
    if n == 0:
        return {"estimate": np.nan, "n": 0, **empty, "n_outliers": 0, "n_extreme": 0}
    q1, median, q3 = (float(values.quantile(p)) for p in (0.25, 0.5, 0.75))
    iqr = q3 - q1
    if n < min_values or iqr == 0:
        return {
            "estimate": np.nan,
            "n": n,
            **empty,
            "q1": q1,
            "median": median,
            "q3": q3,
            "n_outliers": 0,
            "n_extreme": 0,
        }
    lower, upper = q1 - k * iqr, q3 + k * iqr
    very_lower, very_upper = q1 - k_extreme * iqr, q3 + k_extreme * iqr
    outside = int(((values < lower) | (values > upper)).sum())
    very = int(((values < very_lower) | (values > very_upper)).sum())
    return {
        "estimate": outside / n,
        "n": n,
        "q1": q1,
        "median": median,
        "q3": q3,
        "lower": lower,
        "upper": upper,
        "extreme_lower": very_lower,
        "extreme_upper": very_upper,
        "n_outliers": outside,
        "n_extreme": very,
    }


def _by_column(fences: pd.DataFrame) -> str | None:
    columns = list(fences.columns)
    ids = columns[: columns.index("variable")]
    extra = [c for c in ids if c != "table"]
    return extra[0] if extra else None
