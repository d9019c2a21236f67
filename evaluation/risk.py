"""Risk-factor model for young people's drug use: survey-weighted logistic regression.

The municipality asked which factors predict young people's use of narcotic substances.
:func:`risk_model` fits the survey-weighted logistic regression of a 0/1 use indicator
(lifetime or 30-day cannabis) on risk and protective factors (peer use, own smoking,
perceived availability, family management, school commitment, attitudes, a parent abroad,
sex, age) with :func:`evaluation.survey.regress` (R ``svyglm``: weights, strata and school
clusters), and reports

* odds ratios with confidence intervals (the exponentiated coefficient interval);
* average marginal effects in proportion points, with design-based standard errors;
* population attributable fractions for modifiable binary factors;
* the events-per-variable check, with Firth's penalised likelihood as an option when events
  are few, and the area under the ROC curve as an optional diagnostic.

:func:`risk_reading` turns the model into a short plain-language reading in English or
Albanian from the report texts (``evaluation/report/i18n``), with the warning that the model
describes groups and must not be used to label individual students.

Examples
--------
>>> design = Design(youth, weights="weight", strata="stratum", clusters="school_code")  # doctest: +SKIP
>>> model = risk_model(design, "cannabis_life", ["peer_use", "smokes", "age", "sex"],
...                    modifiable=["peer_use", "smokes"])  # doctest: +SKIP
>>> model.odds_ratios  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from evaluation.errors import (
    DataError,
    EstimationError,
    ParamsError,
    WorkbenchWarning,
    format_values,
)
from evaluation.results import ResultInfo, make_result, result_info
from evaluation.survey import Design, regress, total
from evaluation.validation import as_list, require_columns

__all__ = [
    "MIN_EPV",
    "Factor",
    "FewEventsWarning",
    "RiskModel",
    "risk_model",
    "risk_reading",
]

MIN_EPV = 10.0
"""Fewest events per model term before :class:`FewEventsWarning` (Peduzzi et al. 1996)."""

PENALTIES = (None, "firth")
AME_SE = ("linearization", "delta")
_MAX_ITER = 200
_TOL = 1e-10


class FewEventsWarning(WorkbenchWarning):
    """The outcome has fewer than :data:`MIN_EPV` events per model term: estimates are
    unstable and biased away from 1; use fewer factors or ``penalty="firth"``."""


@dataclass(frozen=True)
class Factor:
    """One factor of the model and the model-matrix columns it owns.

    Attributes
    ----------
    name : str
        Column of the data.
    kind : {"binary", "continuous", "categorical"}
        0/1 (or boolean) columns are binary; other numbers continuous; text or categorical
        columns get one dummy per level except the first (the reference).
    levels : tuple of str
        Categorical levels, reference first (empty for the other kinds).
    columns : tuple of int
        Positions in the model matrix (after the intercept at 0).
    """

    name: str
    kind: str
    levels: tuple[str, ...] = ()
    columns: tuple[int, ...] = ()

    def labels(self) -> list[str]:
        """Term labels: the name, or ``name[level]`` for each non-reference level."""
        if self.kind == "categorical":
            return [f"{self.name}[{level}]" for level in self.levels[1:]]
        return [self.name]


@dataclass(frozen=True)
class RiskModel:
    """A fitted risk-factor model (see :func:`risk_model`).

    Attributes
    ----------
    outcome : str
    factors : tuple of Factor
    odds_ratios, marginal_effects, attributable : DataFrame
        Tidy result tables (see :func:`risk_model`).
    fit : DataFrame
        One row of model facts: ``n``, ``events``, ``non_events``, ``terms``, ``epv``,
        ``prevalence`` (weighted share of 1s), ``penalty``, ``auc`` (NaN unless asked for),
        ``design_df``.
    coefficients : DataFrame
        The log-odds table (``survey.regress`` for the unpenalised fit).
    """

    outcome: str
    factors: tuple[Factor, ...]
    odds_ratios: pd.DataFrame
    marginal_effects: pd.DataFrame
    attributable: pd.DataFrame
    fit: pd.DataFrame
    coefficients: pd.DataFrame = field(repr=False)


@dataclass(frozen=True)
class _Fitted:
    """Arrays of the fit on the rows used (positions ``rows`` of the design data)."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray  # sampling weights of the rows used (as given)
    rows: np.ndarray
    coef: np.ndarray
    influence: np.ndarray  # (n_used, p): each row's influence on the coefficients
    df: float


