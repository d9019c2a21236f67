"""The additive structure of a table with margins, and which hidden cells it gives away.

A table with ``k`` classifying variables (axes) is seen as the full grid of cells
``(levels_1 ∪ {TOTAL}) × … × (levels_k ∪ {TOTAL})``: interior cells and every subtotal and
grand total. Each line along an axis is one linear relation: the sum of the line's interior
cells equals the line's total cell. Hidden (suppressed) cells are unknowns; published cells
are constants. A hidden cell can be worked back exactly iff its unit vector lies in the row
space of the relations restricted to the hidden cells, i.e. iff every vector of the null
space of that matrix is zero at the cell.

Cells missing from the input are *absent* when interior (a published table that omits a
combination tells the reader it is empty, so they are known zeros) and *virtual* when a
total (not shown in the table but possibly published elsewhere: known when
``margins_known``, hidden otherwise).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np


class _Total:
    def __repr__(self) -> str:
        return "TOTAL"


TOTAL = _Total()
PRESENT, ABSENT, VIRTUAL = "present", "absent", "virtual"


@dataclass
class Grid:
    """Cells, their status and unweighted n, and the relations between them."""

    levels: list[list[Hashable]]
    coords: list[tuple[Hashable, ...]]
    status: np.ndarray  # object array of PRESENT | ABSENT | VIRTUAL
    n: np.ndarray  # float, unweighted respondents (virtual totals: sum of interior)
    relations: np.ndarray  # relations x cells, entries 0, +1 (member), -1 (line total)
    codes: np.ndarray  # cells x axes, level number or -1 for a total

    @property
    def is_total(self) -> np.ndarray:
        return np.any(self.codes < 0, axis=1)

    def block(self) -> np.ndarray:
        """cells x interior cells: True where the interior cell is summed into the cell."""
        interior = self.codes[~self.is_total]
        match = (self.codes[:, None, :] < 0) | (self.codes[:, None, :] == interior[None, :, :])
        return np.all(match, axis=2)

    def structural(self) -> np.ndarray:
        """Totals whose interior cells are all absent: known zeros whatever is hidden.

        Any other cell can be moved by adding the same amount to one present interior cell
        of its block and to every total above that cell, which keeps every relation true.
        """
        present = (self.status == PRESENT)[~self.is_total]
        return self.is_total & ~np.any(self.block() & present[None, :], axis=1)


def build_grid(
    keys: Sequence[tuple[Hashable, ...]], n: Sequence[float], levels: list[list[Hashable]]
) -> tuple[Grid, list[int]]:
    """The full grid for cells given by their coordinates (``TOTAL`` marks a total).

    Returns the grid and, for each input cell, its index in the grid.
    """
    axes = [[*lv, TOTAL] for lv in levels]
    coords = list(itertools.product(*axes))
    index = {c: i for i, c in enumerate(coords)}
    status = np.array([ABSENT if not _has_total(c) else VIRTUAL for c in coords], dtype=object)
    values = np.zeros(len(coords))
    positions = []
    for key, count in zip(keys, n, strict=True):
        i = index[key]
        status[i], values[i] = PRESENT, count
        positions.append(i)
    codes = np.array(
        [[-1 if v is TOTAL else axes[d].index(v) for d, v in enumerate(c)] for c in coords],
        dtype=int,
    ).reshape(len(coords), len(axes))
    grid = Grid(levels, coords, status, values, _relations(axes, index, len(coords)), codes)
    virtual = status == VIRTUAL
    interior_values = np.where(grid.is_total, 0.0, values)[~grid.is_total]
    values[virtual] = grid.block()[virtual] @ interior_values
    return grid, positions


def determined(grid: Grid, hidden: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Boolean mask of hidden cells whose value follows exactly from the published ones.

    ``hidden`` is a boolean mask over the grid's cells (absent cells are always known).
    Gauss-Jordan elimination of the relations restricted to the hidden cells: a hidden cell
    is fixed iff it is a pivot whose reduced row has no free (non-pivot) cell in it.
    Elementwise numpy only: small LAPACK calls are slow under multi-threaded BLAS.
    """
    unknown = np.flatnonzero(hidden)
    result = np.zeros(len(hidden), dtype=bool)
    if unknown.size == 0:
        return result
    matrix = grid.relations[:, unknown]
    matrix = matrix[np.any(matrix != 0, axis=1)].astype(float)
    if matrix.shape[0] == 0:
        return result
    pivot_rows, pivot_cols = _reduce(matrix, tol)
    free = np.ones(unknown.size, dtype=bool)
    free[pivot_cols] = False
    for row, col in zip(pivot_rows, pivot_cols, strict=True):
        if not np.any(np.abs(matrix[row, free]) > tol):
            result[unknown[col]] = True
    return result


