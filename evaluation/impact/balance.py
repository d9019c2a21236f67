"""Baseline balance table in the shape of ietoolkit's ``iebaltab``, as a tidy table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ParamsError, format_values
from evaluation.impact import _regression as reg
from evaluation.results import ResultInfo, make_result
from evaluation.validation import as_list, require_columns, require_numeric

__all__ = ["balance_table"]

WHAT = "balance_table"
JOINT = "(joint F-test)"


def balance_table(
    data: pd.DataFrame,
    variables: str | Sequence[str],
    treatment: str,
    cluster: str | None = None,
    weights: str | None = None,
    fixed_effects: str | None = None,
    *,
    covariates: str | Sequence[str] = (),
    comparison: object = None,
    vcov: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Per-arm means, differences with cluster-robust inference, and a joint F-test.

    For every variable: each arm's mean, SD and n; for every other arm, the raw difference
    (that arm minus the comparison arm, iebaltab's sign convention) with its standard
    error, CI and p-value, and the normalised difference; and, when ``fixed_effects`` or
    ``covariates`` are given, the adjusted coefficient beside it. Then, per other arm, the
    joint orthogonality test: regress the arm indicator on all variables and test that
    their coefficients are jointly zero.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (baseline).
    variables : str or list of str
        Numeric baseline variables to compare. Missing values are dropped per variable.
    treatment : str
        Arm column (0/1, booleans or labels; two or more arms).
    cluster : str, optional
        Cluster identifier; gives CR1 standard errors with t(G-1).
    weights : str, optional
        Analytic weights (weighted means, SDs and WLS differences).
    fixed_effects : str, optional
        A column whose levels enter as fixed effects (e.g. randomisation strata), absorbed
        in the adjusted differences and the joint test.
    covariates : str or list of str
        Regressors added to the adjusted differences.
    comparison : optional
        The comparison arm; default the first level in sorted order (0 for a 0/1 column).
    vcov : str, optional
        Variance estimator; default ``"CR1"`` with a cluster, ``"HC1"`` without.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        Identified by ``variable, arm, term``; core columns, then ``sd``, ``std_diff``,
        ``df_num``. Terms:

        * ``"mean"`` (one row per arm): ``estimate`` = mean, ``se`` its standard error,
          ``sd`` the (weighted) SD, ``n`` the arm's rows;
        * ``"difference"`` (``arm`` = the other arm): raw difference in means, arm minus
          comparison, from ``variable ~ 1 + arm``; ``std_diff`` = difference /
          sqrt((sd_arm² + sd_comparison²)/2) (normalised difference, Imbens & Rubin);
        * ``"difference_adjusted"`` (only with ``fixed_effects`` or ``covariates``): the
          arm coefficient with the fixed effects absorbed and covariates added;
        * ``"joint_f_test"`` (``variable`` = ``"(joint F-test)"``): ``estimate`` = F
          statistic, ``p_value``, ``df`` = denominator df (G - 1 with clusters),
          ``df_num`` = number of variables, ``n`` = complete rows.

        The joint tests are also in ``attrs["info"].extra["joint_tests"]``.

    Raises
    ------
    DataError
        Missing columns, non-numeric variables, fewer than two arms.
    ParamsError
        ``comparison`` is not an arm; unknown ``vcov``.
    EstimationError
        A variable is constant in a pair of arms, too few clusters.

    Notes
    -----
    The joint test regresses the arm indicator (other arm = 1, comparison = 0) on all
    variables (+ fixed effects, covariates) in the rows complete on all of them, and
    computes :math:`F = \\hat\\beta' V^{-1} \\hat\\beta / q` with the chosen variance
    (``F(q, G-1)`` with clusters, as Stata's ``test`` after ``regress, vce(cluster)``).
    ietoolkit's default variance is the classical OLS one; here it is robust (HC1) or
    cluster-robust (CR1) unless ``vcov`` says otherwise.

    See Also
    --------
    Stata ``iebaltab`` (ietoolkit); R ``cobalt::bal.tab`` for normalised differences.

    Examples
    --------
    >>> balance_table(baseline, ["age", "score"], "treat", cluster="school")  # doctest: +SKIP
    """
    level = reg.check_level(level)
    variables = as_list(variables)
    covariates = as_list(covariates)
    if not variables:
        raise DataError(f"{WHAT}: no variables given; name the baseline variables to compare")
    if fixed_effects is not None and not isinstance(fixed_effects, str):
        raise ParamsError(f"{WHAT}: fixed_effects must be one column name, got {fixed_effects!r}")
    vcov = vcov or ("CR1" if cluster else "HC1")
    design = [treatment, *covariates, *([fixed_effects] if fixed_effects else [])]
    require_columns(data, variables, WHAT)
    frame = reg.model_frame(data, design, cluster, weights, WHAT, optional=variables, stacklevel=3)
    rows = frame.data
    arms, comparison = _arms(rows[treatment], comparison)
    ctx = _Context(rows, treatment, cluster, frame.weights, fixed_effects, covariates, vcov, level)
    blocks = [_variable_rows(ctx, v, arms, comparison) for v in variables]
    joint = [_joint_test(ctx, variables, arm, comparison) for arm in arms if arm != comparison]
    table = pd.concat([*blocks, pd.DataFrame(joint)], ignore_index=True)
    adjusted = bool(fixed_effects or covariates)
    info = ResultInfo(
        estimator="impact.balance_table",
        method=_method(adjusted, fixed_effects, covariates),
        level=level,
        vcov=f"{vcov}" + (f", clustered by {cluster}" if cluster else ""),
        n_obs=len(rows),
        reference="ietoolkit iebaltab (Stata); normalised difference of Imbens & Rubin (2015)",
        notes=(
            *frame.notes,
            f"differences are each arm minus the comparison arm {comparison!r}",
            "joint_f_test rows: F-test that all variables jointly predict the arm indicator",
        ),
        extra={"comparison": comparison, "arms": arms, "joint_tests": joint},
    )
    return make_result(table, info, id_columns=["variable", "arm", "term"])


