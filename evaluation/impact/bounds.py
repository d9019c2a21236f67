"""Lee (2009) trimming bounds on a treatment effect under differential attrition.

When treatment changes who is observed at endline (more treated youth answer the follow-up,
say), the difference in observed means compares different kinds of people. Under random
assignment and monotonicity (treatment moves response in one direction only), Lee's bounds
trim the arm with the higher response rate by the share of "extra" respondents, once from
above and once from below; the two trimmed comparisons bound the effect for the youth who
would be observed whichever arm they were in (the always-observed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaluation.errors import DataError, EstimationError, ParamsError, format_values
from evaluation.results import ResultInfo, make_result
from evaluation.validation import require_columns, require_numeric

__all__ = ["imbens_manski_ci", "lee_bounds", "trimmed_mean"]


# --------------------------------------------------------------------------- trimmed means


@dataclass(frozen=True)
class Trimmed:
    """A trimmed mean, the value at the trimming point and the variance of the kept mass."""

    mean: float
    cut: float
    variance: float


def trimmed_mean(values: np.ndarray, keep: float, side: str) -> Trimmed:
    """Mean of the lowest or highest share ``keep`` of ``values``, trimming fractionally.

    Parameters
    ----------
    values : ndarray
        Observed outcomes of one arm.
    keep : float
        Share of the empirical distribution to keep, in (0, 1].
    side : {"low", "high"}
        Keep the lowest or the highest values.

    Returns
    -------
    Trimmed
        ``mean`` of the kept mass, ``cut`` (the kept value nearest the trimming point: the
        quantile where trimming happens) and ``variance`` of the kept mass.

    Notes
    -----
    The kept mass is :math:`K = keep \\cdot m`. Sorted values get weight 1 until :math:`K` is
    used up and the boundary value gets the fractional rest, so ties at the trimming point
    are trimmed exactly as :math:`E[Y \\mid Y \\le F^{-1}(keep)]` requires under the
    empirical distribution.
    """
    ordered = np.sort(values) if side == "low" else -np.sort(-values)
    mass = keep * ordered.size
    weights = np.clip(mass - np.arange(ordered.size), 0.0, 1.0)
    mean = float(weights @ ordered / mass)
    boundary = max(int(np.ceil(mass - 1e-9)) - 1, 0)
    variance = float(weights @ (ordered - mean) ** 2 / mass)
    return Trimmed(mean=mean, cut=float(ordered[boundary]), variance=variance)


# --------------------------------------------------------------------------- arms


@dataclass(frozen=True)
class _Arm:
    """Every unit of one arm: outcome (NaN if not observed), response flag, covariate cell."""

    y: np.ndarray
    observed: np.ndarray
    cells: np.ndarray | None = None
    clusters: np.ndarray | None = None

    @property
    def size(self) -> int:
        return self.y.size

    @property
    def rate(self) -> float:
        return float(self.observed.mean())

    @property
    def outcomes(self) -> np.ndarray:
        return self.y[self.observed]

    def take(self, rows: np.ndarray) -> _Arm:
        cells = None if self.cells is None else self.cells[rows]
        return _Arm(self.y[rows], self.observed[rows], cells)

    def resampler(self, rng: np.random.Generator) -> Callable[[], np.ndarray]:
        """A function drawing one bootstrap sample's rows: units with replacement, or whole
        clusters with replacement when the arm has clusters (all rows of a drawn cluster)."""
        if self.clusters is None:
            return lambda: rng.integers(0, self.size, self.size)
        order = np.argsort(self.clusters, kind="stable")
        _, starts, counts = np.unique(self.clusters[order], return_index=True, return_counts=True)
        members = np.split(order, starts[1:])

        def draw() -> np.ndarray:
            return np.concatenate([members[k] for k in rng.integers(0, counts.size, counts.size)])

        return draw

    def cell(self, code: int) -> _Arm:
        return self.take(self.cells == code)


def _trim_share(treated: _Arm, control: _Arm) -> tuple[float, bool]:
    """Lee's trimming proportion p, and whether the treated arm (observed more) is trimmed."""
    q1, q0 = treated.rate, control.rate
    if q1 >= q0:
        return (q1 - q0) / q1, True
    return (q0 - q1) / q0, False


