"""Regression core of the impact estimators: model frames, OLS/WLS, logit, coefficient rows.

Arrays inside, labelled tables at the edge: the public estimators (``did``, ``ancova``,
``balance_table``, ``attrition``) build a :class:`ModelFrame` from the data, fit it here,
take a named variance estimator from :mod:`evaluation.covariance` and turn the result into
rows of the tidy table with :func:`coefficient_rows`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from evaluation import covariance
from evaluation.covariance import ClusterIndex, Covariance, ModelArrays
from evaluation.errors import (
    DataError,
    EstimationError,
    MissingDataWarning,
    ParamsError,
    format_values,
)
from evaluation.validation import require_columns, require_numeric, require_positive

INTERCEPT = "(Intercept)"

FAMILIES = ("gaussian", "binomial")


# --------------------------------------------------------------------------- model frame
@dataclass(frozen=True)
class ModelFrame:
    """The complete-case rows of the variables one model uses.

    Attributes
    ----------
    data : DataFrame
        Only the used columns, rows with a missing value removed (original index kept).
    clusters : ClusterIndex or None
    weights : ndarray or None
    notes : tuple of str
        What was dropped and why.
    n_dropped : int
    """

    data: pd.DataFrame
    clusters: ClusterIndex | None
    weights: np.ndarray | None
    notes: tuple[str, ...] = ()
    n_dropped: int = 0


def model_frame(
    data: pd.DataFrame,
    columns: Sequence[str],
    cluster: str | None = None,
    weights: str | None = None,
    what: str = "data",
    warn: bool = True,
    optional: Sequence[str] = (),
    stacklevel: int = 4,
) -> ModelFrame:
    """Select ``columns`` (+ cluster, weights), drop incomplete rows and say so.

    Columns in ``optional`` are kept but may be missing (they do not make a row incomplete).

    Numeric columns are checked with :func:`~evaluation.validation.require_numeric`;
    non-numeric columns (categorical covariates) are kept as they are. Rows with a missing
    value in any used column are dropped, with a :class:`MissingDataWarning` and a note.

    Raises
    ------
    DataError
        A column is missing, a weight is not positive, or no complete rows remain.
    """
    used = list(dict.fromkeys([*columns, *(c for c in (cluster, weights) if c)]))
    require_columns(data, [*used, *optional], what)
    frame = data.loc[:, list(dict.fromkeys([*used, *optional]))]
    complete = frame[used].notna().all(axis=1).to_numpy()
    n_dropped = int((~complete).sum())
    notes: tuple[str, ...] = ()
    if n_dropped:
        counts = frame[used].isna().sum()
        detail = ", ".join(f"{c} ({int(k)})" for c, k in counts.items() if k)
        notes = (f"{n_dropped} of {len(frame)} rows dropped for missing values: {detail}",)
        if warn:
            warnings.warn(f"{what}: {notes[0]}", MissingDataWarning, stacklevel=stacklevel)
        frame = frame.loc[complete]
    if frame.empty:
        raise DataError(
            f"{what}: no rows have all of {format_values(used)} present; check the columns "
            "or the filters applied before this call"
        )
    w = None
    if weights:
        w = require_numeric(frame, weights, what)
        require_positive(w, weights, what)
    clusters = ClusterIndex.from_values(frame[cluster]) if cluster else None
    return ModelFrame(frame, clusters, w, notes, n_dropped)


def binary(frame: pd.DataFrame, column: str, what: str = "data") -> np.ndarray:
    """A 0/1 (or boolean) column as float, or a :class:`DataError` naming the bad values."""
    values = frame[column]
    if values.dtype == bool:
        return values.to_numpy(dtype=float)
    numeric = require_numeric(frame, column, what)
    bad = ~np.isin(numeric, (0.0, 1.0))
    if bad.any():
        found = sorted(set(numeric[bad].tolist()))
        raise DataError(
            f"{what}, column '{column}': expected 0/1 (or True/False), found "
            f"{format_values(found)} in {int(bad.sum())} rows; recode it as 1 = yes, 0 = no"
        )
    return numeric


def covariate_matrix(
    frame: pd.DataFrame, covariates: Sequence[str], what: str
) -> tuple[np.ndarray, list[str]]:
    """Numeric covariates as columns; text/categorical ones as dummies (first level dropped).

    Dummy columns are named ``column[T.level]``, as patsy and R name them.
    """
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for column in covariates:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            blocks.append(values.to_numpy(dtype=float)[:, None])
            names.append(column)
            continue
        levels = sorted(pd.unique(values), key=str)
        for level in levels[1:]:
            blocks.append((values == level).to_numpy(dtype=float)[:, None])
            names.append(f"{column}[T.{level}]")
    if not blocks:
        return np.empty((len(frame), 0)), []
    return np.hstack(blocks), names


# --------------------------------------------------------------------------- absorption
@dataclass(frozen=True)
class Absorbed:
    """Fixed effects removed by the within transformation.

    Attributes
    ----------
    n_levels : int
        Number of fixed-effect levels absorbed.
    nested : bool
        Whether every level lies inside one cluster (then, as fixest and Stata's
        ``xtreg, fe`` do, the levels are not counted in CR1's small-sample factor; one
        parameter is counted for the constant they replace).
    """

    n_levels: int
    nested: bool


def demean(values: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Subtract the (weighted) group mean from each column: the within transformation."""
    codes, uniques = pd.factorize(groups)
    n_groups = len(uniques)
    w = np.ones(len(codes)) if weights is None else weights
    totals = np.bincount(codes, weights=w, minlength=n_groups)
    values = np.asarray(values, dtype=float)
    flat = values[:, None] if values.ndim == 1 else values
    means = np.column_stack(
        [
            np.bincount(codes, weights=w * flat[:, j], minlength=n_groups) / totals
            for j in range(flat.shape[1])
        ]
    )
    out = flat - means[codes]
    return out[:, 0] if values.ndim == 1 else out


