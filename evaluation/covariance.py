"""Named variance estimators for regression coefficients, kept in one registry.

Every estimator takes the same :class:`ModelArrays` (the arrays a fitted linear or
generalised linear model leaves behind) and, for the cluster-robust ones, a
:class:`ClusterIndex`, and returns a :class:`Covariance`: the matrix and the degrees of
freedom its t-tests use. Estimators are looked up by name with :func:`compute`; an unknown
name raises :class:`~evaluation.errors.ParamsError` listing the valid ones.

The arrays follow clubSandwich's notation, which covers OLS, WLS and GLMs alike:

* ``U`` (n × k): the derivative of the fitted mean with respect to the coefficients
  (``X`` for a linear model, ``p(1-p)·X`` for a logit);
* ``W`` (n): the working weights (WLS weights; ``1 / (p(1-p))`` for a logit);
* ``theta`` (n): the working variance of each observation (1 for OLS/WLS; ``p(1-p)`` for a
  logit), used only by CR2;
* ``r`` (n): response residuals ``y - fitted``.

Then the bread is :math:`M = (U'WU)^{-1}`, the score of observation *i* is
:math:`s_i = U_i' W_i r_i` (``x_i e_i`` for OLS, ``w_i x_i e_i`` for WLS, ``x_i (y_i - p_i)``
for a logit), and the leverage is :math:`h_{ii} = W_i U_i M U_i'`.

Estimators (R equivalent in brackets), with :math:`S_g = \\sum_{i \\in g} s_i`:

``iid``
    :math:`\\hat\\sigma^2 M` (``vcov(fit)``).
``HC0``
    :math:`M (\\sum_i s_i s_i') M` (``sandwich::vcovHC(type = "HC0")``).
``HC1``
    HC0 · n/(n-k) (``vcovHC(type = "HC1")``, Stata ``vce(robust)``).
``HC2``, ``HC3``
    scores divided by :math:`\\sqrt{1-h_{ii}}` or :math:`1-h_{ii}` (``vcovHC``).
``CR0``
    :math:`\\frac{G}{G-1} M (\\sum_g S_g S_g') M` (``sandwich::vcovCL(type = "HC0")``).
``CR1``
    CR0 · (n-1)/(n-k) (``vcovCL(type = "HC1")``, Stata ``vce(cluster)``).
``CR2``
    Bell–McCaffrey bias-reduced, with Satterthwaite degrees of freedom
    (``clubSandwich::vcovCR(type = "CR2")`` and ``coef_test``).

``CR0`` here includes the G/(G-1) factor, as ``sandwich::vcovCL``'s default
``cadjust = TRUE`` does (the reference files call it ``CL_HC0``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.errors import EstimationError, ParamsError, did_you_mean

__all__ = [
    "ESTIMATORS",
    "ClusterIndex",
    "Covariance",
    "ModelArrays",
    "canonical_name",
    "cluster_sums",
    "compute",
]


@dataclass(frozen=True)
class ModelArrays:
    """The arrays of a fitted model that every variance estimator needs.

    Attributes
    ----------
    U : ndarray, shape (n, k)
        Derivative of the fitted mean with respect to the coefficients.
    W : ndarray, shape (n,)
        Working weights.
    theta : ndarray, shape (n,)
        Working variance of each observation (the CR2 target).
    r : ndarray, shape (n,)
        Response residuals.
    bread : ndarray, shape (k, k)
        :math:`(U'WU)^{-1}`.
    scale : float
        :math:`\\hat\\sigma^2` of the classical variance (1 for a logit).
    k : int
        Parameters counted in ``n - k`` (including absorbed fixed effects).
    df_resid : float
        Degrees of freedom of iid/HC t-tests (``n - k``; ``inf`` for a GLM: z-tests).
    k_cluster : int or None
        Parameters counted in CR1's ``(n-1)/(n-k)``; defaults to ``k``. Smaller when
        fixed effects nested in the clusters are absorbed (the fixest convention).
    absorbed : bool
        Whether fixed effects were absorbed (leverages are then incomplete, so HC2, HC3
        and CR2 are refused).
    """

    U: np.ndarray
    W: np.ndarray
    theta: np.ndarray
    r: np.ndarray
    bread: np.ndarray
    scale: float
    k: int
    df_resid: float
    k_cluster: int | None = None
    absorbed: bool = False

    @property
    def n(self) -> int:
        """Number of observations."""
        return int(self.U.shape[0])

    def scores(self) -> np.ndarray:
        """Per-observation scores :math:`s_i = U_i' W_i r_i`, shape (n, k)."""
        return self.U * (self.W * self.r)[:, None]

    def leverage(self) -> np.ndarray:
        """Leverages :math:`h_{ii} = W_i U_i M U_i'`."""
        return np.einsum("ij,jk,ik->i", self.U, self.bread, self.U) * self.W


@dataclass(frozen=True)
class ClusterIndex:
    """Integer cluster codes of the rows, with the original labels.

    Build it with :meth:`from_values`.
    """

    codes: np.ndarray
    labels: np.ndarray

    @classmethod
    def from_values(cls, values: np.ndarray | pd.Series) -> ClusterIndex:
        """Codes 0..G-1 in sorted label order (missing labels must be removed first)."""
        codes, labels = pd.factorize(pd.Series(values), sort=True)
        if (codes < 0).any():
            raise EstimationError("cluster identifiers contain missing values; drop those rows")
        return cls(codes=codes.astype(np.intp), labels=np.asarray(labels))

    @property
    def n_clusters(self) -> int:
        """Number of clusters G."""
        return len(self.labels)

    def members(self) -> list[np.ndarray]:
        """Row positions of each cluster, in code order."""
        order = np.argsort(self.codes, kind="stable")
        bounds = np.cumsum(np.bincount(self.codes, minlength=self.n_clusters))[:-1]
        return np.split(order, bounds)


@dataclass(frozen=True)
class Covariance:
    """A coefficient covariance matrix and the t degrees of freedom for each coefficient.

    Attributes
    ----------
    name : str
        Canonical estimator name (``"CR1"`` …).
    matrix : ndarray, shape (k, k)
    df : ndarray, shape (k,)
        Degrees of freedom of each coefficient's t reference distribution (``inf`` = normal).
    n_clusters : int or None
    """

    name: str
    matrix: np.ndarray
    df: np.ndarray
    n_clusters: int | None = None

    @property
    def se(self) -> np.ndarray:
        """Standard errors: square roots of the diagonal."""
        return np.sqrt(np.clip(np.diag(self.matrix), 0.0, None))

    def describe(self, cluster: str | None = None) -> str:
        """``"CR1, clustered by school (42 clusters)"`` style description."""
        if self.n_clusters is None:
            return self.name
        by = f" by {cluster}" if cluster else ""
        return f"{self.name}, clustered{by} ({self.n_clusters} clusters)"


def cluster_sums(values: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Column sums of ``values`` (n × k) within each cluster, shape (G, k).

    ``np.bincount`` per column: one pass over the data per column, no sorting.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_clusters)
    return np.column_stack(
        [
            np.bincount(codes, weights=values[:, j], minlength=n_clusters)
            for j in range(values.shape[1])
        ]
    )


# --------------------------------------------------------------------------- estimators
def _sandwich(bread: np.ndarray, meat: np.ndarray) -> np.ndarray:
    out = bread @ meat @ bread
    return (out + out.T) / 2


def _iid(m: ModelArrays, clusters: ClusterIndex | None) -> Covariance:
    return Covariance("iid", m.scale * m.bread, _df(m.df_resid, m))


def _hc(kind: str) -> Callable[[ModelArrays, ClusterIndex | None], Covariance]:
    def estimator(m: ModelArrays, clusters: ClusterIndex | None) -> Covariance:
        scores = m.scores()
        if kind in ("HC2", "HC3"):
            _refuse_absorbed(m, kind)
            one_minus_h = 1.0 - m.leverage()
            if np.any(one_minus_h <= 1e-12):
                raise EstimationError(
                    f"{kind} is undefined: some observations have leverage 1 (a regressor "
                    "identifies a single observation); use HC1 or a cluster-robust estimator"
                )
            power = 0.5 if kind == "HC2" else 1.0
            scores = scores / (one_minus_h**power)[:, None]
        matrix = _sandwich(m.bread, scores.T @ scores)
        if kind == "HC1":
            matrix = matrix * m.n / (m.n - m.k)
        return Covariance(kind, matrix, _df(m.df_resid, m))

    return estimator


def _cluster_meat(m: ModelArrays, clusters: ClusterIndex) -> np.ndarray:
    sums = cluster_sums(m.scores(), clusters.codes, clusters.n_clusters)
    return sums.T @ sums


def _cr(kind: str) -> Callable[[ModelArrays, ClusterIndex | None], Covariance]:
    def estimator(m: ModelArrays, clusters: ClusterIndex | None) -> Covariance:
        clusters = _require_clusters(kind, clusters)
        g = clusters.n_clusters
        matrix = _sandwich(m.bread, _cluster_meat(m, clusters)) * g / (g - 1)
        if kind == "CR1":
            k = m.k if m.k_cluster is None else m.k_cluster
            matrix = matrix * (m.n - 1) / (m.n - k)
        return Covariance(kind, matrix, _df(g - 1, m), n_clusters=g)

    return estimator


def _cr2(m: ModelArrays, clusters: ClusterIndex | None) -> Covariance:
    clusters = _require_clusters("CR2", clusters)
    _refuse_absorbed(m, "CR2")
    parts = _cr2_parts(m, clusters)
    contributions = np.column_stack([e.T @ r for e, r in zip(parts.E, parts.resid, strict=True)])
    matrix = contributions @ contributions.T
    matrix = (matrix + matrix.T) / 2
    df = _satterthwaite_df(m, clusters, parts)
    return Covariance("CR2", matrix, df, n_clusters=clusters.n_clusters)


@dataclass(frozen=True)
class _CR2Parts:
    """Per-cluster pieces of CR2: E_g' = M U_g' W_g A_g (k × n_g) stored as n_g × k."""

    rows: list[np.ndarray]
    E: list[np.ndarray]
    resid: list[np.ndarray]
    omega: np.ndarray


def _cr2_parts(m: ModelArrays, clusters: ClusterIndex, dense: bool = False) -> _CR2Parts:
    """Bell–McCaffrey adjustment matrices, as clubSandwich's ``CR2()`` with a diagonal target.

    With :math:`H_g = U_g M U_g' W_g` and :math:`\\Omega = M (\\sum U'W\\Theta W U) M`,
    :math:`G_g = \\Theta_g^{1/2}(\\Theta_g - H_g\\Theta_g - \\Theta_g H_g' +
    U_g \\Omega U_g')\\Theta_g^{1/2}` and :math:`A_g = \\Theta_g^{1/2} G_g^{-1/2}
    \\Theta_g^{1/2}`. With inverse-variance weights (OLS, GLM) this reduces to
    :math:`A_g = (I - H_{gg})^{-1/2}` in the metric of :math:`\\Theta`.

    For linear models (:math:`\\Theta = I`) :math:`G_g` is the identity plus a matrix of
    rank at most 2k, so :math:`G_g^{-1/2}` is computed in that k-dimensional span
    (O(n_g k²) per cluster instead of an O(n_g³) eigendecomposition); ``dense=True`` forces
    the direct computation (used by the tests to check one against the other).
    """
    M = m.bread
    UW = m.U * m.W[:, None]
    omega = M @ ((UW * m.theta[:, None]).T @ UW) @ M
    low_rank = not dense and bool(np.all(m.theta == 1.0))
    rows, E, resid = [], [], []
    for idx in clusters.members():
        UWM = UW[idx] @ M  # n_g × k: rows of W_g U_g M
        if low_rank:
            E.append(_cr2_low_rank(m.U[idx], UW[idx], M, omega, UWM))
        else:
            A_g = _cr2_dense(m.U[idx], m.W[idx], m.theta[idx], M, omega)
            E.append(A_g.T @ UWM)  # (n_g × k): rows of (M U_g' W_g A_g)'
        rows.append(idx)
        resid.append(m.r[idx])
    return _CR2Parts(rows=rows, E=E, resid=resid, omega=omega)


def _cr2_dense(
    U_g: np.ndarray, W_g: np.ndarray, th_g: np.ndarray, M: np.ndarray, omega: np.ndarray
) -> np.ndarray:
    """:math:`A_g` by an eigendecomposition of the n_g × n_g matrix :math:`G_g`."""
    UMU = U_g @ M @ U_g.T
    B = UMU * (W_g * th_g)[None, :]  # H_g Θ_g
    core = np.diag(th_g) - B - B.T + U_g @ omega @ U_g.T
    root = np.sqrt(th_g)
    G_g = root[:, None] * core * root[None, :]
    return root[:, None] * _sym_power(G_g, -0.5) * root[None, :]


def _cr2_low_rank(
    U_g: np.ndarray, UW_g: np.ndarray, M: np.ndarray, omega: np.ndarray, UWM: np.ndarray
) -> np.ndarray:
    """:math:`A_g' W_g U_g M` for :math:`\\Theta = I`, where
    :math:`G_g = I - U_g M U_g'W_g - W_g U_g M U_g' + U_g \\Omega U_g' = I + Q C Q'` with
    :math:`Q = [U_g, W_g U_g]`. With :math:`Q = Q_o R` (QR) and :math:`S = R C R'`,
    :math:`G_g^{-1/2} = I + Q_o((I + S)^{-1/2} - I)Q_o'`."""
    k = M.shape[0]
    Q = np.hstack([U_g, UW_g])
    C = np.block([[omega, -M], [-M, np.zeros((k, k))]])
    Qo, R = np.linalg.qr(Q)
    S = R @ C @ R.T
    inner = _sym_power(np.eye(len(S)) + S, -0.5) - np.eye(len(S))
    return UWM + Qo @ (inner @ (Qo.T @ UWM))


def _sym_power(matrix: np.ndarray, power: float, tol: float = 1e-12) -> np.ndarray:
    """Symmetric matrix power; eigenvalues below ``tol`` are set to 0 (clubSandwich ``Sym_power``)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    scaled = np.where(values > tol, np.abs(values) ** power, 0.0)
    return (vectors * scaled) @ vectors.T


