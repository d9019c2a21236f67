"""Minimum detectable effects for the endline, from the baseline's own ICCs and sample.

The baseline report answers "what effects can the endline detect?" with the numbers the
baseline observed: each outcome's intraclass correlation within schools, the schools per
arm, the respondents per school, and the expected loss to follow-up. :func:`endline_mde`
computes those and hands them to :func:`evaluation.power.mde`.

Examples
--------
>>> endline_mde(baseline, ["attitudes_scale", "any_delinquency"], attrition=0.15)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ParamsError, format_values
from evaluation.power import icc, mde
from evaluation.results import ResultInfo, make_result, result_info
from evaluation.validation import as_list, require_columns, require_numeric

__all__ = ["endline_mde"]

ID_COLUMNS = ("variable", "quantity")


def endline_mde(
    baseline: pd.DataFrame,
    outcomes: str | Sequence[str],
    *,
    cluster: str = "school_code",
    arm: str = "arm",
    treated_value: str = "project",
    attrition: float | Mapping[str, float] = 0.15,
    r2_individual: float | Mapping[str, float] = 0.0,
    r2_cluster: float | Mapping[str, float] = 0.0,
    power: float = 0.8,
    alpha: float = 0.05,
    level: float = 0.95,
) -> pd.DataFrame:
    """MDE of each outcome at endline, given the baseline's ICCs, schools and school sizes.

    Parameters
    ----------
    baseline : DataFrame
        The baseline wave of the youth survey, one row per respondent, with the outcomes.
    outcomes : str or list of str
        Numeric outcomes; 0/1 outcomes get their MDE in proportion points, others in their
        own units (and always in SD units, ``mdes``).
    cluster : str
        School (the unit of assignment and of clustering).
    arm, treated_value : str
        Arm column and its project value (for the treated share of schools).
    attrition : float or mapping
        Expected share of baseline respondents lost at endline (one value, or one per
        outcome). Default 0.15.
    r2_individual, r2_cluster : float or mapping
        Share of the outcome's within- and between-school variance that the endline model's
        covariates will explain (for ANCOVA, about the squared baseline-endline correlation;
        0 without covariates). One value or one per outcome.
    power, alpha : float
        Target power and two-sided significance level.
    level : float
        Confidence level of the ICC interval shown.

    Returns
    -------
    DataFrame
        One row per outcome: ``variable, quantity`` (``"mde"``), ``estimate`` (the MDE in
        ``units``: proportion points for 0/1 outcomes, outcome units otherwise), ``df``,
        ``n`` (respondents with the outcome), then every column of
        :func:`evaluation.power.mde` (``mdes`` in SD units, ``clusters``, ``cluster_size``,
        ``icc``, ``treated_share``, ``attrition``, ...), then ``icc_estimate`` (the ANOVA
        estimate before a negative value is set to 0), ``icc_ci_low``, ``icc_ci_high``,
        ``clusters_treated``, ``clusters_comparison``, ``comparison_mean``,
        ``comparison_sd``.

    Raises
    ------
    DataError
        Missing columns, non-numeric outcomes, missing arm or school values, a single arm.
    ParamsError
        An attrition or R² outside [0, 1), or a mapping without an entry for an outcome.

    Notes
    -----
    For each outcome, with the respondents who answered it: J schools, of which a share P in
    the project arm, m = n / J respondents per school on average, and the ANOVA ICC
    :math:`\\hat\\rho` (:func:`evaluation.power.icc`; a negative estimate is set to 0)

    .. math::

        MDES = (t_{1-\\alpha/2, J-2} + t_{1-\\beta, J-2}) \\sqrt{\\frac{\\rho (1 - R_2^2)}{P (1-P) J}
        + \\frac{(1 - \\rho)(1 - R_1^2)}{P (1-P) J m (1 - a)}}

    with attrition a. The MDE in outcome units is MDES times the comparison arm's baseline SD
    (the standardiser of the impact estimates), and for a 0/1 outcome
    :math:`\\sqrt{p_0 (1 - p_0)}` with :math:`p_0` the comparison arm's baseline proportion.
    The formula assumes equal school sizes; with unequal sizes the true MDE is somewhat larger.

    See Also
    --------
    evaluation.power.mde, evaluation.power.icc; PowerUpR ``mdes.cra2``.
    """
    outcomes = as_list(outcomes)
    what = "endline_mde()"
    if not outcomes:
        raise ParamsError(f"{what}: name at least one outcome")
    require_columns(baseline, [*outcomes, cluster, arm], what=f"{what} baseline")
    _require_filled(baseline, [cluster, arm], what)
    rows, notes = [], []
    for name in outcomes:
        row, found = _outcome_row(
            baseline,
            name,
            cluster,
            arm,
            treated_value,
            attrition,
            r2_individual,
            r2_cluster,
            power,
            alpha,
            level,
            what,
        )
        rows.append(row)
        notes.extend(found)
    first = result_info(rows[0])
    table = pd.concat(rows, ignore_index=True)
    info = ResultInfo(
        estimator="endline_power.endline_mde",
        method=first.method + ", with the baseline's ICCs, schools per arm and school sizes",
        level=level,
        n_obs=len(baseline),
        reference=first.reference,
        notes=(*first.notes, *dict.fromkeys(notes)),
    )
    return make_result(table, info, id_columns=list(ID_COLUMNS))


def _require_filled(data: pd.DataFrame, columns: list[str], what: str) -> None:
    for column in columns:
        missing = data[column].isna()
        if missing.any():
            rows = list(data.index[missing.to_numpy()])
            raise DataError(
                f"{what}, column '{column}': {int(missing.sum())} rows have no value (rows "
                f"{format_values(rows)}); fill them or drop the rows first"
            )


def _per_outcome(value: float | Mapping[str, float], name: str, key: str, what: str) -> float:
    if isinstance(value, Mapping):
        if name not in value:
            raise ParamsError(
                f"{what}: {key} has no entry for '{name}'; give one value or one per outcome"
            )
        value = value[name]
    value = float(value)
    if not 0 <= value < 1:
        raise ParamsError(f"{what}: {key}={value!r} for '{name}' must be at least 0 and below 1")
    return value


def _outcome_row(
    baseline: pd.DataFrame,
    name: str,
    cluster: str,
    arm: str,
    treated_value: str,
    attrition: float | Mapping[str, float],
    r2_individual: float | Mapping[str, float],
    r2_cluster: float | Mapping[str, float],
    power: float,
    alpha: float,
    level: float,
    what: str,
) -> tuple[pd.DataFrame, list[str]]:
    values = require_numeric(baseline, name, what)
    data = baseline.loc[~np.isnan(values), [name, cluster, arm]]
    y = values[~np.isnan(values)]
    treated = (data[arm].astype("string") == treated_value).to_numpy()
    schools = data[cluster].astype("string").to_numpy(dtype=object)
    n_treated = len(set(schools[treated]))
    n_comparison = len(set(schools[~treated]))
    if n_treated == 0 or n_comparison == 0:
        raise DataError(
            f"{what}, outcome '{name}': schools in only one arm (project {n_treated}, "
            f"comparison {n_comparison}); check the arm column and treated_value"
        )
    rho_table = icc(data, name, cluster, level=level)
    rho = float(rho_table["estimate"].iloc[0])
    notes = []
    if rho < 0:
        notes.append(f"{name}: negative ICC estimate ({rho:.4f}) set to 0")
    clusters = n_treated + n_comparison
    comparison = y[~treated]
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    units = (
        {"baseline_proportion": float(comparison.mean())}
        if binary
        else {"sd": float(comparison.std(ddof=1))}
    )
    table = mde(
        power=power,
        clusters=clusters,
        cluster_size=len(y) / clusters,
        icc=max(rho, 0.0),
        treated_share=n_treated / clusters,
        r2_individual=_per_outcome(r2_individual, name, "r2_individual", what),
        r2_cluster=_per_outcome(r2_cluster, name, "r2_cluster", what),
        attrition=_per_outcome(attrition, name, "attrition", what),
        alpha=alpha,
        **units,
    )
    table.insert(0, "variable", name)
    table["n"] = len(y)
    table["icc_estimate"] = rho
    table["icc_ci_low"] = rho_table["ci_low"].iloc[0]
    table["icc_ci_high"] = rho_table["ci_high"].iloc[0]
    table["clusters_treated"] = n_treated
    table["clusters_comparison"] = n_comparison
    table["comparison_mean"] = float(comparison.mean())
    table["comparison_sd"] = float(comparison.std(ddof=1))
    return table, notes
