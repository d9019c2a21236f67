"""Small-cell suppression for tables that leave the workbench (donor workbook, reports).

**Primary suppression.** A cell based on fewer than ``threshold`` respondents (unweighted
``n``; default 10, as the ONS "rule of 10" and UK LLC require) is hidden: counts, and
percentages, means and any other statistic whose ``n`` is small. Zeros are published by
default (``suppress_zeros=False``); UK LLC also rejects zeros (``suppress_zeros=True``).
A cell whose ``n`` is unknown is hidden too. With ``count=`` (long tables), a cell whose
numerator (people with the characteristic) is between 1 and ``threshold - 1`` is also
hidden, since ``estimate * n`` would give it away.

**Secondary (complementary) suppression.** A hidden cell must not be recoverable from the
published ones and the row, column and higher-way totals. The table is treated as a full
grid with every subtotal (shown in the table, or — when ``margins_known`` — assumed to be
published elsewhere); a hidden cell is recoverable iff it is fixed by the linear relations
"interior cells of a line sum to the line's total" (see :mod:`evaluation.privacy._grid`).
First the classic rule: while a line has exactly one hidden cell, the cheapest other cell
of the line is hidden too (cheapest: interior before totals, non-zero before zero,
smallest ``n`` first). Then the exact test: while some hidden cell is still recoverable
(e.g. a hidden cell that bridges two blocks of hidden cells, which the classic rule
misses), the cheapest published cell on its lines that makes fewer cells recoverable is
hidden. Totals that are not in the table but would have to stay unpublished are listed in
the notes.

This is the linear-algebra (exact disclosure) guarantee of the UK practice; it does not
bound the interval in which a hidden count can be shown to lie.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ParamsError, format_values
from evaluation.privacy._grid import (
    ABSENT,
    TOTAL,
    VIRTUAL,
    Grid,
    build_grid,
    determined,
    exposed_after_hiding,
)
from evaluation.privacy._grid import neighbours as _neighbours
from evaluation.results import ResultInfo
from evaluation.validation import as_list, require_columns

DEFAULT_THRESHOLD = 10
TOTAL_LABELS = ("All", "Total", "Gjithsej", "Të gjithë")
SECONDARY = "secondary"
_MISSING_LEVEL = "(missing)"

_UNITS = {
    "respondents": ("respondents", "të anketuar"),
    "people": ("people", "persona"),
    "participants": ("participants", "pjesëmarrës"),
    "cases": ("cases", "raste"),
    "children": ("children", "fëmijë"),
}


@dataclass(frozen=True)
class SuppressedTable:
    """A wide table after small-cell suppression.

    Attributes
    ----------
    table : DataFrame
        The input with hidden cells set to NaN.
    reasons : DataFrame
        Same shape: ``""`` for published cells, else ``"primary: n<10"``,
        ``"primary: n=0"``, ``"primary: n unknown"`` or ``"secondary"``.
    threshold : int
    notes : tuple of str
        Totals that are not in the table and must not be published elsewhere, in words.
    hidden_totals : tuple of tuples
        The same totals as cell keys (row levels then column levels, a total label such as
        ``"All"`` for the variables summed over).
    """

    table: pd.DataFrame
    reasons: pd.DataFrame
    threshold: int = DEFAULT_THRESHOLD
    suppress_zeros: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    hidden_totals: tuple[tuple[Hashable, ...], ...] = field(default_factory=tuple)

    @property
    def mask(self) -> pd.DataFrame:
        """True where a cell is hidden."""
        return self.reasons != ""

    def footnote(self, language: str = "en", unit: str = "respondents") -> str:
        """The footnote to print under the table (``language``: ``"en"`` or ``"sq"``)."""
        return suppression_footnote(self.threshold, language, unit, self.suppress_zeros)


def suppress_crosstab(
    table: pd.DataFrame,
    n: pd.DataFrame | None = None,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    suppress_zeros: bool = False,
    totals: str | Iterable[str] = TOTAL_LABELS,
    margins_known: bool = True,
) -> SuppressedTable:
    r"""Hide small cells of a wide cross-tabulation, with complementary suppression.

    Parameters
    ----------
    table : DataFrame
        Values to publish (counts, percentages, means …). Rows and columns may be
        MultiIndexes; labels in ``totals`` mark total rows/columns (``pd.crosstab(...,
        margins=True)`` writes ``"All"``).
    n : DataFrame, optional
        Unweighted respondents behind each cell, same labels as ``table``. Defaults to
        ``table`` itself, which must then hold counts.
    threshold : int
        Cells with ``0 < n < threshold`` are hidden (default 10).
    suppress_zeros : bool
        Also hide cells with ``n == 0`` (UK LLC rule). Default False.
    totals : str or iterable of str
        Labels of total rows and columns.
    margins_known : bool
        Assume that totals not shown in the table are published elsewhere (default True,
        the safe choice).

    Returns
    -------
    SuppressedTable

    Raises
    ------
    ParamsError
        A bad threshold, ``n`` with other labels than ``table``, or no ``n`` for a table
        that does not hold counts.

    Notes
    -----
    Every line ``L`` of the full grid (all interior cells and subtotals) gives a relation

    .. math:: \sum_{c \in L} x_c - x_{T(L)} = 0,

    with ``T(L)`` the line's total. With ``H`` the hidden cells and ``A`` the relations'
    coefficients on ``H``, a hidden cell ``h`` can be worked back iff
    :math:`e_h \in \operatorname{row}(A)`; secondary suppression adds cells to ``H`` until
    that holds for no hidden cell.

    See Also
    --------
    suppress_results : the same for tidy result tables.
    recoverable_cells : audit a published table.
    R ``sdcTable::protectTable(method = "SIMPLEHEURISTIC")`` and tau-Argus, which do
    primary and secondary suppression on hierarchical tables.

    Examples
    --------
    >>> counts = pd.DataFrame({"F": [3, 40], "M": [25, 30]}, index=["Funar", "Elbasan"])
    >>> result = suppress_crosstab(counts)
    >>> result.reasons.loc["Funar", "F"], result.reasons.loc["Funar", "M"]
    ('primary: n<10', 'secondary')
    """
    _check_threshold(threshold)
    n_table = _n_table(table, n)
    labels = _total_labels(totals)
    keys = [
        _normalise_key((*_as_tuple(r), *_as_tuple(c)), labels)
        for r in table.index
        for c in table.columns
    ]
    counts = n_table.to_numpy(dtype=float).ravel()
    names = [*_names(table.index), *_names(table.columns)]
    outcome = _suppress(keys, counts, None, threshold, suppress_zeros, margins_known, names)
    reasons = outcome.reasons
    reason_frame = pd.DataFrame(
        np.array(reasons, dtype=object).reshape(table.shape),
        index=table.index,
        columns=table.columns,
    )
    published = table.copy().astype(float) if _all_numeric(table) else table.copy()
    published = published.mask(reason_frame != "")
    label = sorted(labels)[0] if labels else "All"
    hidden_totals = tuple(
        tuple(label if v is TOTAL else v for v in key) for key in outcome.hidden_totals
    )
    return SuppressedTable(
        published, reason_frame, threshold, suppress_zeros, tuple(outcome.notes), hidden_totals
    )


def suppress_results(
    results: pd.DataFrame,
    by: str | Sequence[str],
    *,
    n: str = "n",
    count: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    suppress_zeros: bool = False,
    totals: str | Iterable[str] = TOTAL_LABELS,
    margins_known: bool = True,
    split_by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Hide small cells of a tidy result table (one row per estimate), with complementary
    suppression along every ``by`` variable.

    Parameters
    ----------
    results : DataFrame
        A tidy table, e.g. from ``survey.mean(design, y, by=["sex", "age_band"])``: ``by``
        columns, identifying columns (``variable``, ``term`` …), ``estimate, se, …, n``.
    by : str or sequence of str
        The classifying columns that form the table's axes. A value in ``totals`` (e.g.
        ``"All"``) marks a total row of that variable; a missing value is its own level.
    n : str
        Column with the unweighted number of respondents behind each row.
    count : str, optional
        Column with the unweighted number of respondents having the characteristic (for
        proportions); rows with ``0 < count < threshold`` are hidden too.
    threshold, suppress_zeros, totals, margins_known
        As in :func:`suppress_crosstab`.
    split_by : sequence of str, optional
        Columns that separate independent tables (default: the columns before
        ``estimate`` that are not in ``by``, e.g. ``variable``).

    Returns
    -------
    DataFrame
        A copy with every value column of hidden rows set to missing (the ``by`` and
        ``split_by`` columns are kept) and a last column ``suppressed`` holding ``""`` or
        the reason (``"primary: n<10"``, ``"primary: count<10"``, ``"secondary"`` …).
        Result metadata in ``attrs["info"]`` is kept, with a note.
        ``attrs["hidden_totals"]`` lists the totals that are not rows of the table and must
        not be published elsewhere either (one dict per total: ``split_by`` and ``by``
        values, ``"All"`` for the variables summed over); ``attrs["suppression_notes"]``
        says the same in words.

    Raises
    ------
    ParamsError, DataError
        Bad threshold; missing columns; two rows for the same cell of a table.

    See Also
    --------
    suppress_crosstab : the rule and the relations (Notes).
    R ``sdcTable::protectTable``.

    Examples
    --------
    >>> table = pd.DataFrame({"sex": ["F", "M", "All"], "estimate": [2.1, 2.4, 2.3],
    ...                       "n": [6, 40, 46]})
    >>> suppress_results(table, by="sex")["suppressed"].tolist()
    ['primary: n<10', 'secondary', '']
    """
    _check_threshold(threshold)
    axes = as_list(by)
    if not axes:
        raise ParamsError("suppress_results() needs at least one 'by' column to form a table")
    groups = _split_columns(results, axes, split_by)
    require_columns(results, [*axes, *groups, n, *as_list(count)], what="result table")
    labels = _total_labels(totals)
    work = results.reset_index(drop=True)  # positions, whatever the caller's index
    reasons = np.full(len(work), "", dtype=object)
    notes: list[str] = []
    hidden_totals: list[dict[str, Hashable]] = []
    label = sorted(labels)[0] if labels else "All"
    for _, part in _groups(work, groups):
        keys = [
            _normalise_key(tuple(_level(v) for v in row), labels)
            for row in part[axes].itertuples(index=False)
        ]
        _refuse_duplicates(keys, axes)
        counts = pd.to_numeric(part[n], errors="coerce").to_numpy(dtype=float)
        numerators = (
            None
            if count is None
            else pd.to_numeric(part[count], errors="coerce").to_numpy(dtype=float)
        )
        outcome = _suppress(
            keys, counts, numerators, threshold, suppress_zeros, margins_known, axes
        )
        reasons[part.index.to_numpy()] = outcome.reasons
        notes += outcome.notes
        where = part.iloc[0][groups].to_dict() if groups else {}
        hidden_totals += [
            {**where, **{a: label if v is TOTAL else v for a, v in zip(axes, key, strict=True)}}
            for key in outcome.hidden_totals
        ]
    out = _blank_rows(results, reasons, [*axes, *groups], threshold, notes)
    out.attrs["hidden_totals"] = hidden_totals
    return out