def _orient(
    low: float, high: float, other_mean: float, treated_trimmed: bool
) -> tuple[float, float]:
    """Bounds on the effect from the trimmed arm's low/high means and the other arm's mean."""
    if treated_trimmed:
        return low - other_mean, high - other_mean
    return other_mean - high, other_mean - low


# --------------------------------------------------------------------------- point estimates


def _basic_bounds(treated: _Arm, control: _Arm) -> dict[str, object]:
    """Lower and upper bound without covariates, with the parts their variance needs."""
    p, treated_trimmed = _trim_share(treated, control)
    trimmed, other = (treated, control) if treated_trimmed else (control, treated)
    low = trimmed_mean(trimmed.outcomes, 1 - p, "low")
    high = trimmed_mean(trimmed.outcomes, 1 - p, "high")
    lower, upper = _orient(low.mean, high.mean, float(other.outcomes.mean()), treated_trimmed)
    return {
        "p": p,
        "treated_trimmed": treated_trimmed,
        "lower": lower,
        "upper": upper,
        "low": low,
        "high": high,
    }


def _tightened_bounds(treated: _Arm, control: _Arm) -> dict[str, object]:
    """Bounds averaged over covariate cells, each trimmed by its own proportion (Lee 2009 §3)."""
    p, treated_trimmed = _trim_share(treated, control)
    trimmed, other = (treated, control) if treated_trimmed else (control, treated)
    lows, highs, weights, clipped = [], [], [], 0
    for code in np.unique(np.concatenate([treated.cells, control.cells])):
        trimmed_cell, other_cell = trimmed.cell(code), other.cell(code)
        respondents = int(other_cell.observed.sum())
        if respondents == 0:
            continue  # no always-observed mass in this cell: weight 0
        if not trimmed_cell.observed.any():
            raise EstimationError(
                f"lee_bounds(): covariate cell {code} has respondents in one arm but none in "
                "the arm with the higher response rate, which contradicts monotonicity; "
                "use coarser cells"
            )
        p_cell = 1 - other_cell.rate / trimmed_cell.rate
        clipped += int(p_cell < 0)
        keep = 1 - max(p_cell, 0.0)
        lows.append(trimmed_mean(trimmed_cell.outcomes, keep, "low").mean)
        highs.append(trimmed_mean(trimmed_cell.outcomes, keep, "high").mean)
        weights.append(respondents)
    share = np.asarray(weights, dtype=float) / np.sum(weights)
    lower, upper = _orient(
        float(share @ lows), float(share @ highs), float(other.outcomes.mean()), treated_trimmed
    )
    return {
        "p": p,
        "treated_trimmed": treated_trimmed,
        "lower": lower,
        "upper": upper,
        "cells": len(weights),
        "clipped": clipped,
    }


# --------------------------------------------------------------------------- standard errors


def _analytic_ses(treated: _Arm, control: _Arm, parts: dict[str, object]) -> np.ndarray:
    """Lee (2009, Proposition 3) standard errors of (lower, upper, p)."""
    p = float(parts["p"])
    treated_trimmed = bool(parts["treated_trimmed"])
    trimmed, other = (treated, control) if treated_trimmed else (control, treated)
    q0, q1 = control.rate, treated.rate
    var_p = (1 - p) ** 2 * ((1 - q0) / (q0 * control.size) + (1 - q1) / (q1 * treated.size))
    respondents = trimmed.outcomes.size
    var_other = other.outcomes.var(ddof=1) / other.outcomes.size

    def variance(part: Trimmed) -> float:
        gap = part.cut - part.mean
        trimmed_part = (part.variance + p * gap**2) / ((1 - p) * respondents)
        return trimmed_part + (gap / (1 - p)) ** 2 * var_p + var_other

    var_low, var_high = variance(parts["low"]), variance(parts["high"])
    # Trimming the treated: the low mean gives the lower bound; trimming controls: the upper.
    pair = (var_low, var_high) if treated_trimmed else (var_high, var_low)
    return np.sqrt([*pair, var_p])


