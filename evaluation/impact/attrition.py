"""Attrition: rates by arm, a test of differential attrition, and attrition balance tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.errors import ParamsError
from evaluation.impact import _regression as reg
from evaluation.impact.balance import balance_table
from evaluation.results import ResultInfo, make_result, result_info
from evaluation.validation import as_list

__all__ = ["attrition"]

WHAT = "attrition"
STAYED, ATTRITED = "stayed", "attrited"


def attrition(
    data: pd.DataFrame,
    attrited: str,
    treatment: str,
    cluster: str | None = None,
    covariates: str | Sequence[str] = (),
    weights: str | None = None,
    *,
    comparison: object = None,
    vcov: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Attrition rates overall and by arm, differential attrition, and attrition balance.

    Parameters
    ----------
    data : DataFrame
        One row per baseline respondent.
    attrited : str
        0/1 (or boolean) column: 1 = not reached at endline (e.g. made with
        ``df["attrited"] = df["score_end"].isna()``).
    treatment : str
        Arm column.
    cluster : str, optional
        Cluster identifier: CR1 standard errors with t(G-1).
    covariates : str or list of str
        Baseline covariates for the balance sections.
    weights : str, optional
        Analytic weights.
    comparison : optional
        Comparison arm (default: first in sorted order).
    vcov : str, optional
        Default ``"CR1"`` with a cluster, ``"HC1"`` without.
    level : float

    Returns
    -------
    DataFrame
        Identified by ``section, group, variable, arm, term``; core columns; then
        ``sd, std_diff, df_num`` from the balance sections. Sections:

        * ``"rate"``: attrition rate (``estimate``, share 0–1) with its standard error;
          ``group`` = ``"all"`` or the arm;
        * ``"differential"``: ``term = "difference"``, ``arm`` = other arm: that arm's rate
          minus the comparison arm's, from the regression ``attrited ~ 1 + arm`` (a linear
          probability model) with cluster-robust standard errors;
          ``term = "joint_f_test"`` (with 3+ arms): all arms' rates equal;
        * ``"attriters_vs_stayers"``: for each arm (``group``), :func:`balance_table` of the
          covariates with ``arm`` ∈ {``"stayed"``, ``"attrited"``}: differences are
          attriters minus stayers;
        * ``"stayers_balance"``: :func:`balance_table` of the covariates by arm among the
          respondents who stayed (``group = "stayers"``): is the remaining sample still
          balanced?

    Raises
    ------
    DataError
        Missing columns, ``attrited`` not 0/1, non-numeric covariates.
    ParamsError
        ``comparison`` is not an arm; unknown ``vcov``.

    Notes
    -----
    Differential attrition is the coefficient :math:`\\delta` in
    :math:`A_i = \\alpha + \\delta D_i + u_i` (Ghanem, Hirshleifer & Ortiz-Becerra 2023
    review these tests); the balance sections show whether attriters differ at baseline
    (within arm) and whether the stayers remain balanced across arms. For bounds on the
    effect under differential attrition use :func:`~evaluation.impact.lee_bounds`.

    Examples
    --------
    >>> attrition(wide, "attrited", "treat", cluster="school", covariates=["age", "score"])  # doctest: +SKIP
    """
    level = reg.check_level(level)
    covariates = as_list(covariates)
    vcov = vcov or ("CR1" if cluster else "HC1")
    frame = reg.model_frame(
        data, [attrited, treatment], cluster, weights, WHAT, optional=covariates, stacklevel=3
    )
    rows = frame.data.copy()
    lost = reg.binary(rows, attrited, WHAT)
    arms = sorted(pd.unique(rows[treatment]).tolist(), key=lambda a: (str(type(a)), a))
    if comparison is None:
        comparison = arms[0]
    elif comparison not in arms:
        raise ParamsError(f"{WHAT}: comparison={comparison!r} is not an arm; arms are {arms}")
    blocks = [_rates(rows, lost, treatment, cluster, frame.weights, arms, vcov, level)]
    blocks.append(_differential(rows, lost, treatment, cluster, weights, comparison, vcov, level))
    for block in blocks:
        block.insert(2, "variable", attrited)
    notes = list(frame.notes)
    if covariates:
        status = f"_{WHAT}_status"
        rows[status] = np.where(lost == 1, ATTRITED, STAYED)
        for arm in arms:
            within = rows.loc[rows[treatment] == arm]
            if within[status].nunique() < 2:
                notes.append(f"arm {arm!r}: no attriters or no stayers, no attriter balance")
                continue
            table = balance_table(within, covariates, status, cluster, weights, comparison=STAYED, vcov=vcov, level=level)  # fmt: skip
            blocks.append(_section(table, "attriters_vs_stayers", arm))
        stayers = rows.loc[lost == 0]
        table = balance_table(stayers, covariates, treatment, cluster, weights, comparison=comparison, vcov=vcov, level=level)  # fmt: skip
        blocks.append(_section(table, "stayers_balance", "stayers"))
        notes.extend(result_info(table).notes)
    table = pd.concat(blocks, ignore_index=True)
    info = ResultInfo(
        estimator="impact.attrition",
        method="attrition rates, linear probability model of attrition on arm, balance tables",
        level=level,
        vcov=vcov + (f", clustered by {cluster}" if cluster else ""),
        n_obs=len(rows),
        reference="ietoolkit iebaltab for the balance sections",
        notes=tuple(
            dict.fromkeys(
                [
                    *notes,
                    f"differences in attrition are each arm minus the comparison arm {comparison!r}",
                    "attriters_vs_stayers differences are attriters minus stayers",
                ]
            )
        ),
        extra={"comparison": comparison, "arms": arms},
    )
    return make_result(table, info, id_columns=["section", "group", "variable", "arm", "term"])