def suppression_footnote(
    threshold: int = DEFAULT_THRESHOLD,
    language: str = "en",
    unit: str = "respondents",
    suppress_zeros: bool = False,
) -> str:
    """The footnote that explains hidden cells, in English (``"en"``) or Albanian (``"sq"``).

    Examples
    --------
    >>> print(suppression_footnote(10, "sq"))  # doctest: +NORMALIZE_WHITESPACE
    Vlerat që bazohen në më pak se 10 të anketuar nuk shfaqen (–), si dhe disa vlera të
    tjera, që vlerat e fshehura të mos mund të nxirren nga totalet.
    """
    if unit not in _UNITS:
        raise ParamsError(f"unit={unit!r} is not known; choose one of {format_values(_UNITS)}")
    english, albanian = _UNITS[unit]
    if language == "en":
        zeros = ", including zeros," if suppress_zeros else ""
        return (
            f"Values based on fewer than {threshold} {english}{zeros} are not shown (–), nor "
            "are some other values, so that the hidden ones cannot be worked out from totals."
        )
    if language == "sq":
        zeros = ", përfshirë zerot," if suppress_zeros else ""
        return (
            f"Vlerat që bazohen në më pak se {threshold} {albanian}{zeros} nuk shfaqen (–), si "
            "dhe disa vlera të tjera, që vlerat e fshehura të mos mund të nxirren nga totalet."
        )
    raise ParamsError(f"language={language!r} is not available; choose 'en' or 'sq'")