def _bootstrap_ses(
    treated: _Arm,
    control: _Arm,
    estimate: Callable[[_Arm, _Arm], dict[str, object]],
    n_boot: int,
    seed: int | None,
) -> tuple[np.ndarray, int]:
    """SDs of (lower, upper, p) over bootstrap samples drawn within each arm: units, or
    whole clusters when the arms carry clusters (the sampling and assignment unit).

    Returns the SDs and the number of replicates that could not be estimated (an arm with
    fewer than two respondents, or a covariate cell that breaks monotonicity), which are
    left out.
    """
    rng = np.random.default_rng(seed)
    draw_treated, draw_control = treated.resampler(rng), control.resampler(rng)
    draws = np.full((n_boot, 3), np.nan)
    for b in range(n_boot):
        t = treated.take(draw_treated())
        c = control.take(draw_control())
        if t.observed.sum() < 2 or c.observed.sum() < 2:
            continue
        try:
            parts = estimate(t, c)
        except EstimationError:
            continue
        draws[b] = parts["lower"], parts["upper"], parts["p"]
    failed = int(np.isnan(draws[:, 0]).sum())
    return np.nanstd(draws, axis=0, ddof=1), failed


# --------------------------------------------------------------------------- inference


def imbens_manski_ci(
    lower: float, upper: float, se_lower: float, se_upper: float, level: float = 0.95
) -> tuple[float, float]:
    """Imbens–Manski (2004) confidence interval for a parameter known to lie in [lower, upper].

    Parameters
    ----------
    lower, upper : float
        Estimated bounds.
    se_lower, se_upper : float
        Their standard errors.
    level : float
        Coverage for the parameter (not for the whole identified set).

    Returns
    -------
    tuple of float
        :math:`[\\hat\\theta_L - c\\,\\sigma_L,\\; \\hat\\theta_U + c\\,\\sigma_U]`.

    Notes
    -----
    :math:`c` solves :math:`\\Phi(c + \\Delta / \\max(\\sigma_L, \\sigma_U)) - \\Phi(-c) = level`
    with :math:`\\Delta = \\hat\\theta_U - \\hat\\theta_L`; it lies between the one-sided
    (wide set) and the two-sided (point-identified) normal quantile.
    """
    width = max(upper - lower, 0.0)
    scale = max(se_lower, se_upper)
    if not (np.isfinite(scale) and scale > 0):
        return np.nan, np.nan

    def gap(c: float) -> float:
        return stats.norm.cdf(c + width / scale) - stats.norm.cdf(-c) - level

    c = optimize.brentq(gap, 0.0, stats.norm.isf((1 - level) / 2) + 1e-6, xtol=1e-14)
    return lower - c * se_lower, upper + c * se_upper


def _union_ci(
    lower: float, upper: float, se_lower: float, se_upper: float, level: float
) -> tuple[float, float]:
    z = stats.norm.isf((1 - level) / 2)
    return lower - z * se_lower, upper + z * se_upper


# --------------------------------------------------------------------------- input checks


def _binary(data: pd.DataFrame, column: str, meaning: str) -> np.ndarray:
    values = data[column]
    bad = values.isna() | ~values.isin([0, 1])
    if bad.any():
        found = format_values(sorted(map(str, pd.unique(values[bad]))))
        raise DataError(
            f"lee_bounds(), column '{column}': {int(bad.sum())} rows are not 0/1 {meaning} "
            f"(found {found}; rows {format_values(list(data.index[bad]))}); code it 1/0 "
            "with no missing values"
        )
    return values.astype(bool).to_numpy()


