"""Restricted wild cluster bootstrap-t (WCR) with Rademacher or Webb weights.

The bootstrap imposes the null :math:`\\beta_j = \\beta_0` on the data-generating process,
flips the restricted residuals of whole clusters with random weights :math:`v_g`, re-estimates
the model and its CR1 t-statistic, and compares :math:`|t|` with the bootstrap
:math:`|t^*_b|` (MacKinnon & Webb 2017; Roodman, MacKinnon, Nielsen & Webb 2019, the
``boottest`` algorithm).

Everything is computed from cluster-level sufficient statistics, so a replication costs
O(G²) operations, not O(n): with :math:`A = (X'WX)^{-1}`, :math:`a = A' e_j`,
:math:`S_g = X_g'W_g\\tilde u_g` and :math:`L_g = a'X_g'W_gX_g A`,

.. math::

    t^*_b = \\frac{\\sum_g v_{gb}\\, a'S_g}
                 {\\sqrt{c\\,\\sum_h \\big(v_{hb}\\, a'S_h - L_h \\sum_g v_{gb} S_g\\big)^2}},
    \\qquad c = \\frac{G}{G-1}\\frac{n-1}{n-k}.

The restricted residuals are linear in :math:`\\beta_0`, so numerator and squared
denominator are a line and a quadratic in :math:`\\beta_0` for every draw; the confidence
interval is found by test inversion (the set of :math:`\\beta_0` whose p-value exceeds
1 - level) at O(B) per trial value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.covariance import ClusterIndex, cluster_sums
from evaluation.errors import EstimationError, FewClustersWarning, ParamsError, format_values
from evaluation.impact import _regression as reg
from evaluation.results import ResultInfo, make_result
from evaluation.validation import as_list, require_numeric

__all__ = [
    "DEFAULT_REPS",
    "DEFAULT_SEED",
    "BootstrapResult",
    "Draws",
    "draw_weights",
    "union_labels",
    "wcr_bootstrap",
    "wild_cluster_bootstrap",
]

DEFAULT_REPS = 9999
DEFAULT_SEED = 20240515
WEIGHT_TYPES = ("rademacher", "webb")
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_TIE = 1e-9  # relative tolerance: draws whose |t*| equals |t| up to rounding count as ties


# --------------------------------------------------------------------------- draws
@dataclass(frozen=True)
class Draws:
    """Bootstrap weights for a set of cluster labels.

    Attributes
    ----------
    labels : Index
        Cluster labels, one per row of ``v``.
    v : ndarray, shape (G, B)
        One column per replication.
    enumerated : bool
        True when ``v`` holds all :math:`2^G` Rademacher sign patterns (exact enumeration).
    weight_type : str
    """

    labels: pd.Index
    v: np.ndarray
    enumerated: bool
    weight_type: str

    @property
    def reps(self) -> int:
        """Number of replications B."""
        return int(self.v.shape[1])

    def rows_for(self, clusters: ClusterIndex) -> np.ndarray:
        """The weights of ``clusters``' labels, in their code order (G' × B)."""
        positions = self.labels.get_indexer(pd.Index(clusters.labels))
        if (positions < 0).any():
            missing = clusters.labels[positions < 0]
            raise EstimationError(f"no bootstrap weights for clusters {format_values(missing)}")
        return self.v[positions]


def draw_weights(
    labels: Sequence[object] | np.ndarray,
    reps: int = DEFAULT_REPS,
    weight_type: str = "rademacher",
    seed: int | np.random.Generator | None = DEFAULT_SEED,
) -> Draws:
    """Draw cluster weights: Rademacher (±1) or Webb's six-point distribution.

    With Rademacher weights and :math:`2^G \\le` ``reps`` every sign pattern is enumerated
    once instead (B = 2^G, no randomness), as ``boottest`` and ``wildboottest`` do.
    Webb weights take :math:`\\pm\\sqrt{1/2}, \\pm 1, \\pm\\sqrt{3/2}` with probability 1/6 each.

    Raises
    ------
    ParamsError
        Unknown ``weight_type`` or ``reps`` < 1.
    """
    if weight_type not in WEIGHT_TYPES:
        raise ParamsError(
            f"weight_type={weight_type!r} is not supported; choose one of: {', '.join(WEIGHT_TYPES)}"
        )
    if not isinstance(reps, int | np.integer) or reps < 1:
        raise ParamsError(f"reps={reps!r} must be a positive whole number, such as 9999")
    index = pd.Index(labels)
    G = len(index)
    if weight_type == "rademacher" and G < 31 and reps >= 2**G:
        patterns = np.arange(2**G)[None, :] >> np.arange(G)[:, None]
        return Draws(index, 1.0 - 2.0 * (patterns & 1), True, weight_type)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if weight_type == "rademacher":
        v = 2.0 * rng.integers(0, 2, size=(G, int(reps))) - 1.0
    else:
        v = _WEBB[rng.integers(0, 6, size=(G, int(reps)))]
    return Draws(index, v, False, weight_type)


def union_labels(indexes: Sequence[ClusterIndex]) -> pd.Index:
    """Sorted union of the cluster labels of several models (one weight row per label)."""
    labels = {label for index in indexes for label in index.labels.tolist()}
    return pd.Index(sorted(labels, key=lambda label: (type(label).__name__, label)))


# --------------------------------------------------------------------------- engine
@dataclass(frozen=True)
class BootstrapResult:
    """Outcome of one WCR bootstrap test.

    Attributes
    ----------
    estimate, se, t_stat : float
        Coefficient, its CR1 standard error and :math:`(\\hat\\beta_j - \\beta_0)/se`.
    p_value : float
        Symmetric bootstrap p-value: share of draws with :math:`|t^*| \\ge |t|`.
    ci_low, ci_high : float
        Test-inversion interval (NaN if not requested; ±inf if unbounded).
    t_star : ndarray
        Bootstrap t-statistics at the null (for Romano–Wolf).
    reps : int
    enumerated : bool
    """

    estimate: float
    se: float
    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    t_star: np.ndarray
    reps: int
    enumerated: bool


@dataclass(frozen=True)
class _Pieces:
    """Per-draw coefficients of t*(β0) = (n0 - β0 n1) / sqrt(c (d0 - 2 β0 d1 + β0² d2))."""

    beta: float
    se: float
    ssc: float
    n0: np.ndarray
    n1: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    d2: np.ndarray

    def t(self, beta0: float) -> float:
        return (self.beta - beta0) / self.se

    def t_star(self, beta0: float) -> np.ndarray:
        num = self.n0 - beta0 * self.n1
        den2 = self.ssc * (self.d0 - 2 * beta0 * self.d1 + beta0**2 * self.d2)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = num / np.sqrt(np.clip(den2, 0.0, None))
        return np.where(np.isnan(t), 0.0, t)

    def p_value(self, beta0: float) -> float:
        observed = abs(self.t(beta0))
        return float(np.mean(np.abs(self.t_star(beta0)) >= observed * (1 - _TIE)))


def _pieces(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    clusters: ClusterIndex,
    j: int,
    v: np.ndarray,
    k_cluster: int | None,
) -> _Pieces:
    n, k = X.shape
    G = clusters.n_clusters
    codes = clusters.codes
    w = np.ones(n) if weights is None else weights
    XW = X * w[:, None]
    A = np.linalg.inv(XW.T @ X)
    a = A[j]
    beta = A @ (XW.T @ y)
    ssc = G / (G - 1) * (n - 1) / (n - (k if k_cluster is None else k_cluster))
    residuals = y - X @ beta
    score_sums = cluster_sums(XW * residuals[:, None], codes, G)
    se = float(np.sqrt(ssc * np.sum((score_sums @ a) ** 2)))
    _check_residual_variation(se, residuals, y)
    # Restricted residuals u(β0) = M_{-j} y - β0 M_{-j} x_j (M_{-j}: annihilator of the other columns)
    others = np.delete(np.arange(k), j)
    Xo = X[:, others]
    XoW = XW[:, others]
    proj = np.linalg.solve(XoW.T @ Xo, XoW.T @ np.column_stack([y, X[:, j]]))
    resid = np.column_stack([y, X[:, j]]) - Xo @ proj
    S0 = cluster_sums(XW * resid[:, [0]], codes, G)  # G × k
    S1 = cluster_sums(XW * resid[:, [1]], codes, G)
    L = cluster_sums(XW * (X @ a)[:, None], codes, G) @ A  # rows: a' X_g' W_g X_g A
    c0, c1 = S0 @ a, S1 @ a
    K0 = np.diag(c0) - L @ S0.T
    K1 = np.diag(c1) - L @ S1.T
    P, Q = K0 @ v, K1 @ v
    return _Pieces(
        beta=float(beta[j]),
        se=se,
        ssc=ssc,
        n0=c0 @ v,
        n1=c1 @ v,
        d0=np.einsum("gb,gb->b", P, P),
        d1=np.einsum("gb,gb->b", P, Q),
        d2=np.einsum("gb,gb->b", Q, Q),
    )


_EXACT_FIT = 1e-10
"""Residuals below this share of the largest |y| count as zero: the model fits exactly."""


def _check_residual_variation(se: float, residuals: np.ndarray, y: np.ndarray) -> None:
    """Refuse an exact fit: its CR1 SE is 0 (or rounding noise) and every t* is undefined."""
    scale = float(np.max(np.abs(y), initial=0.0))
    exact = np.all(np.abs(residuals) <= _EXACT_FIT * scale)
    if se > 0 and np.isfinite(se) and not exact:
        return
    raise EstimationError(
        "the wild cluster bootstrap cannot test this coefficient: the regression fits the "
        f"outcome exactly (CR1 standard error {se:.3g}, largest residual "
        f"{float(np.max(np.abs(residuals), initial=0.0)):.3g}), so the t-statistic is "
        "undefined; this happens when the outcome has no variation in the rows used (for "
        "example a subgroup where everyone gives the same answer). Check the outcome, or "
        "leave it or this subgroup out of the bootstrap"
    )


def wcr_bootstrap(
    X: np.ndarray,
    y: np.ndarray,
    clusters: ClusterIndex,
    j: int,
    draws: Draws,
    weights: np.ndarray | None = None,
    null: float = 0.0,
    level: float | None = 0.95,
    k_cluster: int | None = None,
) -> BootstrapResult:
    """WCR bootstrap-t test of :math:`\\beta_j = ` ``null`` on arrays, with a test-inversion CI.

    Parameters
    ----------
    X : ndarray (n, k)
        Design matrix (within-transformed if fixed effects nested in clusters were absorbed).
    y : ndarray (n,)
    clusters : ClusterIndex
    j : int
        Column of ``X`` under test.
    draws : Draws
        Cluster weights (see :func:`draw_weights`); rows matched to ``clusters`` by label.
    weights : ndarray, optional
        WLS weights.
    null : float
    level : float or None
        Confidence level of the inverted interval; None skips it.
    k_cluster : int, optional
        Parameters counted in CR1's (n-1)/(n-k) (only scales t and t* alike).

    Raises
    ------
    EstimationError
        Fewer than 2 clusters, or the model fits ``y`` exactly (no residual variation, CR1
        standard error 0), so that the bootstrap t-statistics are undefined.
    """
    if clusters.n_clusters < 2:
        raise EstimationError("the wild cluster bootstrap needs at least 2 clusters")
    v = draws.rows_for(clusters)
    pieces = _pieces(X, y, weights, clusters, j, v, k_cluster)
    low = high = float("nan")
    if level is not None:
        low, high = _invert(pieces, 1 - level)
    return BootstrapResult(
        estimate=pieces.beta,
        se=pieces.se,
        t_stat=pieces.t(null),
        p_value=pieces.p_value(null),
        ci_low=low,
        ci_high=high,
        t_star=pieces.t_star(null),
        reps=draws.reps,
        enumerated=draws.enumerated,
    )


def _invert(pieces: _Pieces, alpha: float) -> tuple[float, float]:
    """The bounds of {β0 : p(β0) > alpha} nearest the estimate, by grid then bisection."""
    return (_bound(pieces, alpha, -1.0), _bound(pieces, alpha, 1.0))


def _bound(pieces: _Pieces, alpha: float, direction: float) -> float:
    step = 2.0 * pieces.se if pieces.se > 0 else 1.0
    inner = pieces.beta
    outer = None
    for _ in range(60):
        candidate = inner + direction * step
        if pieces.p_value(candidate) <= alpha:
            outer = candidate
            break
        inner, step = candidate, step * 2
    if outer is None:
        return direction * np.inf
    # A coarse grid guards against skipping a crossing inside [inner, outer].
    for point in np.linspace(inner, outer, 11)[1:]:
        if pieces.p_value(point) <= alpha:
            outer = point
            break
        inner = point
    tolerance = 1e-10 * max(abs(pieces.beta), pieces.se, 1e-300)
    for _ in range(200):
        if abs(outer - inner) <= tolerance:
            break
        mid = (inner + outer) / 2
        if pieces.p_value(mid) <= alpha:
            outer = mid
        else:
            inner = mid
    return (inner + outer) / 2


# --------------------------------------------------------------------------- public
def wild_cluster_bootstrap(
    data: pd.DataFrame,
    outcome: str,
    regressors: str | Sequence[str],
    test: str,
    cluster: str,
    *,
    weights: str | None = None,
    intercept: bool = True,
    null: float = 0.0,
    reps: int = DEFAULT_REPS,
    weight_type: str = "rademacher",
    seed: int | np.random.Generator | None = DEFAULT_SEED,
    level: float = 0.95,
) -> pd.DataFrame:
    """Restricted wild cluster bootstrap-t test and confidence interval for one coefficient.

    Fits ``outcome ~ regressors`` by OLS (WLS with ``weights``), tests
    :math:`\\beta_{test} = ` ``null`` with the WCR bootstrap-t built on CR1 standard errors, and
    inverts the test for a confidence interval. ``did`` and ``ancova`` call the same engine
    automatically when there are fewer than 50 clusters.

    Parameters
    ----------
    data : DataFrame
    outcome : str
        Numeric outcome column.
    regressors : str or list of str
        Regressor columns; text columns become dummies (first level dropped).
    test : str
        The regressor whose coefficient is tested (must be numeric and in ``regressors``).
    cluster : str
        Cluster identifier column (the level at which weights are drawn).
    weights : str, optional
        Analytic (WLS) weight column.
    intercept : bool
        Add an intercept (default True).
    null : float
        Value of the coefficient under the null hypothesis (default 0).
    reps : int
        Replications B (default 9,999). With Rademacher weights and :math:`2^G \\le B` all
        :math:`2^G` sign patterns are enumerated instead.
    weight_type : {"rademacher", "webb"}
        Webb's six-point weights are advised with fewer than about 12 clusters.
    seed : int or numpy Generator
        Seed of the weights (fixed by default, so results are reproducible).
    level : float
        Confidence level of the test-inversion interval.

    Returns
    -------
    DataFrame
        One row: ``term`` (= ``test``), ``estimate`` (OLS coefficient), ``se`` (CR1),
        ``ci_low``/``ci_high`` (bootstrap test inversion), ``p_value`` (bootstrap, symmetric),
        ``df`` (NaN: no t reference is used), ``n``; extras ``t_stat`` (CR1 t for the null),
        ``p_value_cr1`` (t(G-1)), ``reps``, ``n_clusters``, ``n_treated_clusters`` (clusters
        where a 0/1 ``test`` regressor is 1; NaN otherwise).

    Raises
    ------
    DataError
        Missing columns, non-numeric values, non-positive weights.
    ParamsError
        ``test`` not among ``regressors``; unknown ``weight_type``; bad ``reps`` or ``level``.
    EstimationError
        Fewer than 2 clusters, collinear regressors, or an outcome the regressors fit
        exactly (for example no variation at all), whose CR1 standard error is 0.

    Notes
    -----
    The p-value is :math:`\\#\\{b: |t^*_b| \\ge |t|\\}/B` (draws that tie with :math:`|t|`, such
    as the identity pattern under enumeration, count; ``wildboottest`` counts only strict
    exceedances, so with enumeration its p-value is lower by 2/2^G). The interval is the set
    of :math:`\\beta_0` with :math:`p(\\beta_0) > 1 -` level nearest the estimate.

    References
    ----------
    Cameron, Gelbach & Miller (2008); MacKinnon & Webb (2017); Roodman, MacKinnon, Nielsen &
    Webb (2019), "Fast and wild: bootstrap inference in Stata using boottest".

    See Also
    --------
    R ``fwildclusterboot::boottest``; Stata ``boottest``; Python ``wildboottest``.

    Examples
    --------
    >>> wild_cluster_bootstrap(df, "score", ["treat", "post", "treat_post"], "treat_post",
    ...                        cluster="school")  # doctest: +SKIP
    """
    level = reg.check_level(level)
    if not cluster:
        raise ParamsError(
            "wild_cluster_bootstrap needs cluster=, the column of cluster identifiers"
        )
    names = as_list(regressors)
    if test not in names:
        raise ParamsError(
            f"test={test!r} is not among the regressors {format_values(names)}; "
            "add it to regressors or test one of them"
        )
    frame = reg.model_frame(data, [outcome, *names], cluster, weights, "wild_cluster_bootstrap")
    X_cov, terms = reg.covariate_matrix(frame.data, names, "wild_cluster_bootstrap")
    if test not in terms:
        raise ParamsError(f"test={test!r} must be a numeric regressor, not a text column")
    if intercept:
        X_cov = np.column_stack([np.ones(len(frame.data)), X_cov])
        terms = [reg.INTERCEPT, *terms]
    y = require_numeric(frame.data, outcome, "wild_cluster_bootstrap")
    reg.check_rank(X_cov, terms, frame.weights, "wild_cluster_bootstrap")
    clusters = frame.clusters
    draws = draw_weights(clusters.labels, reps, weight_type, seed)
    j = terms.index(test)
    result = wcr_bootstrap(X_cov, y, clusters, j, draws, frame.weights, null, level)  # type: ignore[arg-type]
    row = bootstrap_row(result, X_cov[:, j], clusters, level)
    row.update(term=test, n=len(y))
    info = ResultInfo(
        estimator="impact.wild_cluster_bootstrap",
        method=describe_method(draws),
        level=level,
        vcov=f"CR1, clustered by {cluster} ({clusters.n_clusters} clusters)",
        n_obs=len(y),
        reference="boottest (Roodman et al. 2019); cross-checked with Python wildboottest",
        notes=frame.notes,
        extra={"null": null, "seed": seed if isinstance(seed, int) else None},
    )
    return make_result([row], info, id_columns=["term"])


def bootstrap_row(
    result: BootstrapResult, tested: np.ndarray, clusters: ClusterIndex, level: float
) -> dict[str, object]:
    """The core and extra columns of a bootstrap row (without ``term`` and ``n``)."""
    from scipy import stats

    G = clusters.n_clusters
    return {
        "estimate": result.estimate,
        "se": result.se,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "p_value": result.p_value,
        "df": np.nan,
        "t_stat": result.t_stat,
        "p_value_cr1": 2 * stats.t.sf(abs(result.t_stat), G - 1),
        "reps": result.reps,
        "n_clusters": G,
        "n_treated_clusters": treated_clusters(tested, clusters),
    }


def treated_clusters(indicator: np.ndarray, clusters: ClusterIndex) -> float:
    """Number of clusters where a 0/1 ``indicator`` is 1 somewhere (NaN if not 0/1)."""
    if not np.isin(indicator, (0.0, 1.0)).all():
        return float("nan")
    hits = np.bincount(clusters.codes, weights=indicator, minlength=clusters.n_clusters)
    return float(np.count_nonzero(hits))


def describe_method(draws: Draws) -> str:
    """``"restricted wild cluster bootstrap-t (WCR), Rademacher weights, 4096 draws (all)"``."""
    how = "all sign patterns enumerated" if draws.enumerated else "random draws"
    return (
        f"restricted wild cluster bootstrap-t (WCR), {draws.weight_type.capitalize()} weights, "
        f"{draws.reps} replications ({how}); CI by test inversion"
    )


def few_clusters_warning(n_clusters: int) -> FewClustersWarning:
    """The warning issued when CR1 rests on few clusters."""
    return FewClustersWarning(
        f"only {n_clusters} clusters: CR1 p-values over-reject; the wild cluster bootstrap "
        "columns (p_value_wcb, ci_low_wcb, ci_high_wcb) are the ones to report"
    )
