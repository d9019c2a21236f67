"""Domain means, totals and ratios of many variables in one pass over the rows.

The estimators in ``evaluation.survey`` call :func:`linear_estimates`. For each variable it
makes one vectorised pass over the rows and sums, keyed by (PSU, domain), the few quantities a
Taylor-linearised ratio needs (a sparse weighted indicator matrix times the column, or
``np.bincount`` when values are missing); everything after that works on PSU x domain arrays,
which are small. No per-domain copy of the data is made and nothing
loops over domains in Python. The numbers are R's ``svyby(..., svymean | svytotal |
svyratio, deff = TRUE)`` (and ``svymean``/``svytotal``/``svyratio`` with ``na.rm = TRUE``):
a row outside the domain, or with a missing value, has influence zero while the design
(strata, PSUs, FPC) stays whole. Without ``by`` there is one domain, the whole sample.

For a ratio :math:`\\hat R_d = \\sum_{i \\in d} w_i y_i / \\sum_{i \\in d} w_i x_i` (a mean
has :math:`x = 1`, a total no denominator) the influence of row ``i`` is
:math:`z_i = w_i (y_i - \\hat R_d x_i) / \\sum_{i \\in d} w_i x_i`, so its PSU total is
:math:`Z_u = (A_u - \\hat R_d B_u) / B_d` with :math:`A_u, B_u` the PSU sums of
:math:`w y` and :math:`w x`. To keep full precision the sums are taken of
:math:`w (y - c x)` for a constant ``c`` near the estimate (``A`` and ``R`` shift by ``c``,
``Z`` does not change), so no large numbers cancel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from evaluation._linearization import (
    Structure,
    variance_from_group_sums,
    variance_of_unit_totals,
)
from evaluation.errors import DataError

#: rows sampled to choose the shift constant ``c`` (any value near the bulk will do).
_SHIFT_SAMPLE = 4096
#: ``by`` columns whose level counts multiply to at most this are numbered with a lookup table.
LOOKUP_LIMIT = 1 << 22


@dataclass(frozen=True)
class Domains:
    """Domain membership of each row, from the ``by`` columns.

    Attributes
    ----------
    codes : ndarray of int64, shape (n,)
        Domain of each row, numbered in sorted order of the ``by`` values; -1 for a row with
        a missing ``by`` value (it belongs to no domain).
    labels : DataFrame
        One row per domain, one column per ``by`` column (no columns without ``by``).
    """

    codes: np.ndarray
    labels: pd.DataFrame
    n_unassigned: int = 0

    @property
    def n_domains(self) -> int:
        """Number of domains."""
        return len(self.labels)


def make_domains(data: pd.DataFrame, by: list[str]) -> Domains:
    """Domains from the ``by`` columns: every combination that occurs, in sorted order.

    As R's ``svyby``; a row with a missing ``by`` value is in no domain (code -1).
    """
    n = len(data)
    if not by:
        return Domains(np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1)))
    key = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    uniques = []
    for column in by:
        codes, values = pd.factorize(data[column], sort=True, use_na_sentinel=True)
        missing |= codes < 0
        radix = len(values) + 1  # codes are -1 .. len - 1; +1 keeps them non-negative
        key = key * radix + (codes + 1)
        uniques.append((values, radix))
    domain, combos = _number_combinations(key, missing)
    labels = {}
    for column, (values, radix) in zip(reversed(by), reversed(uniques), strict=True):
        labels[column] = values.take(combos % radix - 1)
        combos = combos // radix
    return Domains(domain, pd.DataFrame({c: labels[c] for c in by}), int(missing.sum()))


def _number_combinations(key: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the keys that occur (ignoring ``missing`` rows) in sorted order; -1 if missing."""
    observed = key[~missing] if missing.any() else key
    size = int(key.max()) + 1
    if size <= LOOKUP_LIMIT:  # a lookup table is cheaper than sorting or hashing
        occurs = np.bincount(observed, minlength=size) > 0
        domain = (np.cumsum(occurs) - 1)[key]
        combos = np.flatnonzero(occurs)
    else:
        combos = np.unique(observed)
        domain = np.searchsorted(combos, key)
    domain = domain.astype(np.int64)
    if missing.any():
        domain[missing] = -1
    return domain, combos


@dataclass(frozen=True)
class LinearEstimates:
    """Per domain (rows) and variable (columns): the estimates and what goes with them.

    ``n_missing`` (one per variable) counts the rows whose value is missing.
    """

    estimate: np.ndarray
    variance: np.ndarray
    deff: np.ndarray
    n: np.ndarray
    n_psu: np.ndarray
    degf: np.ndarray
    sum_weights: np.ndarray
    n_missing: np.ndarray


