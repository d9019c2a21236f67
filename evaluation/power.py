"""Power, sample size and minimum detectable effects (MDE), and the intraclass correlation.

Three layers:

* :func:`power_t_test` and :func:`power_prop_test` mirror R's ``power.t.test`` and
  ``power.prop.test`` exactly (noncentral t; normal approximation with pooled variance) for
  simple two-group comparisons. Their solved quantities are exact roots, so they agree with
  R called with a tight ``tol``.
* :func:`mde`, :func:`design_power` and :func:`sample_size` plan individually and
  cluster-randomised designs with the standard MDES formula (Bloom 1995; Raudenbush 1997;
  Optimal Design): intraclass correlation, cluster size and number, covariate R² at
  individual and cluster level, attrition and the treated share; for standardised means,
  raw means (with ``sd``) and proportions (with ``baseline_proportion``).
* :func:`icc` estimates the intraclass correlation from data (one-way ANOVA estimator), so a
  baseline report can give MDEs "given the observed ICCs".

Every function takes scalars or equal-length sequences (one scenario per position) and
returns a tidy table with one row per scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaluation.errors import DataError, EstimationError, ParamsError, format_values
from evaluation.results import ResultInfo, make_result
from evaluation.validation import as_list, require_columns, require_numeric

__all__ = [
    "design_power",
    "icc",
    "mde",
    "power_prop_test",
    "power_t_test",
    "sample_size",
]

_XTOL = 1e-12  # root-finding tolerance: solved quantities are exact to ~1e-12


# --------------------------------------------------------------------------- shared helpers


def _choice(value: str, allowed: Sequence[str], name: str, what: str) -> str:
    normalised = str(value).replace(".", "_").replace("-", "_").lower()
    if normalised not in allowed:
        raise ParamsError(
            f"{what}: {name}={value!r} is not known; choose one of: {', '.join(allowed)}"
        )
    return normalised


def _scenarios(what: str, **params: Any) -> list[dict[str, Any]]:
    """Broadcast scalar and sequence parameters into one dict per scenario."""
    lengths = {k: len(v) for k, v in params.items() if np.ndim(v) == 1 and not isinstance(v, str)}
    sizes = set(lengths.values())
    if len(sizes) > 1:
        raise ParamsError(
            f"{what}: sequence parameters have different lengths "
            f"({', '.join(f'{k}: {n}' for k, n in lengths.items())}); give every varying "
            "parameter the same number of scenarios"
        )
    count = sizes.pop() if sizes else 1
    return [
        {k: (list(v)[i] if k in lengths else v) for k, v in params.items()} for i in range(count)
    ]


def _probability(value: float | None, name: str, what: str) -> None:
    if value is not None and not 0 < value < 1:
        raise ParamsError(f"{what}: {name}={value!r} must be strictly between 0 and 1")


def _root(func: Callable[[float], float], low: float, high: float, what: str, goal: str) -> float:
    """The root of an increasing or decreasing ``func`` in [low, high], or EstimationError."""
    f_low, f_high = func(low), func(high)
    if np.sign(f_low) == np.sign(f_high):
        raise EstimationError(
            f"{what}: no {goal} between {low:g} and {high:g} gives the requested value; "
            "check that the target power is reachable with the other inputs"
        )
    return optimize.brentq(func, low, high, xtol=_XTOL, rtol=4 * np.finfo(float).eps)


def _increasing_root(
    func: Callable[[float], float], low: float, start: float, limit: float, what: str, goal: str
) -> float:
    """Root of an increasing ``func`` above ``low``: double ``start`` until it brackets the root.

    Like R's ``uniroot(..., extendInt = "upX")`` within R's search range [low, limit], without
    evaluating the noncentral t at extreme noncentrality parameters.
    """
    high = start
    while func(high) < 0 and high < limit:
        high = min(2 * high, limit)
    return _root(func, low, high, what, goal)


# --------------------------------------------------------------------------- power.t.test


def _t_power(
    n: float, delta: float, sd: float, alpha: float, samples: int, sides: int, strict: bool
) -> float:
    """R ``power.t.test``'s ``p.body``: power of the t-test from the noncentral t."""
    nu = max(1e-7, n - 1) * samples
    ncp = np.sqrt(n / samples) * delta / sd
    critical = stats.t.isf(alpha / sides, nu)
    power = stats.nct.sf(critical, nu, ncp)
    if strict and sides == 2:
        # scipy returns NaN for this far tail when it underflows (large ncp): it is 0 then.
        power += np.nan_to_num(stats.nct.cdf(-critical, nu, ncp))
    return float(power)