def _satterthwaite_df(m: ModelArrays, clusters: ClusterIndex, parts: _CR2Parts) -> np.ndarray:
    """Satterthwaite degrees of freedom of each CR2 t-test (clubSandwich ``coef_test``).

    For coefficient *c*, with :math:`a_g = E_g c` and :math:`b_g = U_g' a_g`,
    :math:`P_{gh} = \\delta_{gh} a_g'\\Theta_g a_g - a_g'\\Theta_g W_g U_g M b_h -
    b_g' M U_h' W_h \\Theta_h a_h + b_g' \\Omega b_h` and
    :math:`df = (\\operatorname{tr} P)^2 / \\sum P_{gh}^2`.
    """
    M, k = m.bread, m.U.shape[1]
    G = clusters.n_clusters
    df = np.empty(k)
    for c in range(k):
        a = [e[:, c] for e in parts.E]
        b = np.array([m.U[idx].T @ a_g for idx, a_g in zip(parts.rows, a, strict=True)])  # G × k
        f = np.array(
            [
                (m.U[idx] * (m.W[idx] * m.theta[idx])[:, None]).T @ a_g
                for idx, a_g in zip(parts.rows, a, strict=True)
            ]
        )  # G × k: U_g' W_g Θ_g a_g
        diag = np.array(
            [a_g @ (m.theta[idx] * a_g) for idx, a_g in zip(parts.rows, a, strict=True)]
        )
        cross = f @ M @ b.T
        P = -cross - cross.T + b @ parts.omega @ b.T
        P[np.diag_indices(G)] += diag
        df[c] = np.trace(P) ** 2 / np.sum(P**2)
    return df