def _rates(
    rows: pd.DataFrame,
    lost: np.ndarray,
    treatment: str,
    cluster: str | None,
    weights: np.ndarray | None,
    arms: list[object],
    vcov: str,
    level: float,
) -> pd.DataFrame:
    arm_values = rows[treatment].to_numpy()
    out = []
    for group in ["all", *arms]:
        mask = np.ones(len(rows), bool) if group == "all" else arm_values == group
        w = None if weights is None else weights[mask]
        cl = None if cluster is None else rows.loc[mask, cluster].to_numpy()
        _, _, table = reg.regress(
            np.ones((int(mask.sum()), 1)), lost[mask], ["rate"], vcov=vcov, level=level,
            weights=w, cluster_values=cl, what=f"{WHAT}, rate of {group!r}",
        )  # fmt: skip
        out.append(
            {"section": "rate", "group": group, "term": "rate", **table.iloc[0].drop("term")}
        )
    return pd.DataFrame(out)


def _differential(
    rows: pd.DataFrame,
    lost: np.ndarray,
    treatment: str,
    cluster: str | None,
    weights: str | None,
    comparison: object,
    vcov: str,
    level: float,
) -> pd.DataFrame:
    arm_values = rows[treatment].to_numpy()
    others = [
        a
        for a in sorted(set(arm_values.tolist()), key=lambda a: (str(type(a)), a))
        if a != comparison
    ]
    X = np.column_stack([np.ones(len(rows)), *[(arm_values == a).astype(float) for a in others]])
    terms = ["(Intercept)", *[f"arm={a}" for a in others]]
    w = None if weights is None else rows[weights].to_numpy(dtype=float)
    cl = None if cluster is None else rows[cluster].to_numpy()
    fitted, cov, table = reg.regress(
        X, lost, terms, vcov=vcov, level=level, weights=w, cluster_values=cl,
        what=f"{WHAT}, differential attrition",
    )  # fmt: skip
    out = []
    for arm, term in zip(others, terms[1:], strict=True):
        row = table.loc[table["term"] == term].iloc[0].drop("term")
        out.append(
            {"section": "differential", "group": "all", "arm": arm, "term": "difference", **row}
        )
    if len(others) > 1:
        test = reg.wald_f(fitted, cov, list(range(1, len(terms))))
        out.append(
            {
                "section": "differential",
                "group": "all",
                "term": "joint_f_test",
                "estimate": test["statistic"],
                "p_value": test["p_value"],
                "df": test["df_denom"],
                "n": fitted.n,
                "df_num": test["df_num"],
            }
        )
    return pd.DataFrame(out)


def _section(table: pd.DataFrame, section: str, group: object) -> pd.DataFrame:
    out = pd.DataFrame(table).copy()
    out.insert(0, "group", [group] * len(out))
    out.insert(0, "section", section)
    return out