def power_t_test(
    n: float | Sequence[float] | None = None,
    delta: float | Sequence[float] | None = None,
    sd: float | Sequence[float] = 1.0,
    power: float | Sequence[float] | None = None,
    alpha: float | Sequence[float] = 0.05,
    type: str = "two_sample",
    alternative: str = "two_sided",
    strict: bool = False,
) -> pd.DataFrame:
    """Power of a t-test, or the n or difference that gives a power (R ``power.t.test``).

    Exactly one of ``n``, ``delta`` and ``power`` is ``None``; it is solved for.

    Parameters
    ----------
    n : float, optional
        Observations per group (two-sample) or number of pairs (paired).
    delta : float, optional
        True difference in means, in the units of ``sd``.
    sd : float
        Standard deviation (of the differences, for paired).
    power : float, optional
        Probability of rejecting the null at the true difference.
    alpha : float
        Significance level (R's ``sig.level``).
    type : {"two_sample", "one_sample", "paired"}
    alternative : {"two_sided", "one_sided"}
    strict : bool
        Two-sided only: count the rejection region on the opposite side too. R's default
        ``FALSE`` counts only the side of ``delta``.

    Returns
    -------
    DataFrame
        ``quantity`` (the solved parameter: ``n``, ``delta`` or ``power``), ``estimate`` (its
        value; ``n`` is not rounded up), core columns NaN except ``df``, then ``n_per_group``,
        ``delta``, ``sd``, ``alpha``, ``power``, ``type``, ``alternative``, ``strict``.

    Raises
    ------
    ParamsError
        Not exactly one of ``n``, ``delta`` and ``power`` missing, or a value out of range.
    EstimationError
        No solution in R's search range (n in [2, 1e7], delta in sd × [1e-7, 1e7]).

    Notes
    -----
    With :math:`\\nu = (n - 1) s` (:math:`s` = 2 for two samples, else 1) and
    :math:`\\lambda = \\sqrt{n / s}\\, \\delta / sd`:

    .. math::

        1 - \\beta = P(T_{\\nu, \\lambda} > t_{1 - \\alpha / k, \\nu})
        \\; [+\\, P(T_{\\nu, \\lambda} < -t_{1 - \\alpha / k, \\nu}) \\text{ if strict}]

    with :math:`k` sides. Solved quantities use Brent's method to 1e-12.

    See Also
    --------
    R: ``stats::power.t.test``; ``pwr::pwr.t.test`` equals ``strict=True``.
    """
    what = "power_t_test()"
    kind = _choice(type, ("two_sample", "one_sample", "paired"), "type", what)
    side = _choice(alternative, ("two_sided", "one_sided"), "alternative", what)
    rows = [
        _t_test_row(kind, side, strict, what, **s)
        for s in _scenarios(what, n=n, delta=delta, sd=sd, power=power, alpha=alpha)
    ]
    info = ResultInfo(
        estimator="power.power_t_test",
        method=f"{kind.replace('_', '-')} t-test power (noncentral t)",
        n_obs=0,
        reference="R stats::power.t.test",
        notes=("n is per group (two-sample) or the number of pairs (paired).",),
    )
    return make_result(rows, info, id_columns=["quantity"])


def _t_test_row(
    kind: str, side: str, strict: bool, what: str, **p: float | None
) -> dict[str, object]:
    missing = [k for k in ("n", "delta", "power") if p[k] is None]
    if len(missing) != 1:
        raise ParamsError(
            f"{what}: exactly one of n, delta and power must be None (it is solved for); "
            f"got {len(missing)} missing ({', '.join(missing) or 'none'})"
        )
    _probability(p["alpha"], "alpha", what)
    _probability(p["power"], "power", what)
    samples, sides = (2 if kind == "two_sample" else 1), (2 if side == "two_sided" else 1)
    n, delta, sd, alpha, power = p["n"], p["delta"], p["sd"], p["alpha"], p["power"]
    if delta is not None and sides == 2:
        delta = abs(delta)

    def power_at(n_: float, delta_: float) -> float:
        return _t_power(n_, delta_, sd, alpha, samples, sides, strict)

    if power is None:
        power = power_at(n, delta)
    elif n is None:
        n = _increasing_root(lambda x: power_at(x, delta) - power, 2, 4, 1e7, what, "n")
    else:
        delta = _increasing_root(
            lambda x: power_at(n, x) - power, sd * 1e-7, sd, sd * 1e7, what, "delta"
        )
    solved = {"n": n, "delta": delta, "power": power}[missing[0]]
    return {
        "quantity": missing[0],
        "estimate": solved,
        "df": (n - 1) * samples,
        "n_per_group": n,
        "delta": delta,
        "sd": sd,
        "alpha": alpha,
        "power": power,
        "type": kind,
        "alternative": side,
        "strict": strict,
    }


