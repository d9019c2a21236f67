"""Weighted GLM fits and their estimating-function influence, for ``survey.regress``.

R's ``svyglm`` fits ``glm(..., weights = w)`` and takes the sandwich variance of the
estimating functions: with :math:`A = X^\\top W X` (:math:`W` the working weights, which
include the sampling weights) and scores :math:`U_i = x_i w_i (y_i - \\mu_i)` (canonical
links: identity for ``gaussian``, logit for ``binomial``), the influence of row ``i`` on
:math:`\\hat\\beta` is :math:`U_i A^{-1}`; its design-based covariance is taken by
``_linearization.covariance``. Logistic fits are iterated (IRLS, i.e. Newton-Raphson for the
canonical link) to full convergence, as ``glm.control(epsilon = 1e-14)`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg as la
from scipy.special import expit

from evaluation.errors import DataError, EstimationError, ParamsError, format_values

FAMILIES = ("gaussian", "binomial")
_MAX_ITER = 100
_TOL = 1e-14


@dataclass(frozen=True)
class GlmFit:
    """A converged weighted GLM fit.

    Attributes
    ----------
    coef : ndarray, shape (p,)
    influence : ndarray, shape (n, p)
        :math:`U_i A^{-1}` for each row.
    iterations : int
    """

    coef: np.ndarray
    influence: np.ndarray
    iterations: int


def model_frame(
    data: pd.DataFrame, formula: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Rows used (positions), outcome and model matrix of a Wilkinson formula (formulaic).

    Rows with a missing value in any variable of the formula are left out; R's intercept
    name ``(Intercept)`` is used.
    """
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    if not isinstance(formula, str) or "~" not in formula:
        raise ParamsError(f"formula must be a string such as 'y ~ x1 + x2', got {formula!r}")
    try:
        matrices = model_matrix(formula, data.reset_index(drop=True), na_action="drop")
    except FormulaicError as err:
        raise DataError(
            f"formula {formula!r} cannot be evaluated on the design's data: {err}"
        ) from None
    lhs, rhs = matrices.lhs, matrices.rhs
    if lhs.shape[1] != 1:
        raise DataError(
            f"formula {formula!r}: the outcome must be one numeric column, got "
            f"{format_values(list(lhs.columns))}; recode it to numbers (0/1 for logistic)"
        )
    terms = ["(Intercept)" if t == "Intercept" else str(t) for t in rhs.columns]
    rows = np.asarray(rhs.index, dtype=np.int64)
    y = np.asarray(lhs.iloc[:, 0], dtype=np.float64)
    return rows, y, np.asarray(rhs, dtype=np.float64), terms


def _check_rank(x: np.ndarray, terms: list[str]) -> None:
    _, r, pivot = la.qr(x, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    tol = diag.max() * max(x.shape) * np.finfo(float).eps if diag.size else 0.0
    rank = int((diag > tol).sum())
    if rank < x.shape[1]:
        dropped = [terms[i] for i in pivot[rank:]]
        raise EstimationError(
            f"the model matrix is singular: term(s) {format_values(dropped)} are linear "
            "combinations of the others (or constant) in the rows used; remove them from the "
            "formula (R's glm would report them as NA)"
        )


def _weighted_ls(x: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    root = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(x * root[:, None], z * root, rcond=None)
    return coef


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, family: str, terms: list[str]) -> GlmFit:
    """Fit a weighted gaussian or logistic regression and return the influence of each row.

    Parameters
    ----------
    x : ndarray, shape (n, p)
        Model matrix of the rows used.
    y : ndarray, shape (n,)
        Outcome (in [0, 1] for ``binomial``).
    w : ndarray, shape (n,)
        Sampling weights.
    family : {"gaussian", "binomial"}
    terms : list of str
        Column names of ``x``, for messages.

    Raises
    ------
    EstimationError
        Singular model matrix, or a logistic fit that does not converge (separation).
    """
    _check_rank(x, terms)
    w = w / w.mean()  # R svyglm rescales the weights; the estimates do not change
    if family == "gaussian":
        coef = _weighted_ls(x, y, w)
        bread = np.linalg.inv((x * w[:, None]).T @ x)
        scores = x * (w * (y - x @ coef))[:, None]
        return GlmFit(coef, scores @ bread, 1)
    coef, iterations = _irls_logit(x, y, w)
    mu = _expit(x @ coef)
    bread = np.linalg.inv((x * (w * mu * (1 - mu))[:, None]).T @ x)
    scores = x * (w * (y - mu))[:, None]
    return GlmFit(coef, scores @ bread, iterations)


def _deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(y / mu), 0.0) + np.where(
            y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0
        )
    return float(2 * (w * terms).sum())


#: R's ``binomial()$linkinv`` keeps fitted probabilities within machine epsilon of 0 and 1.
_EPS = np.finfo(float).eps


def _expit(eta: np.ndarray) -> np.ndarray:
    return np.clip(expit(eta), _EPS, 1 - _EPS)


def _irls_logit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int]:
    mu = (w * y + 0.5) / (w + 1)  # R's binomial()$initialize
    eta = np.log(mu / (1 - mu))
    deviance = _deviance(y, mu, w)
    coef = np.zeros(x.shape[1])
    for iteration in range(1, _MAX_ITER + 1):
        variance = mu * (1 - mu)
        working = eta + (y - mu) / variance
        new = _weighted_ls(x, working, w * variance)
        eta = x @ new
        mu = _expit(eta)
        new_deviance = _deviance(y, mu, w)
        step = np.max(np.abs(new - coef))
        coef = new
        if abs(new_deviance - deviance) / (abs(new_deviance) + 0.1) < _TOL and step < 1e-8 * (
            1 + np.max(np.abs(coef))
        ):
            return coef, iteration
        deviance = new_deviance
    raise EstimationError(
        f"the logistic regression did not converge in {_MAX_ITER} iterations (largest "
        f"coefficient {np.max(np.abs(coef)):.3g}); a predictor probably separates the outcome "
        "perfectly (a category in which everyone, or no one, has the outcome). Merge or drop "
        "that category"
    )