def exposed_after_hiding(
    grid: Grid, hidden: np.ndarray, exposed: np.ndarray, candidates: np.ndarray, tol: float = 1e-9
) -> np.ndarray:
    """For each candidate cell, how many cells would be exposed once it is hidden too.

    ``exposed`` marks the hidden cells that count (determined now); the candidate itself
    counts when hiding it leaves it determined. One elimination of ``[A | C]`` (relations
    restricted to the hidden cells, then to the candidates) answers for all candidates:
    candidate column ``c`` lies in the column space of ``A`` iff its reduced entries below
    the pivots vanish; then, with ``A w = c``, a determined cell ``k`` stays determined iff
    ``w_k = 0`` (``w_k`` is the same for every solution because ``k`` is determined).
    A candidate outside the column space adds rank: nothing changes and it is determined.
    """
    unknown = np.flatnonzero(hidden)
    used = np.any(grid.relations[:, unknown] != 0, axis=1) | np.any(
        grid.relations[:, candidates] != 0, axis=1
    )
    matrix = np.hstack(
        [grid.relations[used][:, unknown], grid.relations[used][:, candidates]]
    ).astype(float)
    width = unknown.size
    pivot_rows, pivot_cols = _reduce(matrix, tol, pivot_limit=width)
    free = np.ones(width, dtype=bool)
    free[pivot_cols] = False
    counted = [
        row
        for row, col in zip(pivot_rows, pivot_cols, strict=True)
        if exposed[unknown[col]] and not np.any(np.abs(matrix[row, :width][free]) > tol)
    ]
    effects = matrix[:, width:]
    outside = np.any(np.abs(effects[len(pivot_rows) :]) > tol, axis=0)
    still = (
        np.sum(np.abs(effects[counted]) <= tol, axis=0) if counted else np.zeros(candidates.size)
    )
    return np.where(outside, int(exposed.sum()) + 1, still).astype(int)


def _reduce(
    matrix: np.ndarray, tol: float, pivot_limit: int | None = None
) -> tuple[list[int], list[int]]:
    """Reduce ``matrix`` in place to reduced row echelon form, choosing pivots among its
    first ``pivot_limit`` columns; return the pivots."""
    rows = matrix.shape[0]
    pivot_rows: list[int] = []
    pivot_cols: list[int] = []
    r = 0
    for c in range(matrix.shape[1] if pivot_limit is None else pivot_limit):
        if r == rows:
            break
        p = r + int(np.argmax(np.abs(matrix[r:, c])))
        if abs(matrix[p, c]) <= tol:
            continue
        matrix[[r, p]] = matrix[[p, r]]
        matrix[r] /= matrix[r, c]
        factors = matrix[:, c].copy()
        factors[r] = 0.0
        touched = np.flatnonzero(np.abs(factors) > tol)
        if touched.size:
            matrix[touched] -= np.multiply.outer(factors[touched], matrix[r])
        pivot_rows.append(r)
        pivot_cols.append(c)
        r += 1
    return pivot_rows, pivot_cols


def neighbours(grid: Grid, cell: int) -> np.ndarray:
    """Indices of the cells that share a relation with ``cell``."""
    rows = grid.relations[:, cell] != 0
    linked = np.any(grid.relations[rows] != 0, axis=0)
    linked[cell] = False
    return np.flatnonzero(linked)


def _has_total(coord: tuple[Hashable, ...]) -> bool:
    return any(c is TOTAL for c in coord)


def _relations(
    axes: list[list[Hashable]], index: dict[tuple[Hashable, ...], int], size: int
) -> np.ndarray:
    rows = []
    for d, axis in enumerate(axes):
        others = [a for e, a in enumerate(axes) if e != d]
        for rest in itertools.product(*others):
            row = np.zeros(size)
            for level in axis:
                coord = (*rest[:d], level, *rest[d:])
                row[index[coord]] = -1.0 if level is TOTAL else 1.0
            rows.append(row)
    return np.array(rows) if rows else np.zeros((0, size))