# --------------------------------------------------------------------------- power.prop.test


def _prop_power(n: float, p1: float, p2: float, alpha: float, sides: int, strict: bool) -> float:
    """R ``power.prop.test``'s ``p.body`` (normal approximation, pooled variance under H0)."""
    critical = stats.norm.isf(alpha / sides)
    gap = np.sqrt(n) * abs(p1 - p2)
    pooled = np.sqrt((p1 + p2) * (1 - (p1 + p2) / 2))
    spread = np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    power = stats.norm.cdf((gap - critical * pooled) / spread)
    if strict and sides == 2:
        power += stats.norm.sf((gap + critical * pooled) / spread)
    return float(power)


def power_prop_test(
    n: float | Sequence[float] | None = None,
    p1: float | Sequence[float] | None = None,
    p2: float | Sequence[float] | None = None,
    power: float | Sequence[float] | None = None,
    alpha: float | Sequence[float] = 0.05,
    alternative: str = "two_sided",
    strict: bool = False,
) -> pd.DataFrame:
    """Power of a two-proportion test, or the n or proportion for a power (R ``power.prop.test``).

    Exactly one of ``n``, ``p1``, ``p2`` and ``power`` is ``None``; it is solved for.

    Parameters
    ----------
    n : float, optional
        Observations per group.
    p1, p2 : float, optional
        The two proportions. A missing ``p2`` is searched above ``p1``, a missing ``p1``
        below ``p2`` (as R does).
    power : float, optional
        Probability of rejecting the null.
    alpha : float
        Significance level.
    alternative : {"two_sided", "one_sided"}
    strict : bool
        Two-sided only: include the opposite rejection region.

    Returns
    -------
    DataFrame
        ``quantity``, ``estimate`` (the solved value), then ``n_per_group``, ``p1``, ``p2``,
        ``alpha``, ``power``, ``alternative``, ``strict``.

    Raises
    ------
    ParamsError
        Not exactly one unknown, or a value out of range.
    EstimationError
        No solution in the search range.

    Notes
    -----
    .. math::

        1 - \\beta = \\Phi\\left(\\frac{\\sqrt n\\,|p_1 - p_2| - z_{1-\\alpha/k}
        \\sqrt{(p_1 + p_2)(1 - \\bar p)}}{\\sqrt{p_1 q_1 + p_2 q_2}}\\right),
        \\quad \\bar p = (p_1 + p_2) / 2

    See Also
    --------
    R: ``stats::power.prop.test``.
    """
    what = "power_prop_test()"
    side = _choice(alternative, ("two_sided", "one_sided"), "alternative", what)
    rows = [
        _prop_test_row(side, strict, what, **s)
        for s in _scenarios(what, n=n, p1=p1, p2=p2, power=power, alpha=alpha)
    ]
    info = ResultInfo(
        estimator="power.power_prop_test",
        method="two-sample comparison of proportions (normal approximation, pooled variance)",
        n_obs=0,
        reference="R stats::power.prop.test",
        notes=("n is per group.",),
    )
    return make_result(rows, info, id_columns=["quantity"])


def _prop_test_row(side: str, strict: bool, what: str, **p: float | None) -> dict[str, object]:
    missing = [k for k in ("n", "p1", "p2", "power") if p[k] is None]
    if len(missing) != 1:
        raise ParamsError(
            f"{what}: exactly one of n, p1, p2 and power must be None (it is solved for); "
            f"got {len(missing)} missing ({', '.join(missing) or 'none'})"
        )
    for name in ("p1", "p2", "power", "alpha"):
        _probability(p[name], name, what)
    sides = 2 if side == "two_sided" else 1
    n, p1, p2, alpha, power = p["n"], p["p1"], p["p2"], p["alpha"], p["power"]
    tiny = 1e-10
    if power is None:
        power = _prop_power(n, p1, p2, alpha, sides, strict)
    elif n is None:
        n = _increasing_root(
            lambda x: _prop_power(x, p1, p2, alpha, sides, strict) - power, 1, 2, 1e7, what, "n"
        )
    elif p1 is None:
        p1 = _root(
            lambda x: _prop_power(n, x, p2, alpha, sides, strict) - power, tiny, p2, what, "p1"
        )
    else:
        p2 = _root(
            lambda x: _prop_power(n, p1, x, alpha, sides, strict) - power, p1, 1 - tiny, what, "p2"
        )
    solved = {"n": n, "p1": p1, "p2": p2, "power": power}[missing[0]]
    return {
        "quantity": missing[0],
        "estimate": solved,
        "n_per_group": n,
        "p1": p1,
        "p2": p2,
        "alpha": alpha,
        "power": power,
        "alternative": side,
        "strict": strict,
    }