def risk_model(
    design: Design,
    outcome: str,
    factors: str | Sequence[str],
    *,
    modifiable: str | Sequence[str] = (),
    penalty: str | None = None,
    ame_se: str = "linearization",
    auc: bool = False,
    level: float = 0.95,
) -> RiskModel:
    """Survey-weighted logistic regression of a 0/1 outcome on risk and protective factors.

    Parameters
    ----------
    design : evaluation.survey.Design
        The survey design (weights, strata, school clusters). Its weights must be a column
        (or absent: all 1).
    outcome : str
        0/1 (or boolean) column, e.g. lifetime cannabis use.
    factors : str or list of str
        Factor columns: 0/1 columns (binary), other numbers (continuous, per unit), text or
        categorical columns (one dummy per level, the first level the reference).
        Rows missing the outcome or any factor are left out; the design is kept whole.
    modifiable : str or list of str
        Binary factors (1 = exposed) for which to compute the population attributable
        fraction.
    penalty : {None, "firth"}
        None: maximum likelihood (``svyglm``). ``"firth"``: Firth's penalised likelihood,
        which removes the first-order small-sample bias and stays finite under separation.
    ame_se : {"linearization", "delta"}
        Standard errors of the marginal effects and attributable fractions:
        ``"linearization"`` (default) treats both the coefficients and the covariate
        distribution as estimated from the sample (Stata's ``margins, vce(unconditional)``);
        ``"delta"`` holds the sample's covariates fixed and propagates only the coefficients'
        design-based covariance (Stata's default ``margins``, R ``marginaleffects`` on an
        ``svyglm``).
    auc : bool
        Also compute the survey-weighted area under the ROC curve of the fitted
        probabilities (a diagnostic of discrimination; report it only if the model is used
        for targeting).
    level : float
        Confidence level.

    Returns
    -------
    RiskModel
        ``odds_ratios``: one row per ``term`` (``factor``, ``level``): ``estimate`` = odds
        ratio, ``se`` = its delta-method SE (OR × SE of the log-odds), ``ci_low``/``ci_high``
        = the exponentiated log-odds interval, ``p_value`` (t test of the coefficient),
        ``df``, ``n``; then ``log_odds``, ``se_log_odds``. ``marginal_effects``: one row per
        term: the average marginal effect on the probability (proportion points): the mean
        change from 0 to 1 (binary), from the reference to the level (categorical), or the
        mean derivative per unit (continuous); ``kind`` says which. ``attributable``: one row
        per modifiable factor: ``estimate`` = PAF (share of the weighted prevalence that
        would not occur if no one were exposed, were the association causal), CI from the
        log(1 - PAF) scale, ``exposed_share`` (weighted), ``prevalence``,
        ``prevalence_unexposed`` (predicted with the factor set to 0). ``fit``: see
        :class:`RiskModel`.

    Raises
    ------
    DataError
        Missing columns, an outcome that is not 0/1, a modifiable factor that is not 0/1.
    ParamsError
        Unknown ``penalty`` or ``ame_se``; a modifiable name that is not a factor; design
        weights implied by an FPC (give a weights column).
    EstimationError
        Collinear factors, no events, or (unpenalised) separation.

    Warns
    -----
    FewEventsWarning
        Fewer than :data:`MIN_EPV` events (the rarer outcome value, unweighted) per model
        term (Peduzzi et al. 1996; Vittinghoff & McCulloch 2007 relax this to 5-9).

    Notes
    -----
    The model is :math:`\\operatorname{logit} P(y_i = 1) = x_i'\\beta`, fitted with the
    sampling weights; coefficient standard errors are the design-based sandwich of
    ``svyglm`` (Taylor linearisation over strata and school clusters), with t intervals on
    the design's residual degrees of freedom. Marginal effects, attributable fractions and
    their SEs are linearised: a weighted mean :math:`\\bar g = \\sum w_i g_i(\\hat\\beta)/\\sum w_i`
    has influence :math:`w_i (g_i - \\bar g)/W + G' \\phi_i` with :math:`G = \\partial \\bar g
    / \\partial \\beta` and :math:`\\phi_i` the coefficient influence of row *i*
    (:math:`U_i A^{-1}`); its variance is the design variance of the summed influence
    (``"delta"`` drops the first term). PAF is model-based (Greenland & Drescher 1993):
    :math:`1 - \\sum w_i \\hat p_i^{(0)} / \\sum w_i \\hat p_i`, with :math:`\\hat p_i^{(0)}`
    predicted with the factor set to 0. Firth's estimate solves
    :math:`\\sum_i x_i [w_i (y_i - \\mu_i) + h_i (1/2 - \\mu_i)] = 0` with :math:`h_i` the
    leverages of the weighted information (weights scaled to mean 1, as ``svyglm`` does);
    its SEs are the same design-based sandwich of this estimating equation.

    References
    ----------
    Lumley (2010), *Complex Surveys*, ch. 6; Graubard & Korn (1999), predictive margins with
    survey data; Greenland & Drescher (1993), maximum-likelihood estimation of the
    attributable fraction from logistic models; Firth (1993), Heinze & Schemper (2002);
    Peduzzi et al. (1996), events per variable.

    See Also
    --------
    R ``survey::svyglm(y ~ ..., design, family = quasibinomial())``, ``exp(confint(fit))``,
    ``survey::svypredmeans``; Stata ``svy: logit``, ``margins, vce(unconditional)``;
    ``logistf`` (Firth).
    """
    what = "risk_model()"
    factors = as_list(factors)
    modifiable = as_list(modifiable)
    _check_options(penalty, ame_se, level, modifiable, factors, what)
    data = design.data
    require_columns(data, [outcome, *factors], what=f"{what} data")
    X, y, used, fac = _model_parts(data, outcome, factors, what)
    weights = _row_weights(design, what)
    coefficients, fitted = _fit(design, X, y, used, fac, weights, penalty, level)
    facts = _facts(fitted, penalty, auc, fac, outcome, what)
    notes = _notes(fitted, facts, penalty, ame_se)
    n = len(fitted.y)
    odds = _odds_ratios(coefficients, fac, n, level, notes)
    effects = _marginal_effects(design, weights, fitted, fac, ame_se, level, notes)
    paf = _attributable(design, weights, fitted, fac, modifiable, ame_se, level, notes)
    return RiskModel(outcome, tuple(fac), odds, effects, paf, facts, coefficients)