def _arms(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    observed: str | None,
    covariate: str | None,
    cluster: str | None = None,
) -> tuple[_Arm, _Arm]:
    y = require_numeric(data, outcome, what="lee_bounds()")
    d = _binary(data, treatment, "(1 = treated, 0 = comparison)")
    if observed is None:
        s = ~np.isnan(y)
    else:
        s = _binary(data, observed, "(1 = outcome observed, 0 = attrited)")
        lost = s & np.isnan(y)
        if lost.any():
            raise DataError(
                f"lee_bounds(): {int(lost.sum())} rows are marked observed in '{observed}' but "
                f"have no '{outcome}' (rows {format_values(list(data.index[lost]))}); fix the "
                "response flag or leave observed=None to use non-missing outcomes"
            )
    cells = None
    if covariate is not None:
        if data[covariate].isna().any():
            raise DataError(
                f"lee_bounds(), column '{covariate}': {int(data[covariate].isna().sum())} rows "
                "have no value; the tightening covariate must be known for everyone"
            )
        cells = pd.factorize(data[covariate], sort=True)[0]
    groups = None if cluster is None else _cluster_codes(data, cluster, d)
    treated, control = (
        _Arm(
            y[mask],
            s[mask],
            None if cells is None else cells[mask],
            None if groups is None else groups[mask],
        )
        for mask in (d, ~d)
    )
    for name, arm in (("treatment", treated), ("comparison", control)):
        if arm.observed.sum() < 2:
            raise EstimationError(
                f"lee_bounds(): the {name} arm has {int(arm.observed.sum())} observed "
                f"outcomes out of {arm.size}; at least 2 are needed"
            )
    return treated, control


def _cluster_codes(data: pd.DataFrame, cluster: str, treated: np.ndarray) -> np.ndarray:
    """Integer codes of ``cluster``; every cluster must be known and lie in one arm."""
    values = data[cluster]
    if values.isna().any():
        raise DataError(
            f"lee_bounds(), column '{cluster}': {int(values.isna().sum())} rows have no "
            f"cluster (rows {format_values(list(data.index[values.isna()]))}); every unit, "
            "also those lost at endline, needs its cluster"
        )
    codes = pd.factorize(values, sort=True)[0]
    arms = pd.Series(treated).groupby(codes).nunique()
    mixed = arms[arms > 1].index
    if len(mixed):
        names = sorted(map(str, pd.unique(values.to_numpy()[np.isin(codes, mixed)])))
        raise DataError(
            f"lee_bounds(), column '{cluster}': clusters {format_values(names)} have units in "
            "both arms; the cluster bootstrap resamples clusters within arms, so clusters "
            "must be the unit of assignment (or leave cluster=None)"
        )
    return codes


# --------------------------------------------------------------------------- lee_bounds


