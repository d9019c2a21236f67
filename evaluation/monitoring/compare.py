"""Period-on-period comparisons: this month against the month before.

A comparison is computed from *protected* tables (small cells already hidden), so a hidden
value gives a missing change rather than a number that would let the reader work it back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.errors import ReportError
from evaluation.results import ResultInfo, make_result

KEYS = ("measure", "variable", "category")


def compare_periods(
    table: pd.DataFrame, this: str, previous: str, keys: Sequence[str] = KEYS
) -> pd.DataFrame:
    """Each row of period ``this`` against the same row of period ``previous``.

    Parameters
    ----------
    table : DataFrame
        A long table with ``period``, the ``keys`` columns, ``estimate`` and ``n`` (and
        optionally ``suppressed``), e.g. a protected trend.
    this, previous : str
        Period labels (``"2023-10"``, ``"2023-09"``).
    keys : sequence of str
        Columns that identify a row within a period.

    Returns
    -------
    DataFrame
        ``keys..., estimate, se, ci_low, ci_high, p_value, df, n`` for ``this``, then
        ``previous``, ``n_previous``, ``change`` (this − previous) and ``change_pct``
        (change / previous; NaN when previous is 0 or either value is missing), and
        ``hidden`` (True when either value is suppressed). Rows in the order of ``this``;
        a row missing in ``previous`` compares with NaN.

    Raises
    ------
    ReportError
        If ``this`` is not a period of the table.

    Notes
    -----
    .. math:: \\Delta = x_t - x_{t-1}, \\qquad \\Delta\\% = \\Delta / x_{t-1}.
    """
    periods = set(table["period"].astype(str))
    if this not in periods:
        raise ReportError(
            f"compare_periods: no rows for period {this!r}; periods: {sorted(periods)}"
        )
    key = list(keys)
    now = table[table["period"].astype(str) == this]
    before = table[table["period"].astype(str) == previous]
    merged = now.merge(
        before[[*key, "estimate", "n", *_suppressed(before)]],
        on=key,
        how="left",
        suffixes=("", "_previous"),
    )
    current = merged["estimate"].astype(float)
    prior = merged["estimate_previous"].astype(float)
    change = current - prior
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(prior.to_numpy() > 0, change / prior, np.nan)
    hidden = _is_hidden(merged, "suppressed") | _is_hidden(merged, "suppressed_previous")
    out = pd.DataFrame(
        {
            **{k: merged[k] for k in key},
            "estimate": current,
            "n": merged["n"],
            "previous": prior,
            "n_previous": pd.array(merged["n_previous"], dtype="Int64"),
            "change": change,
            "change_pct": relative.astype(float),
            "hidden": hidden,
        }
    )
    info = ResultInfo(
        estimator="monitoring.compare_periods",
        method=f"{this} against {previous}: difference and relative change",
        n_obs=len(out),
        extra={"this": this, "previous": previous},
    )
    return make_result(out, info, id_columns=key)


def _suppressed(frame: pd.DataFrame) -> list[str]:
    return ["suppressed"] if "suppressed" in frame.columns else []


def _is_hidden(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[column].fillna("").astype(str) != ""