class _Context:
    """What every per-variable regression shares."""

    def __init__(
        self,
        rows: pd.DataFrame,
        treatment: str,
        cluster: str | None,
        weights: np.ndarray | None,
        fixed_effects: str | None,
        covariates: list[str],
        vcov: str,
        level: float,
    ) -> None:
        self.rows = rows
        self.treatment = treatment
        self.cluster = cluster
        self.weights = weights
        self.fixed_effects = fixed_effects
        self.covariates = covariates
        self.vcov = vcov
        self.level = level

    def subset(self, mask: np.ndarray) -> tuple[pd.DataFrame, np.ndarray | None, np.ndarray | None]:
        rows = self.rows.loc[mask]
        w = None if self.weights is None else self.weights[mask]
        cl = None if self.cluster is None else rows[self.cluster].to_numpy()
        return rows, w, cl


def _arms(values: pd.Series, comparison: object) -> tuple[list[object], object]:
    arms = sorted(pd.unique(values).tolist(), key=lambda a: (str(type(a)), a))
    if len(arms) < 2:
        raise DataError(
            f"{WHAT}: the treatment column has only {format_values(arms)}; a balance table "
            "needs at least two arms"
        )
    if comparison is None:
        return arms, arms[0]
    if comparison not in arms:
        raise ParamsError(
            f"{WHAT}: comparison={comparison!r} is not an arm; arms are {format_values(arms)}"
        )
    return arms, comparison


def _variable_rows(
    ctx: _Context, variable: str, arms: list[object], comparison: object
) -> pd.DataFrame:
    what = f"{WHAT}, variable '{variable}'"
    values = require_numeric(ctx.rows, variable, what)
    present = ~np.isnan(values)
    arm_values = ctx.rows[ctx.treatment].to_numpy()
    out, sds = [], {}
    for arm in arms:
        mask = present & (arm_values == arm)
        row = _mean_row(ctx, values, mask, arm, what)
        sds[arm] = row["sd"]
        out.append(row)
    for arm in arms:
        if arm == comparison:
            continue
        mask = present & np.isin(arm_values, [arm, comparison])
        indicator = (arm_values[mask] == arm).astype(float)
        diff = _difference_row(ctx, values, mask, indicator, arm, adjusted=False, what=what)
        pooled = np.sqrt((sds[arm] ** 2 + sds[comparison] ** 2) / 2)
        diff["std_diff"] = diff["estimate"] / pooled if pooled > 0 else np.nan
        out.append(diff)
        if ctx.fixed_effects or ctx.covariates:
            out.append(_difference_row(ctx, values, mask, indicator, arm, adjusted=True, what=what))
    frame = pd.DataFrame(out)
    frame.insert(0, "variable", variable)
    return frame