def lee_bounds(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    observed: str | None = None,
    covariate: str | None = None,
    cluster: str | None = None,
    se: str = "auto",
    ci: str = "imbens_manski",
    level: float = 0.95,
    n_boot: int = 999,
    seed: int | None = None,
) -> pd.DataFrame:
    """Lee (2009) bounds on a treatment effect when attrition differs between arms.

    Parameters
    ----------
    data : DataFrame
        One row per randomised unit, including those lost at endline.
    outcome : str
        Endline outcome (missing for the attrited).
    treatment : str
        1 = treated, 0 = comparison.
    observed : str, optional
        1 = outcome observed, 0 = attrited; default: the outcome is not missing.
    covariate : str, optional
        A discrete baseline covariate (sex, school): the bounds are computed within its cells
        and averaged, which tightens them (Lee 2009, section 3.3).
    cluster : str, optional
        The unit of sampling and assignment (school). The bootstrap then resamples whole
        clusters within each arm, so the standard errors allow for outcomes and attrition
        that are alike within a cluster; Lee's analytic formula treats units as
        independent and is not offered with clusters.
    se : {"auto", "analytic", "bootstrap"}
        Lee's asymptotic standard errors, or a bootstrap within arms (over clusters with
        ``cluster``, else over units). ``auto`` is analytic without ``covariate`` and
        ``cluster`` and bootstrap with either (no analytic formula is implemented for them).
    ci : {"imbens_manski", "union"}
        The interval for the effect on the ``effect`` row: Imbens–Manski (2004), which covers
        the effect itself with probability ``level``, or the union of the two bounds'
        two-sided intervals (wider, conservative).
    level : float
        Confidence level.
    n_boot : int
        Bootstrap replications.
    seed : int, optional
        Seed of the bootstrap (take it from params for reproducible reports).

    Returns
    -------
    DataFrame
        ``term``, ``estimate, se, ci_low, ci_high, p_value, df, n`` and extras. Rows:

        * ``observed_difference`` — the naive difference in observed means (Welch t-test);
        * ``trim_proportion`` — p, the share of the better-observed arm's respondents trimmed;
        * ``lower_bound``, ``upper_bound`` — the bounds with their SEs and pointwise
          two-sided intervals;
        * ``effect`` — no estimate (the effect is only partially identified); ``ci_low`` and
          ``ci_high`` are the interval for the effect chosen by ``ci``.

        Extras: ``trimmed_arm`` ("treatment" or "comparison"), ``response_treated``,
        ``response_comparison``, ``n_treated``, ``n_comparison``, ``se_method``.

    Raises
    ------
    DataError
        Treatment or response flags are not 0/1, or an observed row lacks the outcome.
    EstimationError
        An arm has fewer than two observed outcomes, or a covariate cell breaks monotonicity.
    ParamsError
        An unknown ``se`` or ``ci`` option, or analytic SEs requested with ``covariate``.

    Notes
    -----
    With response rates :math:`q_1 \\ge q_0` (else the roles swap),
    :math:`p = (q_1 - q_0) / q_1` and

    .. math::

        \\Delta_{LB} = E[Y \\mid D=1, S=1, Y \\le y_{1-p}] - E[Y \\mid D=0, S=1], \\quad
        \\Delta_{UB} = E[Y \\mid D=1, S=1, Y \\ge y_{p}] - E[Y \\mid D=0, S=1]

    The analytic variance of a bound (Lee 2009, Proposition 3) is

    .. math::

        \\frac{\\sigma^2_{k} + p (y_{k} - \\mu_{k})^2}{(1 - p)\\, m_1}
        + \\Big(\\frac{y_{k} - \\mu_{k}}{1 - p}\\Big)^2 V_p + \\frac{s_0^2}{m_0},
        \\quad V_p = (1 - p)^2 \\Big[\\frac{1 - q_0}{q_0 n_0} + \\frac{1 - q_1}{q_1 n_1}\\Big]

    with :math:`\\mu_k, \\sigma_k^2` the trimmed mean and variance, :math:`y_k` the trimming
    quantile, :math:`m_1, m_0` the respondents and :math:`n_1, n_0` the units per arm. Trimming
    is fractional at ties. At p = 0 the bounds equal the observed difference and the formula
    still adds the sampling error of p, which Lee's asymptotics do not cover exactly.

    References
    ----------
    Lee, D. S. (2009). Training, wages, and sample selection: Estimating sharp bounds on
    treatment effects. *Review of Economic Studies* 76(3), 1071–1102. Imbens, G. W. and
    Manski, C. F. (2004). Confidence intervals for partially identified parameters.
    *Econometrica* 72(6), 1845–1857.

    See Also
    --------
    Stata ``leebounds`` (Tauchmann 2014); R ``leebounds`` (Semenova).

    Examples
    --------
    >>> lee_bounds(endline, "score", "treatment", covariate="sex", seed=20220203)  # doctest: +SKIP
    """
    se_method = _option(se, ("auto", "analytic", "bootstrap"), "se")
    ci_method = _option(ci, ("imbens_manski", "union"), "ci")
    if not 0 < level < 1:
        raise ParamsError(f"lee_bounds(): level={level!r} must be between 0 and 1")
    if se_method == "auto":
        se_method = "analytic" if covariate is None and cluster is None else "bootstrap"
    if se_method == "analytic" and (covariate is not None or cluster is not None):
        raise ParamsError(
            "lee_bounds(): analytic SEs are not implemented for bounds tightened by a "
            "covariate or for clustered units; use se='bootstrap' (or se='auto')"
        )
    optional = (observed, covariate, cluster)
    columns = [outcome, treatment, *(c for c in optional if c is not None)]
    require_columns(data, columns, what="lee_bounds() data")
    treated, control = _arms(data, outcome, treatment, observed, covariate, cluster)
    estimate = _basic_bounds if covariate is None else _tightened_bounds
    parts = estimate(treated, control)
    failed = 0
    if se_method == "analytic":
        ses = _analytic_ses(treated, control, parts)
    else:
        ses, failed = _bootstrap_ses(treated, control, estimate, n_boot, seed)
    rows = _rows(treated, control, parts, ses, ci_method, level)
    extras = {
        "trimmed_arm": "treatment" if parts["treated_trimmed"] else "comparison",
        "response_treated": treated.rate,
        "response_comparison": control.rate,
        "n_treated": treated.size,
        "n_comparison": control.size,
        "se_method": _se_label(se_method, cluster, n_boot, seed),
    }
    info = ResultInfo(
        estimator="impact.lee_bounds",
        method="Lee (2009) trimming bounds"
        + ("" if covariate is None else f", tightened within cells of '{covariate}'"),
        level=level,
        vcov=f"{extras['se_method']}; effect interval: {ci_method.replace('_', '-')}",
        n_obs=len(data),
        reference="Lee (2009); Imbens and Manski (2004); Stata leebounds",
        notes=_notes(parts, covariate, failed),
    )
    return make_result([{**row, **extras} for row in rows], info, id_columns=["term"])