def _df(value: float, m: ModelArrays) -> np.ndarray:
    return np.full(m.U.shape[1], float(value))


def _require_clusters(kind: str, clusters: ClusterIndex | None) -> ClusterIndex:
    if clusters is None:
        raise ParamsError(
            f"vcov='{kind}' is cluster-robust but no cluster column was given; pass cluster= "
            "or choose a non-clustered estimator (iid, HC0, HC1, HC2, HC3)"
        )
    if clusters.n_clusters < 2:
        raise EstimationError(
            f"vcov='{kind}' needs at least 2 clusters, found {clusters.n_clusters}; "
            "cluster-robust standard errors cannot be computed"
        )
    return clusters


def _refuse_absorbed(m: ModelArrays, kind: str) -> None:
    if m.absorbed:
        raise ParamsError(
            f"vcov='{kind}' needs the full leverage of each observation, which is not available "
            "when fixed effects are absorbed; choose CR1 (or HC1) instead"
        )


# --------------------------------------------------------------------------- registry
Estimator = Callable[[ModelArrays, ClusterIndex | None], Covariance]

ESTIMATORS: dict[str, Estimator] = {
    "iid": _iid,
    "HC0": _hc("HC0"),
    "HC1": _hc("HC1"),
    "HC2": _hc("HC2"),
    "HC3": _hc("HC3"),
    "CR0": _cr("CR0"),
    "CR1": _cr("CR1"),
    "CR2": _cr2,
}
"""Canonical name → estimator function."""

