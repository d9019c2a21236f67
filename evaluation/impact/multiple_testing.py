"""Multiple-testing corrections: ``p.adjust``'s methods and the Romano–Wolf step-down."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ParamsError, did_you_mean, format_values
from evaluation.impact import _regression as reg
from evaluation.impact import bootstrap as boot
from evaluation.impact._effect import EffectModel, bootstrap_effect, bootstrap_options
from evaluation.impact._specs import ancova_model, baseline_pairs, did_model
from evaluation.results import RESULT_COLUMNS, ResultInfo, make_result
from evaluation.validation import as_list

__all__ = ["METHODS", "adjust_pvalues", "romano_wolf", "romano_wolf_stepdown"]

METHODS = {
    "bonferroni": "bonferroni",
    "holm": "holm",
    "hochberg": "hochberg",
    "hommel": "hommel",
    "bh": "BH",
    "by": "BY",
}
"""Our method name → R ``p.adjust`` method."""

_ALIASES = {"fdr": "bh", "fdr_bh": "bh", "benjamini-hochberg": "bh", "fdr_by": "by"}


def adjust_pvalues(
    p: Sequence[float] | np.ndarray | pd.Series | pd.DataFrame,
    method: str = "holm",
    column: str = "p_value",
) -> np.ndarray | pd.Series | pd.DataFrame:
    """Adjust p-values for multiple comparisons, as R's ``p.adjust``.

    Parameters
    ----------
    p : array-like, Series or result table
        The p-values. Missing values stay missing and do not count in the number of tests
        (R's default ``n = sum(!is.na(p))``). A result table (DataFrame) is returned with a
        ``p_value_adj`` column appended after its columns, adjusting ``column``.
    method : str
        ``"bonferroni"``, ``"holm"`` (default), ``"hochberg"``, ``"hommel"`` (family-wise
        error rate), ``"bh"`` (Benjamini–Hochberg) or ``"by"`` (Benjamini–Yekutieli) (false
        discovery rate). Case-insensitive; R's ``"BH"``/``"BY"`` work.
    column : str
        The p-value column when ``p`` is a table.

    Returns
    -------
    ndarray, Series or DataFrame
        Same shape and order as the input (a Series keeps its index).

    Raises
    ------
    ParamsError
        Unknown method.
    DataError
        A p-value outside [0, 1], or ``column`` not in the table.

    Notes
    -----
    With :math:`m` non-missing p-values sorted as :math:`p_{(1)} \\le … \\le p_{(m)}`:

    .. math::

        \\text{Bonferroni: } \\min(1, m p_i), \\qquad
        \\text{Holm: } \\tilde p_{(i)} = \\max_{j \\le i} \\min(1, (m - j + 1) p_{(j)}),

        \\text{Hochberg: } \\tilde p_{(i)} = \\min_{j \\ge i} \\min(1, (m - j + 1) p_{(j)}), \\qquad
        \\text{BH: } \\tilde p_{(i)} = \\min_{j \\ge i} \\min(1, m p_{(j)} / j),

    BY multiplies BH by :math:`\\sum_{k=1}^m 1/k`. Hommel follows ``p.adjust``'s algorithm
    (Wright 1992): start from the Simes bound :math:`\\min_i m p_{(i)} / i`; for each subset
    size :math:`k = m-1, …, 2`, with :math:`c_k = \\min_{j = 2..k} k\\, p_{(m-k+j)} / j`, the
    smallest :math:`m-k+1` p-values get :math:`\\min(k p_{(i)}, c_k)` and the others the
    value of the :math:`(m-k+1)`-th; the adjusted p-value is the largest of these over
    :math:`k`, and at least :math:`p_{(i)}`. As in R, one p-value is returned unchanged and
    Hommel with two is Hochberg. Implemented in numpy from R's source (no ``gc.collect()``
    per call, unlike statsmodels' ``multipletests``) and checked against ``p.adjust``.

    See Also
    --------
    R ``stats::p.adjust``; :func:`romano_wolf` for a resampling step-down that uses the
    dependence between outcomes.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="bh")
    array([0.03, 0.04, 0.04])
    """
    name = _method(method)
    if isinstance(p, pd.DataFrame):
        if column not in p.columns:
            raise DataError(f"adjust_pvalues: the table has no column '{column}'; pass column=")
        out = p.copy()
        out["p_value_adj"] = _adjust(out[column].to_numpy(dtype=float), name)
        info = p.attrs.get("info")
        if isinstance(info, ResultInfo):
            out.attrs["info"] = info.with_notes(
                f"p_value_adj: {column} adjusted by {name} (p.adjust)"
            )
        return out
    if isinstance(p, pd.Series):
        return pd.Series(_adjust(p.to_numpy(dtype=float), name), index=p.index, name=p.name)
    return _adjust(np.asarray(p, dtype=float), name)


def _method(method: str) -> str:
    key = str(method).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in METHODS:
        hint = did_you_mean(key, METHODS)
        raise ParamsError(
            f"method={method!r} is not a p-value adjustment{hint}; choose one of: "
            f"{', '.join(METHODS)}"
        )
    return key


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    values = p[present]
    if np.any((values < 0) | (values > 1)):
        bad = values[(values < 0) | (values > 1)]
        raise DataError(f"adjust_pvalues: p-values must lie in [0, 1], found {format_values(bad)}")
    out[present] = _p_adjust(values, METHODS[method])
    return out


def _p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """R ``p.adjust(p, method)`` on non-missing p-values (``n = length(p)``), input order."""
    n = p.size
    if n <= 1:
        return p.copy()
    if method == "hommel":
        return _hommel(p) if n > 2 else _step_up(p, np.array([2.0, 1.0]))
    if method == "bonferroni":
        return np.minimum(1.0, n * p)
    ranks = np.arange(1, n + 1)
    if method == "holm":
        return _step_down(p, n - ranks + 1.0)
    if method == "hochberg":
        return _step_up(p, n - ranks + 1.0)
    factor = n / ranks if method == "BH" else np.sum(1.0 / ranks) * n / ranks
    return _step_up(p, factor)


def _step_down(p: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``pmin(1, cummax(factor * p[o]))[ro]`` with ``o`` ascending; ``factor`` by rank."""
    order = np.argsort(p, kind="stable")
    out = np.empty_like(p)
    out[order] = np.minimum(1.0, np.maximum.accumulate(factor * p[order]))
    return out