def _se_label(method: str, cluster: str | None, n_boot: int, seed: int | None) -> str:
    if method == "analytic":
        return method
    over = "" if cluster is None else f" of clusters '{cluster}'"
    return f"bootstrap{over} ({n_boot}, seed {seed})"


def _option(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ParamsError(
            f"lee_bounds(): {name}={value!r} is not known; choose one of: {', '.join(allowed)}"
        )
    return value


def _rows(
    treated: _Arm,
    control: _Arm,
    parts: dict[str, object],
    ses: np.ndarray,
    ci_method: str,
    level: float,
) -> list[dict[str, object]]:
    z = stats.norm.isf((1 - level) / 2)
    lower, upper = float(parts["lower"]), float(parts["upper"])
    se_lower, se_upper, se_p = (float(v) for v in ses)
    interval = imbens_manski_ci if ci_method == "imbens_manski" else _union_ci
    effect_low, effect_high = interval(lower, upper, se_lower, se_upper, level)
    respondents = int(treated.observed.sum() + control.observed.sum())
    return [
        _observed_difference(treated.outcomes, control.outcomes, level),
        {
            "term": "trim_proportion",
            "estimate": parts["p"],
            "se": se_p,
            "n": treated.size + control.size,
        },
        _normal_row("lower_bound", lower, se_lower, z, respondents),
        _normal_row("upper_bound", upper, se_upper, z, respondents),
        {"term": "effect", "ci_low": effect_low, "ci_high": effect_high, "n": respondents},
    ]


def _normal_row(term: str, estimate: float, se: float, z: float, n: int) -> dict[str, object]:
    """A bound with its pointwise normal interval, estimate ± z se."""
    return {
        "term": term,
        "estimate": estimate,
        "se": se,
        "ci_low": estimate - z * se,
        "ci_high": estimate + z * se,
        "n": n,
    }


def _observed_difference(y1: np.ndarray, y0: np.ndarray, level: float) -> dict[str, object]:
    """Difference in observed means with Welch's t-test (R ``t.test(y1, y0)``)."""
    v1, v0 = y1.var(ddof=1) / y1.size, y0.var(ddof=1) / y0.size
    se = np.sqrt(v1 + v0)
    df = (v1 + v0) ** 2 / (v1**2 / (y1.size - 1) + v0**2 / (y0.size - 1)) if se > 0 else np.nan
    diff = float(y1.mean() - y0.mean())
    half = stats.t.isf((1 - level) / 2, df) * se if se > 0 else np.nan
    return {
        "term": "observed_difference",
        "estimate": diff,
        "se": se,
        "ci_low": diff - half,
        "ci_high": diff + half,
        "p_value": 2 * stats.t.sf(abs(diff / se), df) if se > 0 else np.nan,
        "df": df,
        "n": y1.size + y0.size,
    }


def _notes(parts: dict[str, object], covariate: str | None, failed: int) -> tuple[str, ...]:
    arm = "treatment" if parts["treated_trimmed"] else "comparison"
    notes = [
        f"The {arm} arm responded more often; {float(parts['p']):.1%} of its respondents are "
        "trimmed. The bounds cover the effect for units observed in either arm, assuming "
        "random assignment and monotone response."
    ]
    if covariate is not None and parts.get("clipped"):
        notes.append(
            f"{parts['clipped']} cells of '{covariate}' had a lower response rate in the "
            f"{arm} arm than in the other; they were not trimmed (p set to 0)."
        )
    if failed:
        notes.append(
            f"{failed} bootstrap replicates could not be estimated (an empty arm or cell) "
            "and were left out of the standard errors."
        )
    return tuple(notes)