def _check_options(
    penalty: object,
    ame_se: object,
    level: float,
    modifiable: list[str],
    factors: list[str],
    what: str,
) -> None:
    if penalty not in PENALTIES:
        raise ParamsError(f"{what}: penalty={penalty!r} is not supported; use None or 'firth'")
    if ame_se not in AME_SE:
        raise ParamsError(f"{what}: ame_se={ame_se!r}; choose 'linearization' or 'delta'")
    if not 0 < level < 1:
        raise ParamsError(f"{what}: level={level!r} must be between 0 and 1")
    if not factors:
        raise ParamsError(f"{what}: name at least one factor")
    unknown = [m for m in modifiable if m not in factors]
    if unknown:
        raise ParamsError(
            f"{what}: modifiable factor(s) {format_values(unknown)} are not in factors "
            f"({format_values(factors)}); add them to factors or drop them from modifiable"
        )


# --------------------------------------------------------------------------- model matrix
def _model_parts(
    data: pd.DataFrame, outcome: str, factors: list[str], what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Factor]]:
    """Model matrix and outcome of the complete rows, the rows used, and the factors."""
    used = data[outcome].notna().to_numpy().copy()
    for name in factors:
        used &= data[name].notna().to_numpy()
    if not used.any():
        raise DataError(f"{what}: no row has the outcome '{outcome}' and every factor")
    y = _binary(data.loc[used, outcome], outcome, what)
    columns, fac = [np.ones(int(used.sum()))], []
    for name in factors:
        values = data.loc[used, name]
        factor, block = _factor_block(name, values, len(columns), what)
        fac.append(factor)
        columns.extend(block)
    return np.column_stack(columns), y, np.flatnonzero(used), fac


def _binary(values: pd.Series, name: str, what: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | ~numbers.isin([0, 1])
    if bad.any():
        found = sorted({str(v) for v in values[bad]})
        raise DataError(
            f"{what}, column '{name}': expected 0/1 (1 = yes), found {format_values(found)} in "
            f"{int(bad.sum())} rows; recode it (e.g. lifetime use = occasions > 0)"
        )
    return numbers.to_numpy(dtype=float)


def _factor_block(
    name: str, values: pd.Series, start: int, what: str
) -> tuple[Factor, list[np.ndarray]]:
    numeric = pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values)
    if numeric and not isinstance(values.dtype, pd.CategoricalDtype):
        x = values.to_numpy(dtype=float)
        kind = "binary" if np.isin(x, (0.0, 1.0)).all() else "continuous"
        return Factor(name, kind, (), (start,)), [x]
    levels = _levels(values)
    if len(levels) < 2:
        raise EstimationError(
            f"{what}, factor '{name}': only one level ({format_values(levels)}) in the rows "
            "used; drop it from factors"
        )
    text = values.astype("string").to_numpy(dtype=object)
    block = [(text == level).astype(float) for level in levels[1:]]
    columns = tuple(range(start, start + len(block)))
    return Factor(name, "categorical", tuple(levels), columns), block