def _step_up(p: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``pmin(1, cummin(factor * p[o]))[ro]`` from the largest p down; ``factor`` by rank."""
    order = np.argsort(-p, kind="stable")  # R order(p, decreasing = TRUE): ties keep order
    out = np.empty_like(p)
    out[order] = np.minimum(1.0, np.minimum.accumulate(factor[::-1] * p[order]))
    return out


def _hommel(p: np.ndarray) -> np.ndarray:
    """Hommel's adjustment, line by line R's ``p.adjust(method = "hommel")`` (n >= 3)."""
    n = p.size
    order = np.argsort(p, kind="stable")
    s = p[order]
    q = np.full(n, np.min(n * s / np.arange(1, n + 1)))
    adjusted = q.copy()
    for m in range(n - 1, 1, -1):
        cut = n - m + 1  # R: i1 = 1..(n - m + 1), i2 = (n - m + 2)..n
        q1 = np.min(m * s[cut:] / np.arange(2, m + 1))
        q[:cut] = np.minimum(m * s[:cut], q1)
        q[cut:] = q[cut - 1]
        adjusted = np.maximum(adjusted, q)
    out = np.empty_like(p)
    out[order] = np.maximum(adjusted, s)
    return out


# --------------------------------------------------------------------------- Romano–Wolf
def romano_wolf_stepdown(t: np.ndarray, t_star: np.ndarray) -> np.ndarray:
    """Romano–Wolf step-down adjusted p-values from bootstrap t-statistics under the null.

    Parameters
    ----------
    t : ndarray (M,)
        Observed t-statistics of the M hypotheses.
    t_star : ndarray (M, B)
        Bootstrap t-statistics with the null imposed, drawn jointly (same draws per column).

    Returns
    -------
    ndarray (M,)
        Adjusted p-values, in the order of ``t``.

    Notes
    -----
    Order hypotheses by :math:`|t|` descending. For step *s*, with the hypotheses not yet
    passed :math:`R_s = \\{(s), …, (M)\\}`,
    :math:`p_s = \\#\\{b: \\max_{m \\in R_s} |t^*_{mb}| \\ge |t_{(s)}|\\} / B` and the adjusted
    p-value is :math:`\\max(p_1, …, p_s)` (Romano & Wolf 2005; Clarke, Romano & Wolf 2020,
    Stata ``rwolf``).
    """
    t = np.abs(np.asarray(t, dtype=float))
    t_star = np.abs(np.asarray(t_star, dtype=float))
    order = np.argsort(-t, kind="stable")
    # Running maximum from the least significant hypothesis upwards: row s = max over R_s.
    tail_max = np.maximum.accumulate(t_star[order][::-1], axis=0)[::-1]
    raw = np.array([np.mean(tail_max[s] >= t[m] * (1 - 1e-9)) for s, m in enumerate(order)])
    adjusted = np.maximum.accumulate(raw)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def romano_wolf(
    data: pd.DataFrame,
    outcomes: Sequence[str],
    treatment: str,
    cluster: str,
    *,
    design: str = "did",
    post: str | None = None,
    baseline: Sequence[str] | Mapping[str, str] | None = None,
    covariates: str | Sequence[str] = (),
    weights: str | None = None,
    unit: str | None = None,
    reps: int = boot.DEFAULT_REPS,
    weight_type: str = "rademacher",
    seed: int | np.random.Generator | None = boot.DEFAULT_SEED,
    level: float = 0.95,
) -> pd.DataFrame:
    """Romano–Wolf step-down p-values for a family of outcomes estimated together.

    Each outcome's effect is estimated as :func:`~evaluation.impact.did` (``design="did"``,
    needs ``post``) or :func:`~evaluation.impact.ancova` (``design="ancova"``, needs
    ``baseline``) would, and tested with the restricted wild cluster bootstrap using **the
    same cluster weights for every outcome**, so the bootstrap t-statistics keep the
    outcomes' dependence. The step-down then controls the family-wise error rate.

    Parameters
    ----------
    data : DataFrame
    outcomes : list of str
        The family of outcomes (two or more).
    treatment, cluster : str
    design : {"did", "ancova"}
    post : str
        Period column (``design="did"``).
    baseline : list or mapping
        Baseline column of each outcome (``design="ancova"``).
    covariates, weights, unit
        As in ``did``/``ancova`` (``unit`` only for ``did``).
    reps, weight_type, seed
        Bootstrap replications, ``"rademacher"``/``"webb"`` and seed.
    level : float
        Level of the per-outcome bootstrap intervals.

    Returns
    -------
    DataFrame
        One row per outcome: ``outcome, term`` (``"did"`` or ``"treatment"``),
        ``estimate``, ``se`` (CR1), ``ci_low``/``ci_high`` (per-outcome bootstrap
        test-inversion interval, **not** adjusted), ``p_value`` (**Romano–Wolf adjusted**),
        ``df`` (NaN), ``n``; extras ``t_stat``, ``p_value_wcb`` (per-outcome bootstrap,
        unadjusted), ``p_value_cr1`` (t(G-1), unadjusted), ``reps``, ``n_clusters``,
        ``n_treated_clusters``.

    Raises
    ------
    ParamsError
        Unknown ``design``; ``post``/``baseline`` missing for the design; fewer than two
        outcomes.

    References
    ----------
    Romano & Wolf (2005), "Stepwise multiple testing as formalized data snooping",
    Econometrica 73(4); Clarke, Romano & Wolf (2020), "The Romano–Wolf multiple-hypothesis
    correction in Stata", Stata Journal 20(4).

    See Also
    --------
    Stata ``rwolf``/``rwolf2``; :func:`adjust_pvalues` for Holm/BH.

    Examples
    --------
    >>> romano_wolf(youth, ["score", "engaged"], "treat", "school", post="post")  # doctest: +SKIP
    """
    level = reg.check_level(level)
    if not cluster:
        raise ParamsError("romano_wolf needs cluster=: the bootstrap draws weights per cluster")
    outcomes = as_list(outcomes)
    if len(outcomes) < 2:
        raise ParamsError("romano_wolf needs a family of at least two outcomes")
    options = bootstrap_options(True, reps, weight_type, seed)
    models = _models(data, outcomes, treatment, cluster, design, post, baseline, as_list(covariates), weights, unit)  # fmt: skip
    labels = boot.union_labels([m.fit.clusters for m in models])  # type: ignore[misc]
    draws = boot.draw_weights(labels, options.reps, options.weight_type, options.seed)
    rows, t, t_star = [], [], []
    for model in models:
        fitted = model.fit
        result = bootstrap_effect(model, draws, level)
        row = boot.bootstrap_row(result, model.treated, fitted.clusters, level)  # type: ignore[arg-type]
        row.update(outcome=model.outcome, term=model.effect, n=fitted.n, p_value_wcb=result.p_value)
        rows.append(row)
        t.append(result.t_stat)
        t_star.append(result.t_star)
    adjusted = romano_wolf_stepdown(np.array(t), np.vstack(t_star))
    for row, p in zip(rows, adjusted, strict=True):
        row["p_value"] = p
    table = pd.DataFrame(rows)
    extras = ["t_stat", "p_value_wcb", "p_value_cr1", "reps", "n_clusters", "n_treated_clusters"]
    table = table[["outcome", "term", *RESULT_COLUMNS, *extras]]
    notes = tuple(dict.fromkeys(n for m in models for n in m.notes))
    info = ResultInfo(
        estimator="impact.romano_wolf",
        method=f"Romano-Wolf step-down over {len(outcomes)} outcomes ({design}); "
        + boot.describe_method(draws),
        level=level,
        vcov=f"CR1, clustered by {cluster}",
        n_obs=int(max(m.fit.n for m in models)),
        reference="Clarke, Romano & Wolf (2020), Stata rwolf",
        notes=(
            *notes,
            "p_value is Romano-Wolf adjusted (family-wise error rate); p_value_wcb and "
            "ci_low/ci_high are per-outcome, unadjusted",
        ),
        extra={"bootstrap_reps": draws.reps, "design": design},
    )
    return make_result(table, info, id_columns=["outcome", "term"])


def _models(
    data: pd.DataFrame,
    outcomes: list[str],
    treatment: str,
    cluster: str,
    design: str,
    post: str | None,
    baseline: Sequence[str] | Mapping[str, str] | None,
    covariates: list[str],
    weights: str | None,
    unit: str | None,
) -> list[EffectModel]:
    if design == "did":
        if not post:
            raise ParamsError("romano_wolf(design='did') needs post=, the period column")
        return [
            did_model(data, y, treatment, post, cluster, covariates, weights, unit, "gaussian")
            for y in outcomes
        ]
    if design == "ancova":
        if baseline is None:
            raise ParamsError(
                "romano_wolf(design='ancova') needs baseline=, one column per outcome"
            )
        pairs = baseline_pairs(outcomes, baseline)
        return [
            ancova_model(data, y, y0, treatment, cluster, covariates, weights)
            for y, y0 in pairs.items()
        ]
    raise ParamsError(f"design={design!r} is not supported; choose 'did' or 'ancova'")
