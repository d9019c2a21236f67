"""Taylor-linearisation variance for stratified multistage samples (R ``survey::svyrecvar``).

Arrays in, arrays out. A :class:`Structure` describes the sample (weights, the units of each
stage and the groups they were drawn from); the functions here turn totals of influence
values into variances exactly as R's ``survey`` 4.1 does in ``onestrat``/``onestage``/
``multistage``:

.. math::

    \\hat V = \\sum_{s} \\sum_{g \\in G_s} \\pi_g \\, c_g \\sum_{u \\in g} (Z_u - \\bar Z_g)^2,
    \\qquad c_g = f_g \\frac{n_g}{n_g - 1}, \\quad f_g = 1 - n_g / N_g,

where stage ``s = 1`` has the strata as groups and the PSUs as units, a later stage has the
previous stage's units as groups, :math:`Z_u` is the unit's total of influence values (zero
for units outside a domain: the design is kept whole), :math:`n_g` the number of units
sampled in the group, :math:`N_g` its population size (:math:`f_g = 1` without an FPC) and
:math:`\\pi_g` the product of the sampling fractions :math:`n/N` of the earlier stages
(R's ``nPSU/fpc`` factor in ``multistage``). Later stages only enter when an FPC is given
for every stage; otherwise the variance is the ultimate-cluster (with-replacement) one.

Groups with a single unit ("lonely PSUs") follow R's ``survey.lonely.psu`` rules: ``certainty``
adds nothing, ``adjust`` adds the *uncentred* :math:`c_g Z_u^2`, ``average`` scales the
stage-1 sum by (strata present) / (strata present with two or more units). A group with
:math:`f_g < 10^{-7}` is self-representing and adds nothing (as R's ``onestrat``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: R's ``onestrat``: a group whose finite population correction is below this adds nothing.
SELF_REPRESENTING_TOL = 1e-7

LONELY_RULES = ("fail", "adjust", "certainty", "average")


@dataclass(frozen=True, eq=False)
class Stage:
    """One stage of the variance: units drawn within groups.

    Attributes
    ----------
    group_of_unit : ndarray of int64, shape (n_units,)
        The group (stratum at stage 1, parent unit later) each unit was drawn in.
    group_size : ndarray of int64, shape (n_groups,)
        Units sampled per group (R's ``fpc$sampsize``), counted in the whole design.
    scale : ndarray of float, shape (n_groups,)
        :math:`f_g n_g / (n_g - 1)`, or :math:`f_g` for a group with one unit.
    fraction : ndarray of float, shape (n_groups,)
        Sampling fraction :math:`n_g / N_g` (0 without an FPC or for an infinite population).
    carry : ndarray of float, shape (n_groups,)
        Product of the sampling fractions of the earlier stages (1 at stage 1).
    lonely : ndarray of bool, shape (n_groups,)
        One unit and not self-representing.
    self_representing : ndarray of bool, shape (n_groups,)
        :math:`f_g < 10^{-7}`: the group was fully sampled at this stage.
    indicator : scipy CSR matrix, shape (n_groups, n_units)
        Sums units into groups.
    """

    group_of_unit: np.ndarray
    group_size: np.ndarray
    scale: np.ndarray
    fraction: np.ndarray
    carry: np.ndarray
    lonely: np.ndarray
    self_representing: np.ndarray
    indicator: sp.csr_matrix

    @property
    def n_units(self) -> int:
        """Number of units at this stage."""
        return int(self.group_of_unit.shape[0])

    @property
    def n_groups(self) -> int:
        """Number of groups at this stage."""
        return int(self.group_size.shape[0])

    @property
    def regular(self) -> np.ndarray:
        """Groups that contribute the usual centred sum of squares."""
        return ~self.lonely & ~self.self_representing


@dataclass(frozen=True, eq=False)
class Structure:
    """The numeric skeleton of a survey design, built and validated once by ``Design``.

    Attributes
    ----------
    weights : ndarray of float, shape (n,)
        Sampling weights (inverse inclusion probabilities).
    stages : tuple of Stage
        The variance stages, stage 1 first.
    row_unit : ndarray of int64 or None
        Unit of the last variance stage for each row; ``None`` when the units are the rows
        themselves (no clusters).
    stratum : ndarray of int64, shape (n,)
        Stage-1 group (stratum) of each row.
    psu : ndarray of int64, shape (n,)
        Stage-1 unit (PSU) of each row.
    lonely_psu : str
        The lonely-PSU rule.
    """

    weights: np.ndarray
    stages: tuple[Stage, ...]
    row_unit: np.ndarray | None
    stratum: np.ndarray
    psu: np.ndarray
    lonely_psu: str

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.weights.shape[0])

    @property
    def n_psu(self) -> int:
        """Number of primary sampling units."""
        return self.stages[0].n_units

    @property
    def n_strata(self) -> int:
        """Number of strata."""
        return self.stages[0].n_groups

    @property
    def degf(self) -> int:
        """Design degrees of freedom, PSUs minus strata (R ``degf``)."""
        return self.n_psu - self.n_strata

    @property
    def rows_are_units(self) -> bool:
        """True when the last variance stage samples rows (no clusters)."""
        return self.row_unit is None

    def up_to_psu(self, totals: np.ndarray) -> np.ndarray:
        """Sum totals over last-stage units up to stage-1 units (PSUs)."""
        for stage in reversed(self.stages[1:]):
            totals = stage.indicator @ totals
        return totals


def group_indicator(group: np.ndarray, n_groups: int) -> sp.csr_matrix:
    """Sparse (n_groups x len(group)) matrix with a 1 where unit ``j`` is in group ``i``."""
    n = group.shape[0]
    return sp.csr_matrix((np.ones(n), (group, np.arange(n))), shape=(n_groups, n), dtype=np.float64)


def unit_totals(structure: Structure, values: np.ndarray) -> np.ndarray:
    """Totals of row values (n x q) over the units of the last variance stage."""
    if structure.row_unit is None:
        return values
    n_units = structure.stages[-1].n_units
    return group_indicator(structure.row_unit, n_units) @ values


def subset_degf(structure: Structure, used: np.ndarray) -> tuple[int, int]:
    """PSUs with a used row, and R's ``degf`` of the subset design (those PSUs minus strata)."""
    n_psu = np.unique(structure.psu[used]).size
    return n_psu, n_psu - np.unique(structure.stratum[used]).size


def _as_2d(a: np.ndarray) -> np.ndarray:
    return a.reshape(a.shape[0], -1)


def _stage_sums(stage: Stage, z: np.ndarray, need_t2: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Centred sums of squares ``SS`` per group and, if needed, uncentred sums ``T2``."""
    t1 = stage.indicator @ z
    centred = z - (t1 / stage.group_size[:, None])[stage.group_of_unit]
    np.multiply(centred, centred, out=centred)
    ss = stage.indicator @ centred
    t2 = stage.indicator @ (z * z) if need_t2 else None
    return ss, t2


def combine_stage(
    stage: Stage,
    ss: np.ndarray,
    t2: np.ndarray | None,
    rule: str,
    present: np.ndarray | None = None,
) -> np.ndarray:
    """Variance contributed by one stage, from per-group sums (groups x columns).

    Parameters
    ----------
    stage : Stage
    ss : ndarray, shape (n_groups, q)
        Centred sums of squares :math:`\\sum_u (Z_u - \\bar Z_g)^2`, over all ``n_g`` units.
    t2 : ndarray, shape (n_groups, q)
        Uncentred sums :math:`\\sum_u Z_u^2` (used for lonely groups under ``adjust``).
    rule : str
        Lonely-PSU rule.
    present : ndarray of bool, shape (n_groups, q), optional
        Groups with at least one row of the domain (for ``average``, as R counts the strata of
        the subset). Default: every group.

    Returns
    -------
    ndarray, shape (q,)
    """
    weight = stage.carry * stage.scale
    regular = stage.regular
    var = weight[regular] @ np.maximum(ss[regular], 0.0)
    if rule == "adjust" and stage.lonely.any() and t2 is not None:
        var = var + weight[stage.lonely] @ t2[stage.lonely]
    if rule == "average" and stage.lonely.any():
        if present is None:
            present = np.ones(ss.shape, dtype=bool)
        n_present = present.sum(axis=0)
        n_ok = present[~stage.lonely].sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.where(n_ok > 0, var * n_present / np.maximum(n_ok, 1), np.nan)
    return var


def variance_of_unit_totals(
    structure: Structure, z_last: np.ndarray, present: np.ndarray | None = None
) -> np.ndarray:
    """Variances of q linear statistics from their totals over the last-stage units.

    Parameters
    ----------
    structure : Structure
    z_last : ndarray, shape (n_last_units, q)
        Totals of the influence values over the units of the last variance stage.
    present : ndarray of bool, shape (n_strata, q), optional
        Strata present in each column's domain (only used by ``average``).

    Returns
    -------
    ndarray, shape (q,)
    """
    z = _as_2d(z_last)
    totals = [z]
    for stage in reversed(structure.stages[1:]):
        totals.insert(0, stage.indicator @ totals[0])
    var = np.zeros(z.shape[1])
    for index, (stage, zs) in enumerate(zip(structure.stages, totals, strict=True)):
        ss, t2 = _stage_sums(stage, zs, structure.lonely_psu == "adjust" and stage.lonely.any())
        var = var + combine_stage(
            stage, ss, t2, structure.lonely_psu, present if index == 0 else None
        )
    return var


def variance_from_group_sums(
    structure: Structure,
    t1: np.ndarray,
    t2: np.ndarray,
    present: np.ndarray | None = None,
) -> np.ndarray:
    """Variances when the units are rows: from per-stratum sums of ``z`` and ``z**2``.

    :math:`\\sum_{i \\in h} (z_i - \\bar z_h)^2 = T_{2h} - T_{1h}^2 / n_h`, with
    :math:`n_h` the rows of stratum ``h`` in the whole design.
    """
    stage = structure.stages[0]
    ss = t2 - t1 * t1 / stage.group_size[:, None]
    return combine_stage(stage, ss, t2, structure.lonely_psu, present)


def covariance(
    structure: Structure, influence: np.ndarray, used: np.ndarray | None = None
) -> np.ndarray:
    """Covariance matrix of the totals of the columns of ``influence`` (n x q).

    This is :math:`\\hat V` above with the cross-products of the centred unit totals, R's
    ``svyrecvar(influence, ...)``. The columns share one set of rows, ``used`` (R's subset
    design; default all rows), so ``average`` uses one factor for the whole matrix.
    """
    e = _as_2d(influence)
    if used is None:
        used = np.ones(e.shape[0], dtype=bool)
    z = unit_totals(structure, e)
    totals = [z]
    for stage in reversed(structure.stages[1:]):
        totals.insert(0, stage.indicator @ totals[0])
    cov = np.zeros((e.shape[1], e.shape[1]))
    for index, (stage, zs) in enumerate(zip(structure.stages, totals, strict=True)):
        cov = cov + _stage_covariance(
            stage, zs, structure.lonely_psu, structure.stratum[used] if index == 0 else None
        )
    return cov


def _stage_covariance(
    stage: Stage, z: np.ndarray, rule: str, present_strata: np.ndarray | None
) -> np.ndarray:
    t1 = stage.indicator @ z
    centred = z - (t1 / stage.group_size[:, None])[stage.group_of_unit]
    weight = stage.carry * stage.scale
    unit_weight = np.where(stage.regular, weight, 0.0)[stage.group_of_unit]
    cov = (centred * unit_weight[:, None]).T @ centred
    if rule == "adjust" and stage.lonely.any():
        lonely_units = stage.lonely[stage.group_of_unit]
        zl = z[lonely_units]
        cov = cov + (zl * weight[stage.group_of_unit][lonely_units][:, None]).T @ zl
    if rule == "average" and stage.lonely.any() and present_strata is not None:
        present = np.zeros(stage.n_groups, dtype=bool)
        present[present_strata] = True
        n_ok = int((present & ~stage.lonely).sum())
        cov = cov * present.sum() / n_ok if n_ok else cov * np.nan
    return cov