def _levels(values: pd.Series) -> list[str]:
    present = set(values.astype("string").dropna())
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(c) for c in values.cat.categories if str(c) in present]
    return sorted(present)


def _row_weights(design: Design, what: str) -> np.ndarray:
    if design.weights:
        return design.data[design.weights].to_numpy(dtype=float)
    if design.fpc:
        raise ParamsError(
            f"{what}: the design's weights are implied by its FPC; give them as a column "
            "(Design(..., weights='weight')) so marginal effects can be averaged"
        )
    return np.ones(len(design.data))


# --------------------------------------------------------------------------- fitting
def _fit(
    design: Design,
    X: np.ndarray,
    y: np.ndarray,
    used: np.ndarray,
    fac: list[Factor],
    weights: np.ndarray,
    penalty: str | None,
    level: float,
) -> tuple[pd.DataFrame, _Fitted]:
    w = weights[used]
    labels = ["(Intercept)", *[label for f in fac for label in f.labels()]]
    if penalty is None:
        table = _svyglm(design, X, y, used, labels, level)
        coef = table["estimate"].to_numpy(dtype=float)
        influence = _ml_influence(X, y, w, coef)
        df = float(table["df"].iloc[0])
    else:
        coef, influence = _firth(X, y, w, labels)
        df = float(_design_df(design, used) + 1 - X.shape[1])
        se = _influence_se(design, used, weights, influence)
        table = _coefficient_table(labels, coef, se, df, len(y), level)
    return table, _Fitted(X, y, w, used, coef, influence, df)


def _svyglm(
    design: Design, X: np.ndarray, y: np.ndarray, used: np.ndarray, labels: list[str], level: float
) -> pd.DataFrame:
    """``survey.regress(family="binomial")`` on the model matrix, with readable term labels."""
    n, p = len(design.data), X.shape[1]
    columns = {"_risk_y": _spread(y, used, n)}
    columns.update({f"_risk_x{j}": _spread(X[:, j], used, n) for j in range(1, p)})
    data = design.data.assign(**columns)
    formula = "_risk_y ~ " + (" + ".join(f"_risk_x{j}" for j in range(1, p)) or "1")
    table = regress(dataclasses.replace(design, data=data), formula, family="binomial", level=level)
    table["term"] = labels
    return table


def _spread(values: np.ndarray, used: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.nan)
    out[used] = values
    return out