def recoverable_cells(
    published: pd.DataFrame | SuppressedTable,
    *,
    totals: str | Iterable[str] = TOTAL_LABELS,
    margins_known: bool = True,
    hidden_totals: Iterable[tuple[Hashable, ...]] = (),
) -> list[tuple[Hashable, Hashable]]:
    """Audit a published wide table: the hidden (NaN) cells that totals give away.

    Parameters
    ----------
    published : DataFrame or SuppressedTable
        The table as published (hidden cells NaN), or the result of
        :func:`suppress_crosstab` (its ``hidden_totals`` are then taken as unpublished).
    totals, margins_known
        As in :func:`suppress_crosstab`.
    hidden_totals : iterable of tuples
        Totals not in the table that are not published elsewhere either.

    Returns
    -------
    list of (row label, column label)
        Empty when no hidden cell can be worked back exactly from row, column and
        higher-way totals.
    """
    if isinstance(published, SuppressedTable):
        hidden_totals = [*hidden_totals, *published.hidden_totals]
        published = published.table
    labels = _total_labels(totals)
    keys, cells = [], []
    for r in published.index:
        for c in published.columns:
            keys.append(_normalise_key((*_as_tuple(r), *_as_tuple(c)), labels))
            cells.append((r, c))
    grid, positions = build_grid(keys, np.ones(len(keys)), _levels(keys))
    hidden = np.zeros(len(grid.coords), dtype=bool)
    hidden[np.array(positions)[published.isna().to_numpy().ravel()]] = True
    hidden |= (grid.status == VIRTUAL) & (not margins_known)
    unpublished = {_normalise_key(tuple(k), labels) for k in hidden_totals}
    hidden |= np.array([c in unpublished for c in grid.coords])
    found = determined(grid, hidden)
    return [cells[k] for k, i in enumerate(positions) if found[i] and hidden[i]]


