"""The statistics of an indicator: exact for registers, design-based for the survey.

Both take a *work* frame with the analysis columns ``_y`` (the variable; ``_x`` the
denominator of a ratio), ``_pop`` (True for rows in the indicator's population) and the
disaggregation columns, and return one row per domain with the result core columns.

Registers (DV cases, contacts, attendance, tests, scorecards) are complete counts of what
happened, so their statistics are exact: no standard error, no interval, except that a
proportion gets the Clopper-Pearson ("exact") binomial interval and its binomial standard
error :math:`\\sqrt{p(1-p)/n}` unless the definition says ``ci: none``. That interval
treats the period's cases as a draw from the process that generates them, which is what a
reader means by "is 62% really below the 70% target?" with 30 cases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaluation import survey
from evaluation.indicators.model import DesignSpec

CORE = ("estimate", "se", "ci_low", "ci_high", "p_value", "df", "n")


def register_estimates(
    work: pd.DataFrame, statistic: str, by: Sequence[str], ci: str, level: float
) -> pd.DataFrame:
    """Exact statistics of the population rows, overall or per ``by`` domain.

    Parameters
    ----------
    work : DataFrame
        Columns ``_y`` (and ``_x`` for ratio), ``_pop`` and ``by``.
    statistic : str
        ``mean | proportion | total | count | count_unique | ratio | median``.
    by : list of str
        Domain columns; rows with a missing value are in no domain (as R ``svyby``).
    ci : {"exact", "none"}
        Clopper-Pearson interval for proportions, or none.
    level : float

    Returns
    -------
    DataFrame
        ``by..., estimate, se, ci_low, ci_high, p_value, df, n``; ``n`` is the number of
        population rows with a value (the denominator of a proportion).

    Notes
    -----
    Clopper-Pearson: :math:`[B(\\alpha/2; k, n-k+1),\\ B(1-\\alpha/2; k+1, n-k)]` with
    :math:`B` the beta quantile (R ``binom.test``; ``scipy.stats.binomtest``).
    """
    rows = work[work["_pop"]]
    if not by:
        return pd.DataFrame([_register_row(rows, statistic, ci, level)])
    out = []
    for key, group in rows.groupby(list(by), observed=True, dropna=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out.append(
            {**dict(zip(by, key, strict=True)), **_register_row(group, statistic, ci, level)}
        )
    return pd.DataFrame(out, columns=[*by, *CORE])


def _register_row(rows: pd.DataFrame, statistic: str, ci: str, level: float) -> dict[str, float]:
    out = dict.fromkeys(CORE, np.nan)
    y = rows["_y"]
    if statistic == "ratio":
        both = rows[y.notna() & rows["_x"].notna()]
        denominator = float(both["_x"].astype(float).sum())
        out["estimate"] = (
            float(both["_y"].astype(float).sum()) / denominator if denominator else np.nan
        )
        out["n"] = len(both)
        return out
    values = y.dropna()
    out["n"] = len(values)
    if statistic == "count_unique":
        out["estimate"] = float(values.nunique())
        return out
    numbers = values.astype(float).to_numpy()
    if statistic == "count":
        out["estimate"] = float((numbers == 1).sum())
    elif statistic == "total":
        out["estimate"] = float(numbers.sum())
    elif len(numbers) == 0:
        return out
    elif statistic == "mean":
        out["estimate"] = float(numbers.mean())
    elif statistic == "median":
        out["estimate"] = float(np.median(numbers))
    elif statistic == "proportion":
        out.update(_binomial(int(numbers.sum()), len(numbers), ci, level))
    return out


def _binomial(k: int, n: int, ci: str, level: float) -> dict[str, float]:
    p = k / n
    out = {"estimate": p}
    if ci == "exact":
        interval = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
        out.update(se=float(np.sqrt(p * (1 - p) / n)), ci_low=interval.low, ci_high=interval.high)
    return out


def survey_estimates(
    work: pd.DataFrame,
    statistic: str,
    by: Sequence[str],
    design: DesignSpec,
    level: float,
    variable: str = "the variable",
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Design-based statistics of the population rows (a domain of the whole sample).

    The design is built on every row of ``work`` (one survey round), and the population is
    estimated as a domain, so strata and PSUs come from the whole sample (R
    ``svyby(~y, ~pop + by, design)`` / ``subset(design, pop)``).

    Returns
    -------
    (DataFrame, tuple of str)
        ``by..., estimate, se, ci_low, ci_high, p_value, df, n, deff, n_psu`` and the notes
        of the survey estimator. Proportions use the logit interval (``svyciprop``), means,
        totals and ratios the normal interval, the median Woodruff's interval.
    """
    data = work.copy()
    data["_domain"] = pd.Series(
        np.where(work["_pop"], "in", None), index=work.index, dtype="string"
    )
    dsg = survey.Design(data, **design.arguments())
    domains = ["_domain", *by]
    if statistic == "proportion":
        table = survey.proportion(dsg, "_y", by=domains, level=level)
    elif statistic == "mean":
        table = survey.mean(dsg, "_y", by=domains, level=level)
    elif statistic in ("total", "count"):
        table = survey.total(dsg, "_y", by=domains, level=level)
    elif statistic == "ratio":
        table = survey.ratio(dsg, "_y", "_x", by=domains, level=level)
    else:  # median
        table = survey.quantile(dsg, "_y", 0.5, by=domains, level=level)
    notes = tuple(_reword(note, variable) for note in table.attrs["info"].notes)
    table = table[table["_domain"] == "in"]
    extras = [c for c in ("deff", "n_psu") if c in table.columns]
    return table[[*by, *CORE, *extras]].reset_index(drop=True), notes


def _reword(note: str, variable: str) -> str:
    """The survey estimator's note in the indicator's terms (no internal column names)."""
    if "'_domain' belong to no domain" in note:
        count = note.split(" ", 1)[0]
        return f"{count} row(s) outside the indicator's population (kept in the design)"
    return note.replace("'_y'", f"'{variable}'").replace("'_x'", "the denominator")