# --------------------------------------------------------------------------- design-based MDES


def _design_parts(p: dict[str, Any], what: str) -> dict[str, float]:
    """Sampling variance of the standardised effect, df and sizes for one scenario."""
    share, attrition = p["treated_share"], p["attrition"]
    _probability(share, "treated_share", what)
    for name in ("icc", "r2_individual", "r2_cluster", "attrition"):
        if not 0 <= p[name] < 1:
            raise ParamsError(
                f"{what}: {name}={p[name]!r} must be at least 0 and below 1"
                + (" (a negative ICC estimate can be set to 0)" if name == "icc" else "")
            )
    spread = share * (1 - share)
    if p["clusters"] is None:
        n_eff = p["n"] * (1 - attrition)
        variance = (1 - p["r2_individual"]) / (spread * n_eff)
        df = n_eff - 2 - p["covariates"]
        return {"variance": variance, "df": df, "n_effective": n_eff, "design_effect": 1.0}
    clusters, size = p["clusters"], p["cluster_size"] * (1 - attrition)
    icc_value = p["icc"]
    variance = icc_value * (1 - p["r2_cluster"]) / (spread * clusters) + (1 - icc_value) * (
        1 - p["r2_individual"]
    ) / (spread * clusters * size)
    return {
        "variance": variance,
        "df": clusters - 2 - p["covariates"],
        "n_effective": clusters * size,
        "design_effect": 1 + (size - 1) * icc_value,
    }


def _quantiles(p: dict[str, Any], df: float) -> tuple[Callable[[float], float], float]:
    """(cdf, critical value) of the test statistic: t with ``df`` or the normal."""
    sides = 2 if p["alternative"] == "two_sided" else 1
    if p["distribution"] == "t":
        if df <= 0:
            raise ParamsError(
                f"the design leaves {df:g} degrees of freedom (clusters - 2 - covariates); "
                "add clusters or use distribution='z'"
            )
        return (lambda x: stats.t.cdf(x, df)), stats.t.isf(p["alpha"] / sides, df)
    return stats.norm.cdf, stats.norm.isf(p["alpha"] / sides)


def _multiplier(p: dict[str, Any], df: float) -> float:
    _, critical = _quantiles(p, df)
    quantile = (
        stats.t.ppf(p["power"], df) if p["distribution"] == "t" else stats.norm.ppf(p["power"])
    )
    return critical + quantile


def _unit_scale(p: dict[str, Any], what: str) -> float:
    """Natural units per SD: ``sd``, sqrt(p(1-p)) for a baseline proportion, or 1."""
    if p["sd"] is not None and p["baseline_proportion"] is not None:
        raise ParamsError(f"{what}: give sd (for a mean) or baseline_proportion, not both")
    if p["baseline_proportion"] is not None:
        _probability(p["baseline_proportion"], "baseline_proportion", what)
        return float(np.sqrt(p["baseline_proportion"] * (1 - p["baseline_proportion"])))
    if p["sd"] is not None:
        if not p["sd"] > 0:
            raise ParamsError(f"{what}: sd={p['sd']!r} must be positive")
        return float(p["sd"])
    return 1.0


def _check_design(p: dict[str, Any], what: str, solving: str | None = None) -> None:
    """Refuse designs that are neither clearly individual nor clearly cluster-randomised."""
    cluster_design = solving in ("clusters", "cluster_size") or (
        p["clusters"] is not None or p["cluster_size"] is not None
    )
    if cluster_design and p["n"] is not None:
        raise ParamsError(
            f"{what}: give n (individually randomised) or clusters and cluster_size "
            "(cluster-randomised), not both"
        )
    if cluster_design:
        for name in ("clusters", "cluster_size"):
            if name != solving and p[name] is None:
                raise ParamsError(f"{what}: a cluster-randomised design needs {name}")
        return
    if solving is None and p["n"] is None:
        raise ParamsError(
            f"{what}: give n (total individuals, individually randomised) or clusters and "
            "cluster_size (cluster-randomised)"
        )
    if p["icc"] or p["r2_cluster"]:
        raise ParamsError(
            f"{what}: icc and r2_cluster apply to cluster-randomised designs; give clusters "
            "and cluster_size too"
        )


