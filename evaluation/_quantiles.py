"""Weighted quantiles and Woodruff intervals, as R ``survey::svyquantile`` (survey >= 4.1).

The estimate is the inverse of the weighted empirical CDF (``qrule = "math"``). The Woodruff
interval estimates :math:`\\hat F(\\hat q)`, the weighted share of values at or below the
estimate, with its linearised design SE, takes :math:`\\hat F \\pm t_{df}\\, se` and maps both
ends back through the inverse CDF; an end outside [0, 1] is NaN
(``interval.type = "mean"``).
"""

from __future__ import annotations

import numpy as np

from evaluation._linearization import Structure, covariance


def qrule_math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """Inverse of the weighted ECDF: the smallest x with cumulative weight share >= p.

    Sums are accumulated in extended precision and rounded to double, as R's ``cumsum`` and
    ``sum`` do, so that ties at exactly ``p`` (equal weights) resolve as in R. For ``p`` below
    the first weight share the result is the smallest value (R 4.1-1 returns the second).
    """
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cw = np.cumsum(w[order].astype(np.longdouble)).astype(np.float64)
    total_w = float(np.sum(w.astype(np.longdouble)))
    below = np.flatnonzero(cw <= p * total_w)
    if below.size == 0:
        return float(xs[0])
    pos = below[-1]
    if p - cw[pos] / total_w == 0:
        return float(xs[pos])
    return float(xs[min(pos + 1, xs.size - 1)])


def woodruff_interval(
    structure: Structure, values: np.ndarray, used: np.ndarray, p: float, t_quantile: float
) -> tuple[float, float, float]:
    """Quantile ``p`` of ``values`` over the ``used`` rows, and its Woodruff interval.

    Parameters
    ----------
    structure : Structure
        The design (kept whole: rows not used have influence 0).
    values : ndarray, shape (n,)
    used : ndarray of bool, shape (n,)
        Rows of the domain with a value.
    p : float
    t_quantile : float
        :math:`t_{df}` for the interval (NaN gives a NaN interval).

    Returns
    -------
    tuple of float
        Estimate, lower and upper bound.
    """
    x, w = values[used], structure.weights[used]
    q = qrule_math(x, w, p)
    below = (x <= q).astype(np.float64)
    share = (w * below).sum() / w.sum()
    influence = np.zeros(structure.n)
    influence[used] = w * (below - share) / w.sum()
    se = float(np.sqrt(covariance(structure, influence, used)[0, 0]))
    low_p, high_p = share - t_quantile * se, share + t_quantile * se
    low = qrule_math(x, w, low_p) if 0 <= low_p <= 1 else np.nan
    high = qrule_math(x, w, high_p) if 0 <= high_p <= 1 else np.nan
    return q, low, high