def _ml_influence(X: np.ndarray, y: np.ndarray, w: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """:math:`U_i A^{-1}` of the weighted logistic MLE (weights scaled to mean 1, as svyglm)."""
    w = w / w.mean()
    mu = expit(X @ coef)
    bread = np.linalg.inv((X * (w * mu * (1 - mu))[:, None]).T @ X)
    return (X * (w * (y - mu))[:, None]) @ bread


def _firth(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, labels: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Firth's penalised logistic regression (Newton steps with step halving) and the
    influence of each row under its estimating equation."""
    w = w / w.mean()
    coef = np.zeros(X.shape[1])
    current = _penalised_loglik(X, y, w, coef)
    for _ in range(_MAX_ITER):
        score, info = _firth_score(X, y, w, coef)
        step = np.linalg.solve(info, score)
        for _half in range(30):
            trial = coef + step
            value = _penalised_loglik(X, y, w, trial)
            if value >= current - 1e-12:
                break
            step = step / 2
        coef, current = trial, value
        if np.max(np.abs(step)) < _TOL:
            score, info = _firth_score(X, y, w, coef)
            break
    else:
        raise EstimationError(
            f"Firth logistic regression did not converge in {_MAX_ITER} iterations (terms "
            f"{format_values(labels)}); check for constant or collinear factors"
        )
    mu = expit(X @ coef)
    h = _leverages(X, w * mu * (1 - mu), info)
    scores = X * (w * (y - mu) + h * (0.5 - mu))[:, None]
    return coef, scores @ np.linalg.inv(info)


def _firth_score(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, coef: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    mu = expit(X @ coef)
    v = w * mu * (1 - mu)
    info = (X * v[:, None]).T @ X
    h = _leverages(X, v, info)
    return X.T @ (w * (y - mu) + h * (0.5 - mu)), info


def _leverages(X: np.ndarray, v: np.ndarray, info: np.ndarray) -> np.ndarray:
    """Diagonal of :math:`V^{1/2} X (X'VX)^{-1} X' V^{1/2}`."""
    return v * np.einsum("ij,ij->i", X @ np.linalg.inv(info), X)


def _penalised_loglik(X: np.ndarray, y: np.ndarray, w: np.ndarray, coef: np.ndarray) -> float:
    """:math:`\\sum w_i \\ell_i(\\beta) + \\frac12 \\log|X'VX|` (Firth's objective)."""
    eta = X @ coef
    loglik = float(np.sum(w * (y * eta - np.logaddexp(0.0, eta))))
    mu = expit(eta)
    sign, logdet = np.linalg.slogdet((X * (w * mu * (1 - mu))[:, None]).T @ X)
    return loglik + 0.5 * logdet if sign > 0 else -np.inf


def _design_df(design: Design, used: np.ndarray) -> int:
    """PSUs minus strata among the rows used (R's ``degf`` of the subset design)."""
    data = design.data.iloc[used]
    clusters = design.clusters
    first = clusters[0] if isinstance(clusters, tuple) else clusters
    strata = data[design.strata].astype(str) if design.strata else pd.Series("", index=data.index)
    if first:
        psu = strata + "\x1f" + data[first].astype(str) if design.nest else data[first].astype(str)
        n_psu = psu.nunique()
    else:
        n_psu = len(data)
    return int(n_psu - strata.nunique())


def _influence_se(
    design: Design, used: np.ndarray, weights: np.ndarray, influence: np.ndarray
) -> np.ndarray:
    """Design-based SEs of the totals of the influence columns.

    ``survey.total`` of :math:`z_i = \\phi_i / w_i` estimates :math:`\\sum w_i z_i =
    \\sum \\phi_i` and linearises its variance over the design's strata, clusters and FPC,
    which is the variance of the statistic whose influence is :math:`\\phi`. Rows not used
    have influence 0 and stay in the design.
    """
    n = len(design.data)
    z = np.zeros((n, influence.shape[1]))
    z[used] = influence / weights[used][:, None]
    names = [f"_risk_z{j}" for j in range(influence.shape[1])]
    data = design.data.assign(**{name: z[:, j] for j, name in enumerate(names)})
    table = total(dataclasses.replace(design, data=data), names)
    return table["se"].to_numpy(dtype=float)


def _coefficient_table(
    labels: list[str], coef: np.ndarray, se: np.ndarray, df: float, n: int, level: float
) -> pd.DataFrame:
    rows = _t_rows(coef, se, df, level)
    rows.insert(0, "term", labels)
    rows["n"] = n
    info = ResultInfo(
        estimator="risk.firth",
        method="Firth penalised logistic regression, survey weights scaled to mean 1",
        level=level,
        vcov="design-based sandwich of the penalised estimating equation (linearisation)",
        n_obs=n,
        reference="logistf (point estimates); survey::svyglm (variance)",
    )
    return make_result(rows, info, id_columns=["term"])


def _t_rows(estimate: np.ndarray, se: np.ndarray, df: float, level: float) -> pd.DataFrame:
    q = stats.t.ppf(0.5 + level / 2, df) if df > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
        p = 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.full_like(t, np.nan)
    return pd.DataFrame(
        {
            "estimate": estimate,
            "se": se,
            "ci_low": estimate - q * se,
            "ci_high": estimate + q * se,
            "p_value": p,
            "df": df,
        }
    )


# --------------------------------------------------------------------------- model facts
def _facts(
    fitted: _Fitted, penalty: str | None, auc: bool, fac: list[Factor], outcome: str, what: str
) -> pd.DataFrame:
    events = int(fitted.y.sum())
    non_events = len(fitted.y) - events
    if events == 0 or non_events == 0:
        raise EstimationError(
            f"{what}: '{outcome}' is {int(events > 0)} for every row used; a model needs both "
            "users and non-users"
        )
    terms = fitted.X.shape[1] - 1
    epv = min(events, non_events) / terms
    if epv < MIN_EPV:
        warnings.warn(
            f"{what}: {min(events, non_events)} events for {terms} model terms "
            f"(EPV {epv:.1f} < {MIN_EPV:g}); odds ratios are unstable and biased away from "
            "1. Use fewer factors or penalty='firth'",
            FewEventsWarning,
            stacklevel=3,
        )
    prevalence = float(np.sum(fitted.w * fitted.y) / np.sum(fitted.w))
    value = _weighted_auc(expit(fitted.X @ fitted.coef), fitted.y, fitted.w) if auc else np.nan
    return pd.DataFrame(
        [
            {
                "n": len(fitted.y),
                "events": events,
                "non_events": non_events,
                "terms": terms,
                "epv": epv,
                "prevalence": prevalence,
                "penalty": penalty or "none",
                "auc": value,
                "design_df": fitted.df,
            }
        ]
    )


def _weighted_auc(score: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Survey-weighted AUC: the weighted share of (user, non-user) pairs in which the user
    has the higher fitted probability, ties counting one half."""
    order = np.argsort(score, kind="stable")
    s, yy, ww = score[order], y[order], w[order]
    _, start = np.unique(s, return_index=True)
    neg_below, wins = 0.0, 0.0
    for a, b in itertools.pairwise([*start.tolist(), len(s)]):
        pos = float(np.sum(ww[a:b] * yy[a:b]))
        neg = float(np.sum(ww[a:b] * (1 - yy[a:b])))
        wins += pos * (neg_below + 0.5 * neg)
        neg_below += neg
    pos_total = float(np.sum(w * y))
    total_pairs = pos_total * float(np.sum(w * (1 - y)))
    return wins / total_pairs


def _notes(fitted: _Fitted, facts: pd.DataFrame, penalty: str | None, ame_se: str) -> list[str]:
    row = facts.iloc[0]
    notes = [
        f"{int(row['n'])} rows used, {int(row['events'])} with the outcome; "
        f"{row['epv']:.1f} events per model term",
        "rows missing the outcome or a factor are left out; the design is kept whole",
        "intervals: t with the design's residual degrees of freedom (svyglm)",
        f"marginal effects and attributable fractions: {ame_se} standard errors "
        + (
            "(coefficients and covariate distribution both estimated; Stata margins, "
            "vce(unconditional))"
            if ame_se == "linearization"
            else "(covariates held at the sample's values; Stata margins default)"
        ),
    ]
    if row["epv"] < MIN_EPV:
        notes.append(f"fewer than {MIN_EPV:g} events per model term: interpret with caution")
    if penalty == "firth":
        notes.append("Firth penalised likelihood (bias-reduced odds ratios)")
    return notes


# --------------------------------------------------------------------------- odds ratios
def _odds_ratios(
    coefficients: pd.DataFrame, fac: list[Factor], n: int, level: float, notes: list[str]
) -> pd.DataFrame:
    rows = coefficients[coefficients["term"] != "(Intercept)"].reset_index(drop=True)
    names, levels = _term_owners(fac)
    log_odds, se_log = rows["estimate"].to_numpy(), rows["se"].to_numpy()
    odds = np.exp(log_odds)
    table = pd.DataFrame(
        {
            "factor": names,
            "level": levels,
            "term": rows["term"],
            "estimate": odds,
            "se": odds * se_log,
            "ci_low": np.exp(rows["ci_low"].to_numpy()),
            "ci_high": np.exp(rows["ci_high"].to_numpy()),
            "p_value": rows["p_value"],
            "df": rows["df"],
            "n": n,
            "log_odds": log_odds,
            "se_log_odds": se_log,
        }
    )
    base = result_info(coefficients)
    info = ResultInfo(
        estimator="risk.odds_ratios",
        method="survey-weighted logistic regression; odds ratio = exp(coefficient)",
        level=level,
        vcov=base.vcov,
        n_obs=n,
        reference="R exp(coef(svyglm)), exp(confint(svyglm))",
        notes=(*notes, "ci_low/ci_high exponentiate the log-odds interval; se is OR x SE(log OR)"),
    )
    return make_result(table, info, id_columns=["factor", "level", "term"])


def _term_owners(fac: list[Factor]) -> tuple[list[str], list[str]]:
    names, levels = [], []
    for f in fac:
        for label in f.labels():
            names.append(f.name)
            levels.append(label[len(f.name) + 1 : -1] if f.kind == "categorical" else "")
    return names, levels


# --------------------------------------------------------------------------- margins
def _mean_influence(
    fitted: _Fitted, g: np.ndarray, dg: np.ndarray, ame_se: str
) -> tuple[float, np.ndarray]:
    """Weighted mean of ``g`` (per row) and its influence (per row), given ``dg`` =
    d g_i / d beta (rows x p)."""
    w = fitted.w
    W = w.sum()
    value = float(np.sum(w * g) / W)
    gradient = (w @ dg) / W
    influence = fitted.influence @ gradient
    if ame_se == "linearization":
        influence = influence + w * (g - value) / W
    return value, influence


def _derivative(fitted: _Fitted, j: int) -> tuple[np.ndarray, np.ndarray]:
    """d mu_i / d x_ij = mu(1 - mu) beta_j, and its derivative with respect to beta."""
    mu = expit(fitted.X @ fitted.coef)
    v = mu * (1 - mu)
    beta = fitted.coef[j]
    dg = (beta * v * (1 - 2 * mu))[:, None] * fitted.X
    dg[:, j] += v
    return v * beta, dg


def _prediction(fitted: _Fitted, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted probabilities at ``X`` and their derivative with respect to beta."""
    mu = expit(X @ fitted.coef)
    return mu, (mu * (1 - mu))[:, None] * X


def _set(X: np.ndarray, columns: Sequence[int], on: int | None) -> np.ndarray:
    """``X`` with a factor's columns set to 0, and column ``on`` (if any) set to 1."""
    out = X.copy()
    out[:, list(columns)] = 0.0
    if on is not None:
        out[:, on] = 1.0
    return out


def _marginal_effects(
    design: Design,
    weights: np.ndarray,
    fitted: _Fitted,
    fac: list[Factor],
    ame_se: str,
    level: float,
    notes: list[str],
) -> pd.DataFrame:
    rows, influences = [], []
    for f in fac:
        for label, column in zip(f.labels(), f.columns, strict=True):
            if f.kind == "continuous":
                g, dg = _derivative(fitted, column)
                kind = "derivative"
            else:
                p1, d1 = _prediction(fitted, _set(fitted.X, f.columns, column))
                p0, d0 = _prediction(fitted, _set(fitted.X, f.columns, None))
                g, dg, kind = p1 - p0, d1 - d0, "discrete"
            value, influence = _mean_influence(fitted, g, dg, ame_se)
            rows.append({"factor": f.name, "term": label, "estimate": value, "kind": kind})
            influences.append(influence)
    se = _influence_se(design, fitted.rows, weights, np.column_stack(influences))
    table = pd.DataFrame(rows)
    inference = _t_rows(table["estimate"].to_numpy(), se, fitted.df, level)
    table = pd.concat([table[["factor", "term"]], inference, table[["kind"]]], axis=1)
    table["n"] = len(fitted.y)
    info = ResultInfo(
        estimator="risk.marginal_effects",
        method="average marginal effects on the probability (proportion points): discrete "
        "change for binary and categorical factors, mean derivative for continuous ones",
        level=level,
        vcov=f"{ame_se} (design-based)",
        n_obs=len(fitted.y),
        reference="R survey::svypredmeans (discrete changes); Stata margins, dydx()",
        notes=tuple(notes),
    )
    return make_result(table, info, id_columns=["factor", "term"])


# --------------------------------------------------------------------------- attributable
def _attributable(
    design: Design,
    weights: np.ndarray,
    fitted: _Fitted,
    fac: list[Factor],
    modifiable: list[str],
    ame_se: str,
    level: float,
    notes: list[str],
) -> pd.DataFrame:
    rows, influences = [], []
    for name in modifiable:
        f = next(f for f in fac if f.name == name)
        if f.kind != "binary":
            raise DataError(
                f"risk_model(): modifiable factor '{name}' is {f.kind}; attributable fractions "
                "are computed for 0/1 factors (1 = exposed). Recode it, e.g. low_monitoring = "
                "score < cut-off"
            )
        row, influence = _paf(fitted, f, ame_se)
        rows.append(row)
        influences.append(influence)
    columns = ["factor", "estimate", "se", "ci_low", "ci_high", "p_value", "df", "n"]
    extras = ["exposed_share", "prevalence", "prevalence_unexposed"]
    if not rows:
        table = pd.DataFrame(columns=[*columns, *extras])
    else:
        se_ratio = _influence_se(design, fitted.rows, weights, np.column_stack(influences))
        table = pd.DataFrame(rows)
        table = _paf_intervals(table, se_ratio, fitted.df, level)
        table["n"] = len(fitted.y)
    info = ResultInfo(
        estimator="risk.attributable",
        method="model-based population attributable fraction 1 - sum(w p0) / sum(w p), p0 "
        "predicted with the factor set to 0 (Greenland & Drescher 1993)",
        level=level,
        vcov=f"{ame_se} (design-based), interval on the log(1 - PAF) scale",
        n_obs=len(fitted.y),
        reference="Greenland & Drescher (1993); Stata punafcc",
        notes=(
            *notes,
            "a PAF is the share of use that would not occur if no one were exposed, only if the "
            "association were causal and the factor could be removed",
        ),
    )
    return make_result(table[[*columns, *extras]], info, id_columns=["factor"])


def _paf(fitted: _Fitted, f: Factor, ame_se: str) -> tuple[dict[str, object], np.ndarray]:
    """PAF and the influence of the ratio R = mean(p0) / mean(p) (PAF = 1 - R)."""
    p0, d0 = _prediction(fitted, _set(fitted.X, f.columns, None))
    p, d = _prediction(fitted, fitted.X)
    a, inf_a = _mean_influence(fitted, p0, d0, ame_se)
    b, inf_b = _mean_influence(fitted, p, d, ame_se)
    ratio = a / b
    w = fitted.w
    exposed = float(np.sum(w * fitted.X[:, f.columns[0]]) / w.sum())
    row = {
        "factor": f.name,
        "estimate": 1 - ratio,
        "ratio": ratio,
        "exposed_share": exposed,
        "prevalence": b,
        "prevalence_unexposed": a,
    }
    return row, (inf_a - ratio * inf_b) / b


def _paf_intervals(
    table: pd.DataFrame, se_ratio: np.ndarray, df: float, level: float
) -> pd.DataFrame:
    ratio = table["ratio"].to_numpy(dtype=float)
    q = stats.t.ppf(0.5 + level / 2, df) if df > 0 else np.nan
    se_log = se_ratio / ratio
    table["se"] = se_ratio
    table["ci_low"] = 1 - ratio * np.exp(q * se_log)
    table["ci_high"] = 1 - ratio * np.exp(-q * se_log)
    table["p_value"] = np.nan
    table["df"] = df
    return table


# --------------------------------------------------------------------------- reading
def risk_reading(
    model: RiskModel,
    language: str = "en",
    labels: dict[str, str] | None = None,
    outcome_label: str | None = None,
) -> str:
    """A plain-language reading of the model, in English or Albanian.

    Parameters
    ----------
    model : RiskModel
    language : {"en", "sq"}
        Language of the report texts (``evaluation/report/i18n/<language>.yaml``,
        section ``risk``).
    labels : dict, optional
        Reader-facing names of factors and terms (e.g. from the instrument's labels);
        default the column names.
    outcome_label : str, optional
        Reader-facing name of the outcome; default its column name.

    Returns
    -------
    str
        Paragraphs separated by blank lines: the sample, one sentence per factor term
        (higher, lower, or no clear association: the interval includes 1), one per
        attributable fraction, a caution when events are few or a penalty was used, and
        always the warning that the model describes groups and must not be used to label
        individual students.
    """
    from evaluation.report.labels import t
    from evaluation.report.tables import (
        format_count,
        format_interval,
        format_number,
        format_percent,
    )

    labels = labels or {}
    outcome = outcome_label or labels.get(model.outcome, model.outcome)
    facts = model.fit.iloc[0]
    level = format_number(100 * result_info(model.odds_ratios).level, 0, language)
    paragraphs = [
        t(
            "risk.intro",
            language,
            outcome=outcome,
            n=format_count(facts["n"], language),
            events=format_count(facts["events"], language),
            n_factors=len(model.factors),
            prevalence=format_percent(facts["prevalence"], 1, language),
        )
    ]
    lines = []
    for row in model.odds_ratios.itertuples(index=False):
        key = (
            "risk.unclear"
            if row.ci_low <= 1 <= row.ci_high
            else ("risk.higher" if row.estimate > 1 else "risk.lower")
        )
        name = labels.get(row.term, labels.get(row.factor, row.term))
        lines.append(
            t(
                key,
                language,
                factor=name,
                odds_ratio=format_number(row.estimate, 2, language),
                level=level,
                interval=format_interval(row.ci_low, row.ci_high, 2, language),
            )
        )
    paragraphs.append("\n".join(f"- {line}" for line in lines))
    for row in model.attributable.itertuples(index=False):
        name = labels.get(row.factor, row.factor)
        key = "risk.attributable" if row.ci_low > 0 else "risk.attributable_unclear"
        paragraphs.append(
            t(
                key,
                language,
                factor=name,
                outcome=outcome,
                paf=format_percent(row.estimate, 0, language),
                level=level,
                interval=format_interval(row.ci_low, row.ci_high, 0, language, percent=True),
            )
        )
    if facts["epv"] < MIN_EPV:
        paragraphs.append(
            t(
                "risk.few_events",
                language,
                events=format_count(min(facts["events"], facts["non_events"]), language),
                epv=format_number(facts["epv"], 1, language),
            )
        )
    if facts["penalty"] == "firth":
        paragraphs.append(t("risk.firth", language))
    paragraphs.append(t("risk.caution", language))
    return "\n\n".join(paragraphs)