def _design_row(
    p: dict[str, Any], quantity: str, estimate: float, mdes: float
) -> dict[str, object]:
    parts = p["_parts"]
    scale = p["_scale"]
    n_total = p["n"] if p["clusters"] is None else p["clusters"] * p["cluster_size"]
    return {
        "quantity": quantity,
        "estimate": estimate,
        "df": parts["df"] if p["distribution"] == "t" else np.nan,
        "n": int(np.ceil(n_total - 1e-9)),
        "design": "individual" if p["clusters"] is None else "cluster",
        "mdes": mdes,
        "effect": mdes * scale,
        "units": p["_units"],
        "power": p["power"],
        "alpha": p["alpha"],
        "alternative": p["alternative"],
        "distribution": p["distribution"],
        "n_total": n_total,
        "clusters": p["clusters"],
        "cluster_size": p["cluster_size"],
        "icc": p["icc"],
        "treated_share": p["treated_share"],
        "r2_individual": p["r2_individual"],
        "r2_cluster": p["r2_cluster"],
        "attrition": p["attrition"],
        "n_effective": parts["n_effective"],
        "design_effect": parts["design_effect"],
        "se_standardised": np.sqrt(parts["variance"]),
    }


_DESIGN_DOC_PARAMS = """
    n : float, optional
        Total individuals (both arms) in an individually randomised design.
    clusters : float, optional
        Total clusters (both arms) in a cluster-randomised design.
    cluster_size : float, optional
        Individuals per cluster (average).
    icc : float
        Intraclass correlation of the outcome (cluster designs).
    treated_share : float
        Share of units (or clusters) assigned to treatment, P.
    r2_individual, r2_cluster : float
        Share of individual-level and cluster-level outcome variance explained by covariates.
    attrition : float
        Share of individuals lost at endline (clusters are assumed kept).
    alpha : float
        Significance level.
    alternative : {"two_sided", "one_sided"}
    distribution : {"t", "z"}
        Multiplier from the t distribution (df = N - 2 or J - 2, minus ``covariates``) or
        the normal.
    covariates : int
        Covariates that use up degrees of freedom (cluster-level ones in a cluster design).
    sd : float, optional
        Outcome SD: effects are then in the outcome's units.
    baseline_proportion : float, optional
        Control proportion of a binary outcome: effects are then in proportion points,
        using the baseline SD sqrt(p (1 - p)) (an approximation; for a simple two-group
        comparison :func:`power_prop_test` is exact).
"""


def _design_scenarios(what: str, **params: Any) -> list[dict[str, Any]]:
    scenarios = _scenarios(what, **params)
    for p in scenarios:
        p["alternative"] = _choice(
            p["alternative"], ("two_sided", "one_sided"), "alternative", what
        )
        p["distribution"] = _choice(p["distribution"], ("t", "z"), "distribution", what)
        _probability(p["alpha"], "alpha", what)
        p["_scale"] = _unit_scale(p, what)
        p["_units"] = (
            "proportion points"
            if p["baseline_proportion"] is not None
            else "outcome units"
            if p["sd"] is not None
            else "SD units"
        )
    return scenarios


def _design_info(estimator: str) -> ResultInfo:
    return ResultInfo(
        estimator=f"power.{estimator}",
        method="MDES formula for individually and cluster-randomised designs",
        n_obs=0,
        reference="Bloom (1995); Raudenbush (1997); Optimal Design; shared/reference power.R mdes()",
        notes=(
            "estimate is in the units named in 'units'; mdes is always in SD units.",
            "Power uses the central-t approximation behind the MDES formula, so mde() and "
            "design_power() are exact inverses.",
        ),
    )