CLUSTERED = frozenset({"CR0", "CR1", "CR2"})
"""The cluster-robust estimators (they need a :class:`ClusterIndex`)."""

_ALIASES = {
    "classical": "iid",
    "const": "iid",
    "ols": "iid",
    "robust": "HC1",
    "cl_hc0": "CR0",
    "cl_hc1": "CR1",
    "stata": "CR1",
    "crv1": "CR1",
    "cluster": "CR1",
}


def canonical_name(name: str) -> str:
    """The registry name for ``name`` (case-insensitive; aliases such as ``"stata"``).

    Raises
    ------
    ParamsError
        If ``name`` is not a known estimator; the message lists the valid names.
    """
    if not isinstance(name, str):
        raise ParamsError(f"vcov must be a name such as 'CR1', got {name!r}")
    lowered = name.strip().lower()
    for canonical in ESTIMATORS:
        if canonical.lower() == lowered:
            return canonical
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    valid = ", ".join(ESTIMATORS)
    hint = did_you_mean(name, [*ESTIMATORS, *_ALIASES])
    raise ParamsError(
        f"vcov={name!r} is not a variance estimator{hint}; choose one of: {valid} "
        f"(aliases: {', '.join(sorted(_ALIASES))})"
    )


def compute(name: str, model: ModelArrays, clusters: ClusterIndex | None = None) -> Covariance:
    """Compute the variance estimator ``name`` for ``model``.

    Parameters
    ----------
    name : str
        One of :data:`ESTIMATORS` (or an alias, see :func:`canonical_name`).
    model : ModelArrays
        The fitted model's arrays.
    clusters : ClusterIndex, optional
        Required by CR0, CR1 and CR2.

    Returns
    -------
    Covariance

    Raises
    ------
    ParamsError
        Unknown name, or a cluster-robust estimator without clusters.
    EstimationError
        The estimator is undefined for this model (fewer than 2 clusters, leverage 1).
    """
    return ESTIMATORS[canonical_name(name)](model, clusters)