def nested_in(groups: np.ndarray, clusters: ClusterIndex | None) -> bool:
    """Whether each group's rows all fall in one cluster."""
    if clusters is None:
        return False
    pairs = pd.DataFrame({"g": groups, "c": clusters.codes}).drop_duplicates()
    return not pairs["g"].duplicated().any()


# --------------------------------------------------------------------------- fitting
@dataclass(frozen=True)
class Fit:
    """A fitted linear or logistic regression.

    Attributes
    ----------
    terms : tuple of str
        Coefficient names, aligned with ``coef``.
    coef : ndarray
    model : ModelArrays
        What the variance estimators need.
    X, y, weights : arrays
        The (possibly within-transformed) design, response and weights used.
    clusters : ClusterIndex or None
    family : str
        ``"gaussian"`` or ``"binomial"``.
    absorbed : Absorbed or None
    notes : tuple of str
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    model: ModelArrays
    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray | None
    clusters: ClusterIndex | None
    family: str = "gaussian"
    absorbed: Absorbed | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        """Number of observations."""
        return int(self.X.shape[0])

    def index(self, term: str) -> int:
        """Position of ``term`` in :attr:`terms`."""
        return self.terms.index(term)


def check_rank(
    X: np.ndarray, terms: Sequence[str], weights: np.ndarray | None, what: str
) -> np.ndarray:
    """Return :math:`X'WX`, or raise :class:`EstimationError` naming a collinear regressor."""
    XW = X if weights is None else X * weights[:, None]
    xtx = XW.T @ X
    scale = np.sqrt(np.clip(np.diag(xtx), 1e-300, None))
    corr = xtx / np.outer(scale, scale)
    if np.any(np.diag(xtx) <= 1e-12 * len(X)) or np.linalg.cond(corr) > 1e12:
        for j in range(1, len(terms) + 1):
            sub = corr[:j, :j]
            if np.diag(xtx)[j - 1] <= 1e-12 * len(X) or np.linalg.cond(sub) > 1e12:
                raise EstimationError(
                    f"{what}: regressor '{terms[j - 1]}' has no variation or is a linear "
                    f"combination of {format_values(terms[: j - 1]) or 'nothing'} in the rows "
                    "used; drop it, or check that both arms and both periods have data"
                )
    return xtx


def fit_ols(
    X: np.ndarray,
    y: np.ndarray,
    terms: Sequence[str],
    weights: np.ndarray | None = None,
    clusters: ClusterIndex | None = None,
    absorbed: Absorbed | None = None,
    what: str = "model",
) -> Fit:
    """Ordinary (or weighted) least squares, as R's ``lm(y ~ X, weights = w)``.

    .. math:: \\hat\\beta = (X'WX)^{-1} X'Wy, \\qquad
              \\hat\\sigma^2 = \\sum_i w_i e_i^2 / (n - k)

    ``k`` counts absorbed fixed-effect levels, so ``iid`` and ``HC1`` equal the
    dummy-variable (LSDV) regression's.
    """
    xtx = check_rank(X, terms, weights, what)
    bread = np.linalg.inv(xtx)
    bread = (bread + bread.T) / 2
    Wy = y if weights is None else y * weights
    coef = bread @ (X.T @ Wy)
    resid = y - X @ coef
    n, k_slopes = X.shape
    k = k_slopes + (absorbed.n_levels if absorbed else 0)
    if n - k <= 0:
        raise EstimationError(f"{what}: {n} observations cannot identify {k} parameters")
    k_cluster = k
    if absorbed and absorbed.nested:
        # fixest's ssc(fixef.K = "nested") and Stata's xtreg, fe: nested levels are not
        # counted, the constant they replace is.
        k_cluster = k_slopes + 1
    W = np.ones(n) if weights is None else weights
    model = ModelArrays(
        U=X,
        W=W,
        theta=np.ones(n),
        r=resid,
        bread=bread,
        scale=float(np.sum(W * resid**2) / (n - k)),
        k=k,
        df_resid=float(n - k),
        k_cluster=k_cluster,
        absorbed=absorbed is not None,
    )
    return Fit(tuple(terms), coef, model, X, y, weights, clusters, "gaussian", absorbed)


def fit_logit(
    X: np.ndarray,
    y: np.ndarray,
    terms: Sequence[str],
    weights: np.ndarray | None = None,
    clusters: ClusterIndex | None = None,
    what: str = "model",
    tol: float = 1e-13,
    max_iter: int = 100,
) -> Fit:
    """Logistic regression by Newton–Raphson, as R's ``glm(family = binomial)``.

    Iterates to full convergence (relative coefficient change below ``tol``), as the
    reference values require: R's default ``epsilon = 1e-8`` leaves sandwich SEs ~1e-5 off.
    ``weights`` are prior weights (R ``glm(weights=)``).
    """
    if np.any((y != 0) & (y != 1)):
        raise DataError(f"{what}: a logit needs a 0/1 outcome")
    w = np.ones(len(y)) if weights is None else weights
    check_rank(X, terms, w, what)
    coef = np.zeros(X.shape[1])
    for _ in range(max_iter):
        p = special.expit(X @ coef)
        v = p * (1 - p)
        info = (X * (w * v)[:, None]).T @ X
        step = np.linalg.solve(info, X.T @ (w * (y - p)))
        coef = coef + step
        if np.max(np.abs(step)) <= tol * (1 + np.max(np.abs(coef))):
            break
    else:
        raise EstimationError(f"{what}: the logit did not converge in {max_iter} iterations")
    p = special.expit(X @ coef)
    v = p * (1 - p)
    if np.any(v < 1e-10):
        raise EstimationError(
            f"{what}: fitted probabilities of 0 or 1 occurred (perfect separation); "
            "use a linear probability model or drop the separating regressor"
        )
    bread = np.linalg.inv((X * (w * v)[:, None]).T @ X)
    k = X.shape[1]
    model = ModelArrays(
        U=X * v[:, None],
        W=w / v,
        theta=v / w,
        r=y - p,
        bread=(bread + bread.T) / 2,
        scale=1.0,
        k=k,
        df_resid=np.inf,
    )
    return Fit(tuple(terms), coef, model, X, y, weights, clusters, "binomial")


def fit(
    X: np.ndarray,
    y: np.ndarray,
    terms: Sequence[str],
    family: str = "gaussian",
    **kwargs: object,
) -> Fit:
    """Dispatch to :func:`fit_ols` or :func:`fit_logit` by ``family``."""
    if family == "gaussian":
        return fit_ols(X, y, terms, **kwargs)  # type: ignore[arg-type]
    if family == "binomial":
        if kwargs.pop("absorbed", None) is not None:
            raise ParamsError("unit fixed effects are only available for the linear model")
        return fit_logit(X, y, terms, **kwargs)  # type: ignore[arg-type]
    raise ParamsError(f"family={family!r} is not supported; choose one of: {', '.join(FAMILIES)}")


# --------------------------------------------------------------------------- inference
def variance(fitted: Fit, vcov: str) -> Covariance:
    """The named variance estimator for ``fitted`` (clusters taken from the fit)."""
    name = covariance.canonical_name(vcov)
    clusters = fitted.clusters if name in covariance.CLUSTERED else None
    return covariance.compute(name, fitted.model, clusters)


def t_inference(
    estimate: np.ndarray, se: np.ndarray, df: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided p-values and ``level`` CIs from t(df) (normal where df is infinite)."""
    df = np.asarray(df, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
    p = 2 * stats.t.sf(np.abs(t), df)
    q = stats.t.ppf(0.5 + level / 2, df)
    return p, estimate - q * se, estimate + q * se


def coefficient_rows(
    fitted: Fit, cov: Covariance, level: float, labels: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per coefficient: ``term, estimate, se, ci_low, ci_high, p_value, df, n``.

    ``df`` is the t reference's degrees of freedom (NaN for a normal reference).
    """
    se = cov.se
    p, low, high = t_inference(fitted.coef, se, cov.df, level)
    df = np.where(np.isinf(cov.df), np.nan, cov.df)
    return pd.DataFrame(
        {
            "term": list(labels or fitted.terms),
            "estimate": fitted.coef,
            "se": se,
            "ci_low": low,
            "ci_high": high,
            "p_value": p,
            "df": df,
            "n": fitted.n,
        }
    )


def check_level(level: float) -> float:
    """Return ``level`` or raise :class:`ParamsError` unless 0 < level < 1."""
    if not isinstance(level, int | float) or not 0 < level < 1:
        raise ParamsError(f"level={level!r} must be a number between 0 and 1, such as 0.95")
    return float(level)


def weighted_sd(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Sample SD (n-1 divisor); with weights, Stata's ``[aw=]``/``svyvar`` form.

    .. math:: s^2 = \\frac{n}{n-1} \\frac{\\sum w_i (x_i - \\bar x_w)^2}{\\sum w_i}
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 2:
        return float("nan")
    if weights is None:
        return float(np.std(values, ddof=1))
    mean = np.average(values, weights=weights)
    var = np.average((values - mean) ** 2, weights=weights) * n / (n - 1)
    return float(np.sqrt(var))


def regress(
    X: np.ndarray,
    y: np.ndarray,
    terms: Sequence[str],
    *,
    vcov: str,
    level: float,
    weights: np.ndarray | None = None,
    cluster_values: np.ndarray | None = None,
    absorb: np.ndarray | None = None,
    what: str = "model",
) -> tuple[Fit, Covariance, pd.DataFrame]:
    """Fit OLS/WLS (absorbing the groups in ``absorb``) and return fit, variance and rows.

    The convenience path of ``balance_table`` and ``attrition``: many small regressions
    that differ only in their rows.
    """
    clusters = None if cluster_values is None else ClusterIndex.from_values(cluster_values)
    absorbed = None
    if absorb is not None:
        X = demean(X, absorb, weights)
        y = demean(y, absorb, weights)
        absorbed = Absorbed(int(pd.Series(absorb).nunique()), nested_in(absorb, clusters))
    fitted = fit_ols(X, y, terms, weights, clusters, absorbed, what)
    cov = variance(fitted, vcov)
    return fitted, cov, coefficient_rows(fitted, cov, level)


def wald_f(fitted: Fit, cov: Covariance, positions: Sequence[int]) -> dict[str, float]:
    """Joint Wald F-test that the coefficients at ``positions`` are all zero.

    .. math:: F = \\hat\\beta_R' V_R^{-1} \\hat\\beta_R / q \\sim F(q, d)

    with ``d`` the coefficients' t degrees of freedom (G - 1 for CR0/CR1, n - k for iid/HC),
    as Stata's ``test`` after ``regress, vce(cluster)``. Returns NaN statistics when
    :math:`V_R` is singular (e.g. more variables than clusters - 1).
    """
    idx = list(positions)
    q = len(idx)
    beta = fitted.coef[idx]
    V = cov.matrix[np.ix_(idx, idx)]
    denom_df = float(np.min(cov.df[idx]))
    if np.linalg.matrix_rank(V) < q:
        return {"statistic": np.nan, "df_num": float(q), "df_denom": denom_df, "p_value": np.nan}
    statistic = float(beta @ np.linalg.solve(V, beta) / q)
    p = (
        float(stats.f.sf(statistic, q, denom_df))
        if np.isfinite(denom_df)
        else float(stats.chi2.sf(statistic * q, q))
    )
    return {"statistic": statistic, "df_num": float(q), "df_denom": denom_df, "p_value": p}