def mde(
    *,
    power: float | Sequence[float] = 0.8,
    n: float | Sequence[float] | None = None,
    clusters: float | Sequence[float] | None = None,
    cluster_size: float | Sequence[float] | None = None,
    icc: float | Sequence[float] = 0.0,
    treated_share: float | Sequence[float] = 0.5,
    r2_individual: float | Sequence[float] = 0.0,
    r2_cluster: float | Sequence[float] = 0.0,
    attrition: float | Sequence[float] = 0.0,
    alpha: float | Sequence[float] = 0.05,
    alternative: str = "two_sided",
    distribution: str = "t",
    covariates: int = 0,
    sd: float | Sequence[float] | None = None,
    baseline_proportion: float | Sequence[float] | None = None,
) -> pd.DataFrame:
    """Minimum detectable effect of an individually or cluster-randomised design.

    Parameters
    ----------
    power : float
        Target power (1 - beta).
    {params}

    Returns
    -------
    DataFrame
        One row per scenario: ``quantity`` = ``"mde"``; ``estimate`` = the MDE in ``units``;
        ``df`` of the t multiplier; ``n`` = planned individuals; then ``design``, ``mdes``
        (SD units), ``effect``, ``units``, the inputs, ``n_effective`` (after attrition),
        ``design_effect`` (1 + (m - 1) ICC) and ``se_standardised``.

    Raises
    ------
    ParamsError
        An inconsistent design (both ``n`` and clusters), or a value out of range.

    Notes
    -----
    .. math::

        MDES = M \\sqrt{\\frac{\\rho (1 - R_2^2)}{P (1 - P) J}
        + \\frac{(1 - \\rho)(1 - R_1^2)}{P (1 - P) J m}}, \\quad
        M = t_{1 - \\alpha / k, df} + t_{1 - \\beta, df}

    with :math:`J` clusters of :math:`m` individuals (:math:`m` reduced by attrition) and
    df = J - 2; an individually randomised design of :math:`N` is the case
    :math:`\\rho = 0, J m = N` with df = N - 2.

    See Also
    --------
    R: ``shared/reference/r/power.R`` ``mdes()``; PowerUpR ``mdes.cra2``.

    Examples
    --------
    >>> mde(clusters=24, cluster_size=20, icc=[0.05, 0.10])  # doctest: +SKIP
    """
    what = "mde()"
    rows = []
    for p in _design_scenarios(what, **_collect(locals(), exclude=("what", "rows"))):
        _probability(p["power"], "power", what)
        _check_design(p, what)
        p["_parts"] = parts = _design_parts(p, what)
        mdes = _multiplier(p, parts["df"]) * np.sqrt(parts["variance"])
        rows.append(_design_row(p, "mde", mdes * p["_scale"], mdes))
    return make_result(rows, _design_info("mde"), id_columns=["quantity"])


def _collect(namespace: dict[str, Any], exclude: Sequence[str] = ()) -> dict[str, Any]:
    """The caller's keyword arguments (its ``locals()`` on entry), minus ``exclude``.

    Every keyword argument of mde(), design_power() and sample_size() is a scenario parameter,
    so passing them on as a dict keeps the three signatures and the scenarios in step.
    """
    return {k: v for k, v in namespace.items() if k not in exclude}


def _power_at(p: dict[str, Any], effect_sd: float) -> float:
    parts = p["_parts"]
    cdf, critical = _quantiles(p, parts["df"])
    return float(cdf(abs(effect_sd) / np.sqrt(parts["variance"]) - critical))


def design_power(
    *,
    effect: float | Sequence[float],
    n: float | Sequence[float] | None = None,
    clusters: float | Sequence[float] | None = None,
    cluster_size: float | Sequence[float] | None = None,
    icc: float | Sequence[float] = 0.0,
    treated_share: float | Sequence[float] = 0.5,
    r2_individual: float | Sequence[float] = 0.0,
    r2_cluster: float | Sequence[float] = 0.0,
    attrition: float | Sequence[float] = 0.0,
    alpha: float | Sequence[float] = 0.05,
    alternative: str = "two_sided",
    distribution: str = "t",
    covariates: int = 0,
    sd: float | Sequence[float] | None = None,
    baseline_proportion: float | Sequence[float] | None = None,
) -> pd.DataFrame:
    """Power of an individually or cluster-randomised design to detect ``effect``.

    Parameters
    ----------
    effect : float
        True effect: in SD units, or in the outcome's units with ``sd``, or in proportion
        points with ``baseline_proportion``.
    {params}

    Returns
    -------
    DataFrame
        As :func:`mde`, with ``quantity`` = ``"power"`` and ``estimate`` the power.

    Notes
    -----
    The inverse of the MDES formula: with :math:`\\delta` the standardised effect and
    :math:`\\sigma_\\delta` its standard error,
    :math:`1 - \\beta = F_{df}(\\delta / \\sigma_\\delta - t_{1 - \\alpha / k, df})`.
    """
    what = "design_power()"
    rows = []
    for p in _design_scenarios(what, power=None, **_collect(locals(), exclude=("what", "rows"))):
        _check_design(p, what)
        p["_parts"] = _design_parts(p, what)
        effect_sd = p["effect"] / p["_scale"]
        p["power"] = _power_at(p, effect_sd)
        rows.append(_design_row(p, "power", p["power"], abs(effect_sd)))
    return make_result(rows, _design_info("design_power"), id_columns=["quantity"])