# --------------------------------------------------------------------------- core
class _Outcome(NamedTuple):
    reasons: list[str]
    notes: list[str]
    hidden_totals: list[tuple[Hashable, ...]]


def _suppress(
    keys: list[tuple[Hashable, ...]],
    counts: np.ndarray,
    numerators: np.ndarray | None,
    threshold: int,
    suppress_zeros: bool,
    margins_known: bool,
    names: Sequence[str] = (),
) -> _Outcome:
    """Reasons for each input cell, and the totals outside the table that must stay hidden."""
    grid, positions = build_grid(keys, np.nan_to_num(counts, nan=np.inf), _levels(keys))
    grid.n[positions] = counts
    reasons = np.full(len(grid.coords), "", dtype=object)
    for i in np.flatnonzero(grid.status != ABSENT):
        reasons[i] = _primary(grid.n[i], threshold, suppress_zeros)
    if numerators is not None:
        for i, k in zip(positions, numerators, strict=True):
            if not reasons[i] and 0 < k < threshold:
                reasons[i] = f"primary: count<{threshold}"
    hidden_margins = (grid.status == VIRTUAL) & (not margins_known)
    _complement(grid, reasons, hidden_margins)
    hidden_totals = np.flatnonzero((grid.status == VIRTUAL) & (reasons != ""))
    return _Outcome(
        reasons=[str(reasons[i]) for i in positions],
        notes=_virtual_notes(grid, reasons, names, margins_known, threshold),
        hidden_totals=[grid.coords[i] for i in hidden_totals] if margins_known else [],
    )


def _primary(n: float, threshold: int, suppress_zeros: bool) -> str:
    if np.isnan(n):
        return "primary: n unknown"
    if 0 < n < threshold:
        return f"primary: n<{threshold}"
    if n == 0 and suppress_zeros:
        return "primary: n=0"
    return ""


def _complement(grid: Grid, reasons: np.ndarray, hidden_margins: np.ndarray) -> None:
    """Add secondary suppressions until no hidden cell can be worked back (in place).

    First the classic rule, cheap and local: while a line has exactly one hidden cell, hide
    the cheapest other cell of that line. Then the exact test, which also catches hidden
    cells that no single line gives away.
    """
    # Totals of lines whose cells are all absent are known zeros whatever we do: never
    # worth hiding, never counted as exposed.
    structural = grid.structural()
    eligible = (grid.status != ABSENT) & ~structural
    cost = _costs(grid)
    _line_rule(grid, reasons, hidden_margins, eligible, structural, cost)
    while True:
        hidden = (reasons != "") | hidden_margins
        exposed = determined(grid, hidden) & (reasons != "") & ~structural
        if not exposed.any():
            return
        reasons[_best_complement(grid, hidden, exposed, eligible, cost)] = SECONDARY


