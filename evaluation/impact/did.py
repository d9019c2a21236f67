"""The 2×2 difference-in-differences regression with cluster-robust inference."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.impact import _regression as reg
from evaluation.impact._effect import (
    added_terms,
    bootstrap_options,
    effect_table,
    regression_method,
)
from evaluation.impact._specs import did_model, outcome_list
from evaluation.impact.bootstrap import DEFAULT_REPS, DEFAULT_SEED
from evaluation.validation import as_list

__all__ = ["did"]


def did(
    data: pd.DataFrame,
    outcome: str | Sequence[str],
    treatment: str,
    post: str,
    cluster: str | None,
    covariates: str | Sequence[str] = (),
    weights: str | None = None,
    unit: str | None = None,
    *,
    vcov: str = "CR1",
    level: float = 0.95,
    family: str = "gaussian",
    wild_bootstrap: bool | None = None,
    reps: int = DEFAULT_REPS,
    weight_type: str = "rademacher",
    seed: int | np.random.Generator | None = DEFAULT_SEED,
) -> pd.DataFrame:
    """Difference-in-differences: ``y ~ treatment + post + treatment:post (+ covariates)``.

    Long data, one row per respondent and period. With ``unit`` (a panel), unit fixed
    effects are absorbed (within transformation), so ``treatment`` and the intercept drop out.

    Parameters
    ----------
    data : DataFrame
    outcome : str or list of str
        Outcome column(s); a list gives one block of rows per outcome (each with its own
        complete cases).
    treatment : str
        0/1 (or boolean): 1 = treated arm.
    post : str
        0/1 (or boolean): 1 = after the intervention (endline).
    cluster : str or None
        Cluster identifier (the unit of assignment, e.g. school or neighbourhood).
    covariates : str or list of str
        Extra regressors; text columns become dummies (first level dropped).
    weights : str, optional
        Analytic weights: weighted least squares, as R ``lm(weights=)``.
    unit : str, optional
        Respondent identifier of a panel: adds unit fixed effects.
    vcov : str
        Variance estimator from :mod:`evaluation.covariance` (default ``"CR1"``; also
        ``"CR0"``, ``"CR2"``, ``"iid"``, ``"HC0"``–``"HC3"``).
    level : float
        Confidence level (default 0.95).
    family : {"gaussian", "binomial"}
        ``"binomial"`` fits a logit (coefficients on the log-odds scale).
    wild_bootstrap : bool or None
        None (default): run the restricted wild cluster bootstrap for the ``did`` row when
        there are fewer than 50 clusters; True/False to force it on or off.
    reps, weight_type, seed
        Bootstrap replications (9,999), ``"rademacher"`` or ``"webb"``, and the seed.

    Returns
    -------
    DataFrame
        One row per outcome and term: ``outcome, term, estimate, se, ci_low, ci_high,
        p_value, df, n, n_clusters, n_treated_clusters, std_effect, p_value_wcb,
        ci_low_wcb, ci_high_wcb``. Terms are ``"(Intercept)"``, ``"treatment"``, ``"post"``,
        ``"did"`` (the effect: treatment × post) and the covariates. ``df`` is G - 1 for
        CR0/CR1 (the t reference), Satterthwaite for CR2, n - k for iid/HC, NaN for logit z
        tests. ``std_effect`` (``did`` row) divides by the SD of the outcome among comparison
        units at baseline; the ``*_wcb`` columns (``did`` row) hold the bootstrap p-value and
        test-inversion interval. ``attrs["info"].extra["comparison_sd"]`` gives the SDs.

    Raises
    ------
    DataError
        Missing columns, non-numeric or non-0/1 values, treatment varying within a unit.
    ParamsError
        Unknown ``vcov``/``family``/``weight_type``; a clustered ``vcov`` without a cluster.
    EstimationError
        An empty treatment × period cell, collinear covariates, fewer than 2 clusters.

    Notes
    -----
    .. math:: y_{it} = \\alpha + \\gamma D_i + \\lambda P_t + \\delta D_i P_t + x_{it}'\\beta + u_{it}

    CR1 is :math:`\\frac{G}{G-1}\\frac{n-1}{n-k}(X'WX)^{-1}\\sum_g X_g'W_g u_g u_g'W_gX_g(X'WX)^{-1}`,
    Stata's ``regress, vce(cluster)`` and R's ``sandwich::vcovCL(type = "HC1")``; with
    absorbed unit fixed effects nested in the clusters, k counts the slopes plus one for the
    constant (fixest's ``fixef.K = "nested"`` and Stata's ``xtreg, fe``); otherwise every
    absorbed level counts, as in the dummy-variable regression.

    See Also
    --------
    R: ``lm(y ~ treat * post)`` with ``sandwich::vcovCL(fit, cluster = ~cluster, type = "HC1")``
    and ``lmtest::coeftest(..., df = G - 1)``; Stata ``regress y i.treat##i.post, vce(cluster c)``.

    Examples
    --------
    >>> did(youth, "score", treatment="treat", post="post", cluster="school")  # doctest: +SKIP
    """
    level = reg.check_level(level)
    options = bootstrap_options(wild_bootstrap, reps, weight_type, seed)
    covariates = as_list(covariates)
    models = []
    for y in outcome_list(outcome):
        models.append(
            did_model(data, y, treatment, post, cluster, covariates, weights, unit, family)
        )
    formula = f"y ~ {treatment} + {post} + {treatment}:{post}{added_terms(covariates)}"
    kind = "logit" if family == "binomial" else "OLS"
    method = regression_method(f"{kind} difference-in-differences", formula, weights)
    if unit:
        method += f", with {unit} fixed effects (within transformation)"
    return effect_table(
        models, vcov=vcov, level=level, options=options, cluster=cluster,
        estimator="impact.did", method=method,
    )  # fmt: skip