def sample_size(
    *,
    effect: float | Sequence[float],
    power: float | Sequence[float] = 0.8,
    solve_for: str = "n",
    n: float | Sequence[float] | None = None,
    clusters: float | Sequence[float] | None = None,
    cluster_size: float | Sequence[float] | None = None,
    icc: float | Sequence[float] = 0.0,
    treated_share: float | Sequence[float] = 0.5,
    r2_individual: float | Sequence[float] = 0.0,
    r2_cluster: float | Sequence[float] = 0.0,
    attrition: float | Sequence[float] = 0.0,
    alpha: float | Sequence[float] = 0.05,
    alternative: str = "two_sided",
    distribution: str = "t",
    covariates: int = 0,
    sd: float | Sequence[float] | None = None,
    baseline_proportion: float | Sequence[float] | None = None,
) -> pd.DataFrame:
    """Sample size (individuals, clusters or cluster size) that detects ``effect`` with ``power``.

    Parameters
    ----------
    effect : float
        Effect to detect (units as in :func:`design_power`).
    power : float
        Target power.
    solve_for : {"n", "clusters", "cluster_size"}
        ``n``: total individuals of an individually randomised design; ``clusters``: total
        clusters given ``cluster_size``; ``cluster_size``: individuals per cluster given
        ``clusters``.
    {params}

    Returns
    -------
    DataFrame
        As :func:`mde`, with ``quantity`` = ``solve_for``, ``estimate`` the exact (fractional)
        solution and ``required`` its ceiling.

    Raises
    ------
    EstimationError
        No size reaches the power, e.g. more individuals per cluster cannot beat the ICC:
        with :math:`J` clusters the MDES never falls below
        :math:`M \\sqrt{\\rho (1 - R_2^2) / (P (1 - P) J)}`.
    """
    what = "sample_size()"
    target = _choice(solve_for, ("n", "clusters", "cluster_size"), "solve_for", what)
    rows = []
    for p in _design_scenarios(
        what, **_collect(locals(), exclude=("what", "rows", "target", "solve_for"))
    ):
        _probability(p["power"], "power", what)
        if p[target] is not None:
            raise ParamsError(f"{what}: solve_for={target!r} but {target} is given; leave it out")
        if target == "n" and (p["clusters"] is not None or p["cluster_size"] is not None):
            raise ParamsError(
                f"{what}: solve_for='n' is for individually randomised designs; for a cluster "
                "design use solve_for='clusters' or 'cluster_size'"
            )
        _check_design(p, what, solving=target)
        effect_sd = abs(p["effect"]) / p["_scale"]
        value = _solve_size(p, target, effect_sd, what)
        p[target] = value
        p["_parts"] = _design_parts(p, what)
        row = _design_row(p, target, value, effect_sd)
        row["required"] = int(np.ceil(value - 1e-9))
        rows.append(row)
    return make_result(rows, _design_info("sample_size"), id_columns=["quantity"])


def _solve_size(p: dict[str, Any], target: str, effect_sd: float, what: str) -> float:
    """The (fractional) n, clusters or cluster size at which power reaches ``p["power"]``."""

    def gap(value: float) -> float:
        trial = {**p, target: value}
        trial["_parts"] = _design_parts(trial, what)
        return _power_at(trial, effect_sd) - p["power"]

    uses_t = p["distribution"] == "t"
    if target == "cluster_size":
        low = 1.0
    elif target == "clusters":
        low = 2 + p["covariates"] + 1e-6 if uses_t else 1e-6
    else:  # the smallest n that leaves a positive df after attrition
        low = (2 + p["covariates"]) / (1 - p["attrition"]) + 1e-6 if uses_t else 1e-6
    if target == "cluster_size" and gap(1e9) < 0:
        raise EstimationError(
            f"{what}: with {p['clusters']:g} clusters and ICC {p['icc']:g} no cluster size "
            f"reaches power {p['power']:g} for an effect of {effect_sd:g} SD; the ICC sets a "
            "floor on the MDE that only more clusters (or cluster-level covariates) lower"
        )
    return _root(gap, low, 1e9, what, target.replace("_", " "))


# --------------------------------------------------------------------------- ICC