def _line_rule(
    grid: Grid,
    reasons: np.ndarray,
    hidden_margins: np.ndarray,
    eligible: np.ndarray,
    structural: np.ndarray,
    cost: np.ndarray,
) -> None:
    """The classic rule, in place: no line may have exactly one hidden (suppressed) cell."""
    members = grid.relations != 0
    rank = np.empty(len(cost), dtype=int)
    rank[np.lexsort(cost.T[::-1])] = np.arange(len(cost))
    changed = True
    while changed:
        changed = False
        for row in members:
            hidden = ((reasons != "") | hidden_margins) & ~structural
            lone = np.flatnonzero(row & hidden)
            if lone.size != 1 or reasons[lone[0]] == "":  # a lone unpublished margin is fine
                continue
            options = np.flatnonzero(row & eligible & ~hidden)
            if options.size:
                reasons[options[np.argmin(rank[options])]] = SECONDARY
                changed = True


def _best_complement(
    grid: Grid, hidden: np.ndarray, exposed: np.ndarray, eligible: np.ndarray, cost: np.ndarray
) -> int:
    """The cheapest published cell on a line of an exposed cell whose hiding leaves fewer
    cells exposed; if no single cell does, the cheapest such cell (the next round goes on)."""
    near = np.zeros(len(hidden), dtype=bool)
    for cell in np.flatnonzero(exposed):
        near[_neighbours(grid, cell)] = True
    candidates = np.flatnonzero(near & eligible & ~hidden)
    if candidates.size == 0:
        candidates = np.flatnonzero(eligible & ~hidden)
    if candidates.size == 0:  # cannot happen: a fully hidden grid gives nothing away
        raise DataError("secondary suppression found no cell left to hide; please report this")
    after = exposed_after_hiding(grid, hidden, exposed, candidates)
    order = np.lexsort(cost[candidates].T[::-1])
    helpful = [k for k in order if after[k] < exposed.sum()]
    return int(candidates[helpful[0] if helpful else order[0]])


def _costs(grid: Grid) -> np.ndarray:
    """Rank cells as complements, lexicographically: real interior cells before real totals
    before totals outside the table; non-zero before zero; small n first; then position."""
    n = np.nan_to_num(grid.n, nan=np.inf)
    return np.column_stack(
        [grid.status == VIRTUAL, grid.is_total, n == 0, n, np.arange(len(n))]
    ).astype(float)


def _virtual_notes(
    grid: Grid, reasons: np.ndarray, names: Sequence[str], margins_known: bool, threshold: int
) -> list[str]:
    if not margins_known:
        return []
    notes = []
    for i in np.flatnonzero((grid.status == VIRTUAL) & (reasons != "")):
        why = (
            f"it is based on fewer than {threshold} respondents"
            if reasons[i] != SECONDARY
            else "it would give away a hidden cell"
        )
        notes.append(f"do not publish the total for {_describe(grid.coords[i], names)}: {why}")
    return notes


# --------------------------------------------------------------------------- helpers
def _blank_rows(
    results: pd.DataFrame, reasons: np.ndarray, keep: list[str], threshold: int, notes: list[str]
) -> pd.DataFrame:
    out = results.copy()
    hidden = reasons != ""
    primary = np.array([r.startswith("primary") for r in reasons], dtype=bool)
    for column in out.columns:
        if column in keep or not hidden.any():
            continue
        if pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(
            out[column]
        ):
            out[column] = out[column].mask(hidden)
        else:
            out[column] = out[column].astype(object).mask(hidden)
    out["suppressed"] = pd.Series(reasons, index=out.index, dtype="str")
    summary = (
        f"small-cell suppression: {int(hidden.sum())} of {len(out)} rows hidden, "
        f"{int(primary.sum())} based on fewer than {threshold} "
        f"respondents and {int((reasons == SECONDARY).sum())} to protect them"
    )
    info = results.attrs.get("info")
    if isinstance(info, ResultInfo):
        out.attrs["info"] = replace(info, notes=(*info.notes, summary, *notes))
    out.attrs["suppression_notes"] = (summary, *notes)
    return out