@dataclass(frozen=True)
class _Keys:
    """Per call: each row's (unit, domain) key and the sums that do not depend on y."""

    domain: np.ndarray
    inside: np.ndarray | None
    key: np.ndarray
    n_keys: int
    n_domains: int
    weight: np.ndarray
    weight_key: np.ndarray
    weight2_key: np.ndarray | None
    count_key: np.ndarray
    weight_domain: np.ndarray
    to_keys: sp.csc_matrix
    to_domains: sp.csc_matrix
    to_keys_w2: sp.csc_matrix | None


def _weighted_sums(target: np.ndarray, n_targets: int, weight: np.ndarray) -> sp.csc_matrix:
    """Sparse (n_targets x n) matrix with ``weight[i]`` at (target[i], i): ``M @ y`` sums w*y.

    Each row of the data is one column with one entry, so the matrix is built without sorting;
    ``M @ y`` makes one pass over y, reading the weights with it (cheaper than
    ``np.bincount(target, weight * y)``, which needs the product and reads the keys twice).
    """
    n = target.shape[0]
    return sp.csc_matrix(
        (weight, target.astype(np.int32), np.arange(n + 1, dtype=np.int32)), shape=(n_targets, n)
    )


def _prepare(structure: Structure, domains: Domains) -> _Keys:
    n_domains = domains.n_domains
    inside = None if domains.n_unassigned == 0 else domains.codes >= 0
    domain = domains.codes if inside is None else np.where(inside, domains.codes, 0)
    unit = structure.stratum if structure.rows_are_units else structure.row_unit
    n_units = structure.n_strata if structure.rows_are_units else structure.stages[-1].n_units
    key = unit * n_domains + domain
    n_keys = n_units * n_domains
    weight = structure.weights if inside is None else structure.weights * inside
    count = np.ones(structure.n) if inside is None else inside.astype(np.float64)
    return _Keys(
        domain=domain,
        inside=inside,
        key=key,
        n_keys=n_keys,
        n_domains=n_domains,
        weight=weight,
        weight_key=np.bincount(key, weight, n_keys),
        weight2_key=(
            np.bincount(key, weight * weight, n_keys) if structure.rows_are_units else None
        ),
        count_key=np.bincount(key, count, n_keys),
        weight_domain=np.bincount(domain, weight, n_domains),
        to_keys=_weighted_sums(key, n_keys, weight),
        to_domains=_weighted_sums(domain, n_domains, weight),
        to_keys_w2=(
            _weighted_sums(key, n_keys, weight * weight) if structure.rows_are_units else None
        ),
    )


@dataclass
class _Sums:
    """Sums of one variable: at (unit, domain) keys and per domain."""

    shift: float
    a_key: np.ndarray
    b_key: np.ndarray
    count_key: np.ndarray
    weight_domain: np.ndarray
    ss_domain: np.ndarray
    n_missing: int
    cross_domain: np.ndarray | None = None
    den2_domain: np.ndarray | None = None
    r2_key: np.ndarray | None = None
    rb_key: np.ndarray | None = None
    b2_key: np.ndarray | None = None


