"""Shared assembly of the ``did`` and ``ancova`` tables: variance, bootstrap, standardisation.

``did`` and ``ancova`` differ only in the regression they build. Each builds one
:class:`EffectModel` per outcome; :func:`effect_table` then computes the named variance,
the wild cluster bootstrap for the effect row when there are few clusters, the standardised
effect and the cluster counts, and returns the tidy table.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.covariance import canonical_name
from evaluation.errors import EstimationError, ParamsError
from evaluation.impact import _regression as reg
from evaluation.impact import bootstrap as boot
from evaluation.results import ResultInfo, make_result

FEW_CLUSTERS = 50
"""Below this many clusters the wild cluster bootstrap is reported beside CR1 by default."""

REFERENCE = "R lm + sandwich::vcovCL / clubSandwich::vcovCR; Stata regress, vce(cluster)"
"""What ``did`` and ``ancova`` are checked against (``ResultInfo.reference``)."""

EXTRA_COLUMNS = (
    "n_clusters",
    "n_treated_clusters",
    "std_effect",
    "p_value_wcb",
    "ci_low_wcb",
    "ci_high_wcb",
)


@dataclass(frozen=True)
class EffectModel:
    """One fitted regression whose ``effect`` term carries the impact estimate.

    Attributes
    ----------
    outcome : str
    fit : Fit
    labels : tuple of str
        Term labels shown in the table, aligned with ``fit.terms``.
    effect : str
        Label of the effect row (``"did"`` or ``"treatment"``).
    treated : ndarray
        0/1 treatment indicator of the rows used (for the treated-cluster count).
    comparison_sd : float
        SD of the outcome in the comparison group at baseline (the standardiser).
    notes : tuple of str
    """

    outcome: str
    fit: reg.Fit
    labels: tuple[str, ...]
    effect: str
    treated: np.ndarray
    comparison_sd: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BootstrapOptions:
    """How (and whether) to run the wild cluster bootstrap beside the analytic inference."""

    enabled: bool | None = None
    reps: int = boot.DEFAULT_REPS
    weight_type: str = "rademacher"
    seed: int | np.random.Generator | None = boot.DEFAULT_SEED

    def wanted(self, n_clusters: int | None, family: str) -> bool:
        """Run it? Default: linear models with fewer than :data:`FEW_CLUSTERS` clusters."""
        if n_clusters is None or family != "gaussian":
            if self.enabled:
                raise ParamsError(
                    "wild_bootstrap=True needs a cluster column and the linear (gaussian) model"
                )
            return False
        if self.enabled is None:
            return n_clusters < FEW_CLUSTERS
        return bool(self.enabled)


def effect_table(
    models: Sequence[EffectModel],
    *,
    vcov: str,
    level: float,
    options: BootstrapOptions,
    cluster: str | None,
    estimator: str,
    method: str,
    reference: str = REFERENCE,
) -> pd.DataFrame:
    """The tidy table of one or more :class:`EffectModel` (one block per outcome).

    Columns: ``outcome, term``, the core columns, then :data:`EXTRA_COLUMNS`. The bootstrap
    and ``std_effect`` columns are filled on the effect row only (NaN elsewhere).
    """
    vcov = canonical_name(vcov)
    draws = _draws(models, options)
    blocks, notes, describe = [], [], ""
    for model in models:
        cov = reg.variance(model.fit, vcov)
        describe = cov.describe(cluster)
        rows = reg.coefficient_rows(model.fit, cov, level, model.labels)
        rows.insert(0, "outcome", model.outcome)
        blocks.append(_add_extras(rows, model, draws, level))
        notes.extend(model.notes)
        if draws is None and model.fit.clusters is not None:
            G = model.fit.clusters.n_clusters
            if G < FEW_CLUSTERS:
                warnings.warn(boot.few_clusters_warning(G), stacklevel=3)
    table = pd.concat(blocks, ignore_index=True)
    notes.extend(_inference_notes(vcov, models, draws))
    info = ResultInfo(
        estimator=estimator,
        method=method + (f"; {boot.describe_method(draws)}" if draws is not None else ""),
        level=level,
        vcov=describe,
        n_obs=int(max(m.fit.n for m in models)),
        reference=reference,
        notes=tuple(dict.fromkeys(notes)),
        extra={
            "comparison_sd": {m.outcome: m.comparison_sd for m in models},
            "effect_term": models[0].effect,
            "bootstrap_reps": None if draws is None else draws.reps,
            "bootstrap_seed": options.seed if isinstance(options.seed, int) else None,
        },
    )
    return make_result(table, info, id_columns=["outcome", "term"])


def regression_method(estimator: str, formula: str, weights: str | None) -> str:
    """``ResultInfo.method`` of ``did``/``ancova``: the estimator, its formula, WLS or not."""
    method = f"{estimator}: {formula}"
    return method + (f", weighted by {weights} (WLS)" if weights else "")


def added_terms(covariates: Sequence[str]) -> str:
    """``" + age + sex"``: the covariates as they extend a formula."""
    return "".join(f" + {c}" for c in covariates)


def _draws(models: Sequence[EffectModel], options: BootstrapOptions) -> boot.Draws | None:
    first = models[0].fit
    G = None if first.clusters is None else first.clusters.n_clusters
    if not options.wanted(G, first.family):
        return None
    labels = boot.union_labels([m.fit.clusters for m in models])  # type: ignore[misc]
    return boot.draw_weights(labels, options.reps, options.weight_type, options.seed)


def _add_extras(
    rows: pd.DataFrame, model: EffectModel, draws: boot.Draws | None, level: float
) -> pd.DataFrame:
    fitted = model.fit
    clusters = fitted.clusters
    effect_row = rows["term"] == model.effect
    rows["n_clusters"] = np.nan if clusters is None else clusters.n_clusters
    rows["n_treated_clusters"] = (
        np.nan if clusters is None else boot.treated_clusters(model.treated, clusters)
    )
    std = np.nan
    if fitted.family == "gaussian" and model.comparison_sd > 0:
        std = float(rows.loc[effect_row, "estimate"].iloc[0]) / model.comparison_sd
    rows["std_effect"] = np.where(effect_row, std, np.nan)
    for column in ("p_value_wcb", "ci_low_wcb", "ci_high_wcb"):
        rows[column] = np.nan
    if draws is not None and clusters is not None:
        result = bootstrap_effect(model, draws, level)
        rows.loc[effect_row, "p_value_wcb"] = result.p_value
        rows.loc[effect_row, "ci_low_wcb"] = result.ci_low
        rows.loc[effect_row, "ci_high_wcb"] = result.ci_high
    return rows


def bootstrap_effect(model: EffectModel, draws: boot.Draws, level: float) -> boot.BootstrapResult:
    """The WCR bootstrap test of the model's effect term (its fit must be clustered).

    Raises
    ------
    EstimationError
        From :func:`~evaluation.impact.bootstrap.wcr_bootstrap`, prefixed with the outcome.
    """
    fitted = model.fit
    assert fitted.clusters is not None  # callers bootstrap clustered fits only
    try:
        return boot.wcr_bootstrap(
            fitted.X,
            fitted.y,
            fitted.clusters,
            model.labels.index(model.effect),
            draws,
            fitted.weights,
            level=level,
            k_cluster=fitted.model.k_cluster,
        )
    except EstimationError as error:
        raise EstimationError(f"outcome '{model.outcome}': {error}") from error


def _inference_notes(
    vcov: str, models: Sequence[EffectModel], draws: boot.Draws | None
) -> list[str]:
    notes = []
    first = models[0].fit
    if vcov in ("CR0", "CR1") and first.clusters is not None:
        notes.append(
            f"{vcov} p-values and confidence intervals use the t distribution with G - 1 "
            "degrees of freedom (G = number of clusters), as Stata does"
        )
    elif vcov == "CR2":
        notes.append(
            "CR2 p-values and intervals use Satterthwaite degrees of freedom (clubSandwich)"
        )
    elif first.family == "binomial":
        notes.append(
            "logit: p-values and intervals from the normal distribution (z tests); df is NaN"
        )
    if first.family == "binomial":
        notes.append(
            "logit coefficients are log-odds; std_effect and the wild bootstrap are not computed"
        )
    if draws is not None:
        notes.append(
            "the effect row also carries the wild cluster bootstrap (WCR, null imposed) p-value "
            "(p_value_wcb) and test-inversion interval (ci_low_wcb, ci_high_wcb)"
        )
    notes.append("std_effect = estimate / SD of the outcome in the comparison group at baseline")
    return notes


def bootstrap_options(
    wild_bootstrap: bool | None, reps: int, weight_type: str, seed: int | np.random.Generator | None
) -> BootstrapOptions:
    """Validate and bundle the bootstrap arguments of ``did``/``ancova``."""
    if wild_bootstrap not in (None, True, False):
        raise ParamsError(
            f"wild_bootstrap={wild_bootstrap!r} must be None (automatic), True or False"
        )
    if weight_type not in boot.WEIGHT_TYPES:
        raise ParamsError(
            f"weight_type={weight_type!r} is not supported; choose one of: {', '.join(boot.WEIGHT_TYPES)}"
        )
    if not isinstance(reps, int | np.integer) or reps < 1:
        raise ParamsError(f"reps={reps!r} must be a positive whole number, such as 9999")
    return BootstrapOptions(wild_bootstrap, int(reps), weight_type, seed)