def _split_columns(
    results: pd.DataFrame, axes: list[str], split_by: Sequence[str] | None
) -> list[str]:
    if split_by is not None:
        return as_list(split_by)
    columns = list(results.columns)
    ids = columns[: columns.index("estimate")] if "estimate" in columns else []
    return [c for c in ids if c not in axes]


def _groups(results: pd.DataFrame, groups: list[str]) -> Iterable[tuple[object, pd.DataFrame]]:
    if not groups:
        return [(None, results)]
    return results.groupby(groups, sort=False, dropna=False)


def _refuse_duplicates(keys: list[tuple[Hashable, ...]], axes: list[str]) -> None:
    seen: set[tuple[Hashable, ...]] = set()
    repeated = [k for k in keys if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
    if repeated:
        shown = ["/".join("All" if v is TOTAL else str(v) for v in k) for k in repeated]
        raise DataError(
            f"the result table has more than one row for {format_values(shown)} of "
            f"({', '.join(axes)}); add the column that tells them apart to split_by=, or "
            "pass one table per variable"
        )


def _n_table(table: pd.DataFrame, n: pd.DataFrame | None) -> pd.DataFrame:
    if n is None:
        values = table.apply(pd.to_numeric, errors="coerce")
        finite = values.to_numpy(dtype=float)
        finite = finite[~np.isnan(finite)]
        if (finite < 0).any() or not np.all(finite == np.round(finite)):
            raise ParamsError(
                "suppress_crosstab(): the table does not hold counts (it has negative or "
                "fractional values); pass n= with the unweighted number of respondents behind "
                "each cell"
            )
        return values
    if not (n.index.equals(table.index) and n.columns.equals(table.columns)):
        raise ParamsError(
            "suppress_crosstab(): n= must have the same row and column labels as the table "
            f"(table {table.shape}, n {n.shape}); build both with the same crosstab call"
        )
    return n.apply(pd.to_numeric, errors="coerce")


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 1:
        raise ParamsError(f"threshold must be a whole number of at least 1, got {threshold!r}")


def _total_labels(totals: str | Iterable[str]) -> frozenset[str]:
    return frozenset(as_list(totals))


def _as_tuple(label: Hashable) -> tuple[Hashable, ...]:
    return label if isinstance(label, tuple) else (label,)


def _level(value: object) -> Hashable:
    """A missing by-value (respondents with no answer) is a level of its own."""
    missing = value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
    return _MISSING_LEVEL if missing else value  # type: ignore[return-value]


def _normalise_key(key: tuple[Hashable, ...], labels: frozenset[str]) -> tuple[Hashable, ...]:
    """Replace total labels by TOTAL; ``""`` after a total (``("All", "")`` from pandas
    crosstab margins on a MultiIndex) is a total too."""
    out: list[Hashable] = []
    after_total = False
    for value in key:
        is_total = isinstance(value, str) and (value in labels or (after_total and value == ""))
        out.append(TOTAL if is_total else value)
        after_total = after_total or is_total
    return tuple(out)


def _levels(keys: list[tuple[Hashable, ...]]) -> list[list[Hashable]]:
    width = len(keys[0]) if keys else 0
    levels: list[list[Hashable]] = [[] for _ in range(width)]
    for key in keys:
        for d, value in enumerate(key):
            if value is not TOTAL and value not in levels[d]:
                levels[d].append(value)
    return levels


def _describe(coord: tuple[Hashable, ...], names: Sequence[str]) -> str:
    """``sex='F', age_band=all`` (axes without names are numbered)."""
    labels = [*names, *(f"axis {d + 1}" for d in range(len(names), len(coord)))]
    return ", ".join(
        f"{label}=all" if value is TOTAL else f"{label}={value!r}"
        for label, value in zip(labels, coord, strict=False)
    )


def _names(index: pd.Index) -> list[str]:
    return [
        str(name) if name is not None else f"level {i + 1}" for i, name in enumerate(index.names)
    ]


def _all_numeric(table: pd.DataFrame) -> bool:
    return all(pd.api.types.is_numeric_dtype(table[c]) for c in table.columns)
