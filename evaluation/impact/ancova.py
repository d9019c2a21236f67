"""ANCOVA impact estimate: endline outcome on treatment and the baseline outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evaluation.impact import _regression as reg
from evaluation.impact._effect import (
    added_terms,
    bootstrap_options,
    effect_table,
    regression_method,
)
from evaluation.impact._specs import ancova_model, baseline_pairs
from evaluation.impact.bootstrap import DEFAULT_REPS, DEFAULT_SEED
from evaluation.validation import as_list

__all__ = ["ancova"]


def ancova(
    data: pd.DataFrame,
    outcome: str | Sequence[str],
    baseline: str | Sequence[str] | Mapping[str, str],
    treatment: str,
    cluster: str | None,
    covariates: str | Sequence[str] = (),
    weights: str | None = None,
    *,
    vcov: str = "CR1",
    level: float = 0.95,
    wild_bootstrap: bool | None = None,
    reps: int = DEFAULT_REPS,
    weight_type: str = "rademacher",
    seed: int | np.random.Generator | None = DEFAULT_SEED,
) -> pd.DataFrame:
    """ANCOVA: ``y_endline ~ treatment + y_baseline (+ baseline_missing) (+ covariates)``.

    Wide data, one row per respondent. Respondents without an endline outcome are
    dropped (attrition: see :func:`~evaluation.impact.attrition`); respondents without a
    baseline value are kept: their baseline is set to the mean of the observed baseline
    values and a ``baseline_missing`` dummy is added (the dummy-variable adjustment the World
    Bank's Development Impact blog recommends; the treatment coefficient does not depend on
    the fill value).

    Parameters
    ----------
    data : DataFrame
    outcome : str or list of str
        Endline outcome column(s); a list gives one block of rows per outcome.
    baseline : str, list of str, or mapping
        Baseline value of each outcome: one column for one outcome, a list aligned with
        ``outcome``, or a mapping ``{outcome: baseline column}``.
    treatment : str
        0/1 (or boolean): 1 = treated arm.
    cluster : str or None
        Cluster identifier (unit of assignment).
    covariates : str or list of str
        Extra baseline regressors; text columns become dummies.
    weights : str, optional
        Analytic weights (WLS).
    vcov, level, wild_bootstrap, reps, weight_type, seed
        As in :func:`~evaluation.impact.did`.

    Returns
    -------
    DataFrame
        ``outcome, term, estimate, se, ci_low, ci_high, p_value, df, n, n_clusters,
        n_treated_clusters, std_effect, p_value_wcb, ci_low_wcb, ci_high_wcb``. Terms:
        ``"(Intercept)"``, ``"treatment"`` (**the effect**), ``"baseline"``,
        ``"baseline_missing"`` (only when some baselines are missing) and covariates.
        ``std_effect`` divides the effect by the SD of the baseline outcome in the
        comparison group (everyone with a baseline value, attriters included); the ``*_wcb`` columns hold the wild cluster bootstrap results
        (automatic below 50 clusters).

    Raises
    ------
    DataError
        Missing columns, non-numeric values, a non-0/1 treatment, no observed baseline.
    ParamsError
        ``baseline`` does not match ``outcome``; unknown ``vcov`` or ``weight_type``.
    EstimationError
        Collinear regressors, fewer than 2 clusters.

    Notes
    -----
    .. math:: y_{i1} = \\alpha + \\tau D_i + \\rho\\, \\tilde y_{i0} + \\mu M_i + x_i'\\beta + u_i

    with :math:`M_i = 1` if the baseline is missing and :math:`\\tilde y_{i0}` the baseline
    with missing values filled. Inference as in ``did`` (CR1 with t(G-1) by default).

    References
    ----------
    McKenzie (2012), "Beyond baseline and follow-up: the case for more T in experiments";
    World Bank Development Impact blog on missing baseline values and the dummy adjustment.

    See Also
    --------
    R: ``lm(y1 ~ treat + y0)`` with ``sandwich::vcovCL(type = "HC1")``.

    Examples
    --------
    >>> ancova(wide, "score_end", "score_base", "treat", cluster="school")  # doctest: +SKIP
    """
    level = reg.check_level(level)
    options = bootstrap_options(wild_bootstrap, reps, weight_type, seed)
    covariates = as_list(covariates)
    pairs = baseline_pairs(outcome, baseline)
    models = []
    for y, y0 in pairs.items():
        models.append(ancova_model(data, y, y0, treatment, cluster, covariates, weights))
    formula = f"endline ~ {treatment} + baseline{added_terms(covariates)}"
    return effect_table(
        models, vcov=vcov, level=level, options=options, cluster=cluster,
        estimator="impact.ancova", method=regression_method("OLS ANCOVA", formula, weights),
    )  # fmt: skip