def _mean_row(ctx: _Context, values: np.ndarray, mask: np.ndarray, arm: object, what: str) -> dict:
    _, w, cl = ctx.subset(mask)
    y = values[mask]
    base = {"arm": arm, "term": "mean", "n": int(mask.sum()), "sd": reg.weighted_sd(y, w)}
    if len(y) < 2:
        return {**base, "estimate": float(y[0]) if len(y) else np.nan}
    _, _, table = reg.regress(
        np.ones((len(y), 1)), y, ["mean"], vcov=ctx.vcov, level=ctx.level, weights=w,
        cluster_values=cl, what=f"{what}, arm {arm!r}",
    )  # fmt: skip
    return {**base, **_core(table.iloc[0])}


def _difference_row(
    ctx: _Context,
    values: np.ndarray,
    mask: np.ndarray,
    indicator: np.ndarray,
    arm: object,
    adjusted: bool,
    what: str,
) -> dict:
    rows, w, cl = ctx.subset(mask)
    X, terms = np.column_stack([np.ones(len(indicator)), indicator]), ["(Intercept)", "arm"]
    absorb = None
    if adjusted:
        X_cov, names = reg.covariate_matrix(rows, ctx.covariates, what)
        X, terms = np.column_stack([X, X_cov]), [*terms, *names]
        if ctx.fixed_effects:
            absorb = rows[ctx.fixed_effects].to_numpy()
            X, terms = X[:, 1:], terms[1:]
    _, _, table = reg.regress(
        X, values[mask], terms, vcov=ctx.vcov, level=ctx.level, weights=w, cluster_values=cl,
        absorb=absorb, what=what,
    )  # fmt: skip
    row = table.loc[table["term"] == "arm"].iloc[0]
    term = "difference_adjusted" if adjusted else "difference"
    return {"arm": arm, "term": term, **_core(row)}


def _joint_test(ctx: _Context, variables: list[str], arm: object, comparison: object) -> dict:
    what = f"{WHAT}, joint test of arm {arm!r}"
    values = np.column_stack([require_numeric(ctx.rows, v, WHAT) for v in variables])
    arm_values = ctx.rows[ctx.treatment].to_numpy()
    mask = ~np.isnan(values).any(axis=1) & np.isin(arm_values, [arm, comparison])
    rows, w, cl = ctx.subset(mask)
    y = (arm_values[mask] == arm).astype(float)
    X_cov, names = reg.covariate_matrix(rows, ctx.covariates, what)
    X = np.column_stack([np.ones(len(y)), values[mask], X_cov])
    terms = ["(Intercept)", *variables, *names]
    absorb = None
    if ctx.fixed_effects:
        absorb = rows[ctx.fixed_effects].to_numpy()
        X, terms = X[:, 1:], terms[1:]
    fitted, cov, _ = reg.regress(
        X, y, terms, vcov=ctx.vcov, level=ctx.level, weights=w, cluster_values=cl, absorb=absorb,
        what=what,
    )  # fmt: skip
    test = reg.wald_f(fitted, cov, [terms.index(v) for v in variables])
    return {
        "variable": JOINT,
        "arm": arm,
        "term": "joint_f_test",
        "estimate": test["statistic"],
        "p_value": test["p_value"],
        "df": test["df_denom"],
        "n": int(mask.sum()),
        "df_num": test["df_num"],
    }


def _core(row: pd.Series) -> dict:
    return {c: row[c] for c in ("estimate", "se", "ci_low", "ci_high", "p_value", "df", "n")}


def _method(adjusted: bool, fixed_effects: str | None, covariates: list[str]) -> str:
    text = "differences in means by OLS of each variable on the arm indicator"
    if adjusted:
        parts = [f"{fixed_effects} fixed effects"] if fixed_effects else []
        parts += covariates
        text += f"; difference_adjusted rows add {', '.join(parts)}"
    return text