def _anova_icc(values: np.ndarray, groups: np.ndarray, level: float) -> dict[str, float]:
    """One-way ANOVA ICC with Searle's F-based interval."""
    codes = pd.factorize(groups)[0]
    counts = np.bincount(codes)
    n_total, n_groups = values.size, counts.size
    if n_groups < 2 or n_total <= n_groups:
        return {"estimate": np.nan, "n": n_total, "n_clusters": n_groups}
    means = np.bincount(codes, weights=values) / counts
    grand = values.mean()
    ms_between = np.sum(counts * (means - grand) ** 2) / (n_groups - 1)
    ms_within = np.sum((values - means[codes]) ** 2) / (n_total - n_groups)
    n0 = (n_total - np.sum(counts**2) / n_total) / (n_groups - 1)
    estimate = (ms_between - ms_within) / (ms_between + (n0 - 1) * ms_within)
    ratio = ms_between / ms_within if ms_within > 0 else np.nan
    tail = (1 - level) / 2
    f_high = stats.f.isf(tail, n_groups - 1, n_total - n_groups)
    f_low = stats.f.ppf(tail, n_groups - 1, n_total - n_groups)
    lower, upper = ratio / f_high, ratio / f_low
    return {
        "estimate": estimate,
        "ci_low": (lower - 1) / (lower + n0 - 1),
        "ci_high": (upper - 1) / (upper + n0 - 1),
        "p_value": stats.f.sf(ratio, n_groups - 1, n_total - n_groups),
        "n": n_total,
        "n_clusters": n_groups,
        "mean_cluster_size": n_total / n_groups,
        "n0": n0,
        "ms_between": ms_between,
        "ms_within": ms_within,
        "design_effect": 1 + (n_total / n_groups - 1) * estimate,
    }


def icc(
    data: pd.DataFrame,
    outcome: str | Sequence[str],
    cluster: str,
    level: float = 0.95,
) -> pd.DataFrame:
    """Intraclass correlation of one or more outcomes within clusters (one-way ANOVA estimator).

    Parameters
    ----------
    data : DataFrame
        One row per individual.
    outcome : str or list of str
        Numeric outcome columns (0/1 outcomes give the ICC on the proportion scale).
        Missing values are dropped per outcome.
    cluster : str
        Cluster column (school, neighbourhood); must not be missing.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``variable``, ``estimate`` (the ICC; can be negative when clusters differ less than
        chance), ``ci_low``/``ci_high`` (Searle's F-based interval, exact for equal cluster
        sizes), ``p_value`` (F-test of no cluster effect), ``n``, then ``n_clusters``,
        ``mean_cluster_size``, ``n0`` (the ANOVA's adjusted cluster size), ``ms_between``,
        ``ms_within`` and ``design_effect`` (1 + (mean size - 1) ICC).

    Raises
    ------
    DataError
        A column is missing, an outcome is not numeric, or a cluster value is missing.

    Notes
    -----
    .. math::

        \\hat\\rho = \\frac{MSB - MSW}{MSB + (n_0 - 1) MSW}, \\qquad
        n_0 = \\frac{N - \\sum_j m_j^2 / N}{J - 1}

    The interval replaces :math:`F = MSB / MSW` by :math:`F / F_{1-\\alpha/2}` and
    :math:`F / F_{\\alpha/2}` (with :math:`J - 1, N - J` df) in
    :math:`(F - 1) / (F + n_0 - 1)`. With equal cluster sizes and a positive estimate, the
    ANOVA estimator equals the REML variance-component ICC.

    References
    ----------
    Searle, S. R. (1971). *Linear Models*. Donner, A. (1986). A review of inference
    procedures for the intraclass correlation coefficient in the one-way random effects model.
    *International Statistical Review* 54, 67–82.

    See Also
    --------
    R: ``ICC::ICCest``; ``psych::ICC`` (ICC1).
    """
    outcomes = as_list(outcome)
    require_columns(data, [*outcomes, cluster], what="icc() data")
    if data[cluster].isna().any():
        rows = list(data.index[data[cluster].isna()])
        raise DataError(
            f"icc(), column '{cluster}': {len(rows)} rows have no cluster (rows "
            f"{format_values(rows)}); fill the cluster or drop these rows first"
        )
    if not 0 < level < 1:
        raise ParamsError(f"icc(): level={level!r} must be between 0 and 1")
    groups = data[cluster].to_numpy()
    rows = []
    for name in outcomes:
        values = require_numeric(data, name, what="icc()")
        keep = ~np.isnan(values)
        rows.append({"variable": name, **_anova_icc(values[keep], groups[keep], level)})
    info = ResultInfo(
        estimator="power.icc",
        method="one-way ANOVA estimator of the intraclass correlation",
        level=level,
        vcov="Searle F-based interval",
        n_obs=len(data),
        reference="ICC::ICCest; psych::ICC (ICC1)",
    )
    return make_result(rows, info, id_columns=["variable"])


for _function in (mde, design_power, sample_size):
    _function.__doc__ = _function.__doc__.replace("{params}", _DESIGN_DOC_PARAMS.strip("\n")[4:])