def _shift(num: np.ndarray, den: np.ndarray | None) -> float:
    """A constant near the bulk of the data, subtracted before summing (see module notes).

    For a mean it is a data value (the median of a systematic sample), so a variable that is
    constant in a domain (a proportion of exactly 0 or 1) gives an exact estimate and a
    variance of exactly 0.
    """
    step = max(1, num.shape[0] // _SHIFT_SAMPLE)
    y = num[::step]
    x = None if den is None else den[::step]
    ok = np.isfinite(y) if x is None else np.isfinite(y) & np.isfinite(x)
    if not ok.any():
        return 0.0
    if x is None:
        values = y[ok]
        return float(np.partition(values, (values.size - 1) // 2)[(values.size - 1) // 2])
    total_x = x[ok].sum()
    return float(y[ok].sum() / total_x) if total_x != 0 else 0.0


class _Workspace:
    """Row-length buffers reused for every variable, so the common path allocates nothing."""

    def __init__(self, n: int) -> None:
        self.y = np.empty(n)
        self.t = np.empty(n)


def _column_sums(
    keys: _Keys, ws: _Workspace, num: np.ndarray, den: np.ndarray | None, rows: bool, name: str
) -> _Sums:
    """Sums of one variable. Fast path first; any NaN or ratio goes through the masked path."""
    if den is None:
        c = _shift(num, None)
        y = np.subtract(num, c, out=ws.y)
        a_key = keys.to_keys @ y
        if np.isfinite(a_key).all():  # no missing value inside a domain (or anywhere)
            squares = np.multiply(y, y, out=ws.t)
            sums = _Sums(
                shift=c,
                a_key=a_key,
                b_key=keys.weight_key,
                count_key=keys.count_key,
                weight_domain=keys.weight_domain,
                ss_domain=keys.to_domains @ squares,
                n_missing=0,
            )
            if rows:  # sums of r**2 and r * w with r = w * y: weights w**2
                sums.r2_key = keys.to_keys_w2 @ squares
                sums.rb_key = keys.to_keys_w2 @ y
                sums.b2_key = keys.weight2_key
            return sums
    return _masked_sums(keys, num, den, rows, name)


def _masked_sums(
    keys: _Keys, num: np.ndarray, den: np.ndarray | None, rows: bool, name: str
) -> _Sums:
    """Sums with missing values (and ratios): rows missing a value get weight 0."""
    missing = np.isnan(num) if den is None else np.isnan(num) | np.isnan(den)
    if np.isinf(num).any() or (den is not None and np.isinf(den).any()):
        raise DataError(
            f"column '{name}' has infinite values; recode them to numbers or to missing"
        )
    valid = ~missing if keys.inside is None else keys.inside & ~missing
    c = _shift(num, den)
    wv = keys.weight * valid
    num0 = np.where(valid, num, 0.0)
    den0 = None if den is None else np.where(valid, den, 0.0)
    y = num0 - c if den0 is None else num0 - c * den0
    b = wv if den0 is None else wv * den0
    r = wv * y
    key, n_keys, domain, n_domains = keys.key, keys.n_keys, keys.domain, keys.n_domains
    sums = _Sums(
        shift=c,
        a_key=np.bincount(key, r, n_keys),
        b_key=np.bincount(key, b, n_keys),
        count_key=np.bincount(key, valid.astype(np.float64), n_keys),
        weight_domain=np.bincount(domain, wv, n_domains),
        ss_domain=np.bincount(domain, r * y, n_domains),
        n_missing=int(missing.sum()),
    )
    if den0 is not None:
        sums.cross_domain = np.bincount(domain, r * den0, n_domains)
        sums.den2_domain = np.bincount(domain, b * den0, n_domains)
    if rows:
        sums.r2_key = np.bincount(key, r * r, n_keys)
        sums.rb_key = np.bincount(key, r * b, n_keys)
        sums.b2_key = np.bincount(key, b * b, n_keys)
    return sums


def linear_estimates(
    structure: Structure,
    domains: Domains,
    numerators: Sequence[np.ndarray],
    denominators: Sequence[np.ndarray | None] | None = None,
    kind: str = "mean",
    names: Sequence[str] | None = None,
) -> LinearEstimates:
    """Estimates, variances and design effects per domain and variable.

    Parameters
    ----------
    structure : Structure
        The design.
    domains : Domains
        Domain of each row.
    numerators : sequence of ndarray, shape (n,)
        The variables (NaN = missing).
    denominators : sequence of ndarray or None, optional
        For ``kind="ratio"``: the denominator of each numerator.
    kind : {"mean", "total", "ratio"}
    names : sequence of str, optional
        Variable names, for messages.

    Returns
    -------
    LinearEstimates
        Arrays of shape (n_domains, n_variables).
    """
    k = len(numerators)
    dens = list(denominators) if denominators is not None else [None] * k
    keys = _prepare(structure, domains)
    ws = _Workspace(structure.n)
    labels = list(names) if names is not None else [f"variable {j + 1}" for j in range(k)]
    n_missing = np.zeros(k, dtype=np.int64)
    n_domains = keys.n_domains
    rows = structure.rows_are_units
    n_units = keys.n_keys // n_domains
    z = np.empty((n_units, n_domains * k))
    z2 = np.empty((n_units, n_domains * k)) if rows else None
    counts: list[np.ndarray] = []  # (units, domains) per variable; shared when nothing is missing
    out = {name: np.empty((n_domains, k)) for name in ("estimate", "ss", "weight", "n")}
    for j, (num, den) in enumerate(zip(numerators, dens, strict=True)):
        sums = _column_sums(keys, ws, num, den, rows, labels[j])
        n_missing[j] = sums.n_missing
        block = slice(j * n_domains, (j + 1) * n_domains)
        estimate, ss, t1, t2 = _linearise(sums, kind, n_units, n_domains)
        z[:, block] = t1
        if z2 is not None:
            z2[:, block] = t2
        counts.append(sums.count_key.reshape(n_units, n_domains))
        out["estimate"][:, j] = estimate
        out["ss"][:, j] = ss
        out["weight"][:, j] = sums.weight_domain
        out["n"][:, j] = counts[-1].sum(axis=0)
    variance, n_psu, degf = _variance(structure, z, z2, counts)
    shape = (k, n_domains)
    variance, n_psu, degf = (a.reshape(shape).T for a in (variance, n_psu, degf))
    deff = _deff(variance, out["ss"], out["weight"], out["n"], kind)
    return LinearEstimates(
        estimate=out["estimate"],
        variance=variance,
        deff=deff,
        n=out["n"].astype(np.int64),
        n_psu=n_psu.astype(np.int64),
        degf=degf.astype(np.int64),
        sum_weights=out["weight"],
        n_missing=n_missing,
    )


def _linearise(
    sums: _Sums, kind: str, n_units: int, n_domains: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Estimate, sum of squares for the SRS variance, and unit totals (or group sums)."""
    c = sums.shift
    a = sums.a_key.reshape(n_units, n_domains)
    b = sums.b_key.reshape(n_units, n_domains)
    a_d, b_d = a.sum(axis=0), b.sum(axis=0)
    rows = sums.r2_key is not None
    r2 = sums.r2_key.reshape(n_units, n_domains) if rows else None
    rb = sums.rb_key.reshape(n_units, n_domains) if rows else None
    b2 = sums.b2_key.reshape(n_units, n_domains) if rows else None
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "total":
            estimate = a_d + c * b_d
            t1 = a + c * b
            t2 = r2 + 2 * c * rb + c * c * b2 if rows else None
            shift = estimate / sums.weight_domain - c
            ss = sums.ss_domain - sums.weight_domain * shift * shift
            return estimate, ss, t1, t2
        shift = a_d / b_d
        estimate = c + shift
        t1 = (a - shift * b) / b_d
        t2 = (r2 - 2 * shift * rb + shift * shift * b2) / (b_d * b_d) if rows else None
        if kind == "mean":
            ss = sums.ss_domain - sums.weight_domain * shift * shift
        else:
            ss = (
                sums.ss_domain - 2 * shift * sums.cross_domain + shift * shift * sums.den2_domain
            ) / (b_d * b_d)
    return estimate, ss, t1, t2


def _variance(
    structure: Structure, z: np.ndarray, z2: np.ndarray | None, counts: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variances, PSUs and degrees of freedom of each (variable, domain) column."""
    shared = all(c is counts[0] for c in counts)
    stacked = counts[0] if shared else np.concatenate(counts, axis=1)
    repeat = len(counts) if shared else 1
    if structure.rows_are_units:
        present = stacked > 0
        n_psu = stacked.sum(axis=0)
    else:
        psu_counts = structure.up_to_psu(stacked)
        present = structure.stages[0].indicator @ psu_counts > 0
        n_psu = (psu_counts > 0).sum(axis=0)
    degf = n_psu - present.sum(axis=0)
    present = np.tile(present, (1, repeat))
    if structure.rows_are_units:
        variance = variance_from_group_sums(structure, z, z2, present)
    else:
        variance = variance_of_unit_totals(structure, z, present)
    return variance, np.tile(n_psu, repeat), np.tile(degf, repeat)


def _deff(
    variance: np.ndarray, ss: np.ndarray, weight: np.ndarray, n: np.ndarray, kind: str
) -> np.ndarray:
    """R's ``deff = TRUE``: variance over that of an SRS without replacement of size n.

    :math:`v_{srs} = s^2 (\\hat N - n) / (\\hat N n)` for a mean or ratio and
    :math:`s^2 \\hat N^2 (\\hat N - n) / (\\hat N n)` for a total, with
    :math:`s^2 = \\frac{n}{n-1} \\sum w (y - \\bar y)^2 / \\hat N` (``svyvar``).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = ss / weight * n / (n - 1)
        vsrs = s2 * (weight - n) / (weight * n)
        if kind in ("total", "ratio"):
            vsrs = vsrs * weight * weight
        deff = variance / vsrs
    return np.where((n > 1) & (weight > n), deff, np.nan)
