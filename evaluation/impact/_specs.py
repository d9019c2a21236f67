"""Regression specifications of ``did`` and ``ancova``: data in, :class:`EffectModel` out.

Kept apart from ``did.py`` and ``ancova.py`` so that other modules (``romano_wolf``) can
build the same models without importing those submodules, whose names equal the public
functions that ``evaluation.impact`` re-exports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evaluation.errors import DataError, EstimationError, ParamsError, format_values
from evaluation.impact import _regression as reg
from evaluation.impact._effect import EffectModel
from evaluation.validation import as_list, require_numeric


def outcome_list(outcome: str | Sequence[str]) -> list[str]:
    """The outcome argument of ``did`` as a non-empty list."""
    outcomes = as_list(outcome)
    if not outcomes:
        raise DataError("did: outcome is empty; name at least one outcome column")
    return outcomes


def did_model(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    post: str,
    cluster: str | None,
    covariates: list[str],
    weights: str | None,
    unit: str | None,
    family: str,
) -> EffectModel:
    """The 2×2 DiD regression of one outcome (unit fixed effects absorbed with ``unit``)."""
    what = f"did, outcome '{outcome}'"
    columns = [outcome, treatment, post, *covariates, *([unit] if unit else [])]
    frame = reg.model_frame(data, columns, cluster, weights, what)
    rows = frame.data
    y = require_numeric(rows, outcome, what)
    d = reg.binary(rows, treatment, what)
    p = reg.binary(rows, post, what)
    _require_cells(d, p, treatment, post, what)
    X_cov, cov_names = reg.covariate_matrix(rows, covariates, what)
    X = np.column_stack([np.ones(len(y)), d, p, d * p, X_cov])
    labels = ["(Intercept)", "treatment", "post", "did", *cov_names]
    absorbed = None
    if unit:
        _require_constant_within(rows, treatment, unit, what)
        groups = rows[unit].to_numpy()
        X = reg.demean(X[:, 2:], groups, frame.weights)
        y_fit = reg.demean(y, groups, frame.weights)
        labels = labels[2:]
        absorbed = reg.Absorbed(
            n_levels=int(pd.Series(groups).nunique()), nested=reg.nested_in(groups, frame.clusters)
        )
    else:
        y_fit = y
    fitted = reg.fit(
        X,
        y_fit,
        labels,
        family=family,
        weights=frame.weights,
        clusters=frame.clusters,
        absorbed=absorbed,
        what=what,
    )
    base = (d == 0) & (p == 0)
    sd = reg.weighted_sd(y[base], None if frame.weights is None else frame.weights[base])
    notes = frame.notes
    if absorbed is not None and not absorbed.nested and frame.clusters is not None:
        notes += (f"{unit} is not nested in {cluster}: absorbed levels count in CR1's n - k",)
    return EffectModel(outcome, fitted, tuple(labels), "did", d, sd, notes)


def _require_cells(d: np.ndarray, p: np.ndarray, treatment: str, post: str, what: str) -> None:
    counts = {(a, b): int(np.sum((d == a) & (p == b))) for a in (0, 1) for b in (0, 1)}
    empty = [f"{treatment}={a}, {post}={b}" for (a, b), n in counts.items() if n == 0]
    if empty:
        raise EstimationError(
            f"{what}: no complete rows in cell(s) {format_values(empty)}; a 2x2 "
            "difference-in-differences needs data for both arms at baseline and endline"
        )


def _require_constant_within(rows: pd.DataFrame, treatment: str, unit: str, what: str) -> None:
    varying = rows.groupby(unit, sort=False)[treatment].nunique()
    bad = varying.index[varying > 1]
    if len(bad):
        raise DataError(
            f"{what}: '{treatment}' changes within {len(bad)} {unit} values "
            f"({format_values(list(bad))}); treatment must be fixed per unit in a 2x2 "
            "difference-in-differences. Fix the assignment or drop unit="
        )


def baseline_pairs(
    outcome: str | Sequence[str], baseline: str | Sequence[str] | Mapping[str, str]
) -> dict[str, str]:
    """``{outcome: baseline column}`` from ``ancova``'s ``outcome`` and ``baseline`` arguments."""
    outcomes = as_list(outcome)
    if not outcomes:
        raise DataError("ancova: outcome is empty; name at least one endline outcome column")
    if isinstance(baseline, Mapping):
        missing = [y for y in outcomes if y not in baseline]
        if missing:
            raise ParamsError(
                f"ancova: baseline has no entry for outcome(s) {format_values(missing)}; "
                "give {outcome: baseline column} for every outcome"
            )
        return {y: baseline[y] for y in outcomes}
    baselines = as_list(baseline)
    if len(baselines) != len(outcomes):
        raise ParamsError(
            f"ancova: {len(outcomes)} outcome(s) but {len(baselines)} baseline column(s); give "
            "one baseline column per outcome, in the same order, or a mapping"
        )
    return dict(zip(outcomes, baselines, strict=True))


def ancova_model(
    data: pd.DataFrame,
    outcome: str,
    baseline: str,
    treatment: str,
    cluster: str | None,
    covariates: list[str],
    weights: str | None,
) -> EffectModel:
    """The ANCOVA regression of one endline outcome on treatment and its baseline."""
    what = f"ancova, outcome '{outcome}'"
    frame = reg.model_frame(
        data, [outcome, treatment, *covariates], cluster, weights, what, optional=[baseline]
    )
    rows = frame.data
    y = require_numeric(rows, outcome, what)
    d = reg.binary(rows, treatment, what)
    y0 = require_numeric(rows, baseline, what)
    missing = np.isnan(y0)
    if missing.all():
        raise DataError(
            f"{what}: baseline column '{baseline}' has no values in the {len(y0)} rows with an "
            "endline outcome; check that baseline and endline were merged on the right id"
        )
    X_cov, cov_names = reg.covariate_matrix(rows, covariates, what)
    columns = [np.ones(len(y)), d, np.where(missing, np.nanmean(y0), y0)]
    labels = ["(Intercept)", "treatment", "baseline"]
    notes = frame.notes
    if missing.any():
        columns.append(missing.astype(float))
        labels.append("baseline_missing")
        notes += (
            f"{int(missing.sum())} rows without a baseline '{baseline}' kept with the "
            "baseline set to its observed mean and a baseline_missing dummy",
        )
    X = np.column_stack([*columns, X_cov])
    labels += cov_names
    fitted = reg.fit(X, y, labels, weights=frame.weights, clusters=frame.clusters, what=what)
    sd = _baseline_sd(data, baseline, treatment, weights, what)
    return EffectModel(outcome, fitted, tuple(labels), "treatment", d, sd, notes)


def _baseline_sd(
    data: pd.DataFrame, baseline: str, treatment: str, weights: str | None, what: str
) -> float:
    """SD of the baseline outcome in the comparison group, over everyone observed at baseline
    (attriters included: the standardiser should not move with endline attrition)."""
    frame = reg.model_frame(data, [treatment, baseline], None, weights, what, warn=False)
    comparison = reg.binary(frame.data, treatment, what) == 0
    values = require_numeric(frame.data, baseline, what)[comparison]
    w = None if frame.weights is None else frame.weights[comparison]
    return reg.weighted_sd(values, w)
