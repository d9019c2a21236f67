"""Small-cell suppression across the monitoring report's tables, so that they agree.

Every count of cases, children or people and every statistic about them is protected with
:func:`evaluation.privacy.suppress_results` (primary suppression below the threshold, then
complementary suppression within each table). The report publishes the same totals in
several tables, e.g. the DV cases registered in October are the last point of the trend and
the total row of each breakdown of October's cases. If one table hid such a total and
another showed it, the protection would be undone, so totals are *linked*: a total hidden in
one table is hidden in every table that shows it (and the categories there get their own
complementary suppression), until no table hides a total another shows.

A total is identified by its measure and the months it covers; a breakdown's total row
(category ``"All"``) for the period ``2023-10`` and the trend's point for ``2023-10`` are
the same total. Counts of events rather than people (trainings held, sessions) are not
suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.errors import ReportError
from evaluation.monitoring.counting import TOTAL
from evaluation.privacy import suppress_results

SECONDARY = "secondary"
LINKED = "secondary: total hidden in another table"

Key = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class TableSpec:
    """One long table to protect and how its cells relate.

    Attributes
    ----------
    name : str
        The table's name in the report.
    table : DataFrame
        Long table from :mod:`evaluation.monitoring.counting`: ``measure, variable, period,
        category``, the result columns, ``n``.
    by : str
        The column whose categories add up to the total row: ``"category"`` for a
        breakdown, ``"period"`` for a trend whose total row is the period ``"All"``.
    split_by : tuple of str
        Columns that separate independent tables.
    margins_known : bool
        The categories add up to a published total (``False`` for multiple-choice
        breakdowns, statistics and trends of measures that do not add up over months:
        primary suppression only).
    protected : bool
        ``False`` for counts of events (trainings, sessions), published as they are.
    """

    name: str
    table: pd.DataFrame
    by: str = "category"
    split_by: tuple[str, ...] = ("measure", "variable", "period")
    margins_known: bool = True
    protected: bool = True


def protect_tables(
    specs: Sequence[TableSpec],
    period_months: Mapping[str, tuple[str, ...]],
    threshold: int = 10,
    max_rounds: int = 20,
) -> dict[str, pd.DataFrame]:
    """Suppress small cells in every table, consistently across tables.

    Parameters
    ----------
    specs : sequence of TableSpec
        The tables.
    period_months : mapping of str to tuple of str
        The months each period label covers (``"2023-10"`` → ``("2023-10",)``,
        ``"2022-11/2023-10"`` → twelve months, a trend's ``"All"`` → its months).
    threshold : int
        Cells based on fewer cases (``0 < n < threshold``) are hidden.
    max_rounds : int
        Safety limit on the rounds of linking (each round hides at least one more total).

    Returns
    -------
    dict of str to DataFrame
        Each table with hidden values set to missing and a ``suppressed`` column:
        ``""``, ``"primary: n<10"``, ``"secondary"``, or
        ``"secondary: total hidden in another table"``.

    Raises
    ------
    ReportError
        A period label without months, or linking that does not settle (a bug).

    Notes
    -----
    The hidden totals only grow from round to round, and there are finitely many, so the
    loop ends; each round re-runs the suppression of every table with the totals hidden so
    far forced hidden (their ``n`` treated as unknown). Within a table the rule is that of
    :func:`evaluation.privacy.suppress_results`: no hidden cell is fixed by the relations
    "the cells of a line add up to its total".

    See Also
    --------
    R ``sdcTable::protectLinkedTables``, which protects tables sharing cells in the same way.
    """
    origin: dict[Key, tuple[str, str]] = {}  # where (table, reason) a total was first hidden
    for _ in range(max_rounds):
        forced = set(origin)
        out = {}
        for spec in specs:
            table, keys = _protect_one(spec, forced, origin, period_months, threshold)
            out[spec.name] = table
            for key, reason in zip(keys, table["suppressed"], strict=True):
                if key and reason:
                    origin.setdefault(key, (spec.name, reason))
        if set(origin) == forced:
            return out
    raise ReportError("small-cell suppression of the monitoring tables did not settle")


def _protect_one(
    spec: TableSpec,
    forced: set[Key],
    origin: Mapping[Key, tuple[str, str]],
    period_months: Mapping[str, tuple[str, ...]],
    threshold: int,
) -> tuple[pd.DataFrame, list[Key | None]]:
    table = spec.table.reset_index(drop=True)
    keys = [_key(row, spec, period_months) for row in table.itertuples(index=False)]
    if not spec.protected or table.empty:
        out = table.copy()
        out["suppressed"] = pd.Series([""] * len(out), dtype="str")
        out.attrs = dict(spec.table.attrs)
        return out, keys
    linked = np.array([k in forced for k in keys], dtype=bool)
    work = table.copy()
    work.attrs = dict(spec.table.attrs)
    if linked.any():
        work["n"] = work["n"].mask(linked)  # hidden elsewhere: hidden here, whatever its n
    out = suppress_results(
        work,
        by=spec.by,
        split_by=list(spec.split_by),
        threshold=threshold,
        margins_known=spec.margins_known,
    )
    reasons = out["suppressed"].to_numpy(dtype=object)
    counts = pd.to_numeric(table["n"], errors="coerce").to_numpy(dtype=float)
    for i in np.flatnonzero(linked):
        where, why = origin[keys[i]]  # type: ignore[index]
        if where == spec.name:
            reasons[i] = why  # this table hid it first, for its own reason
        elif 0 < counts[i] < threshold:
            reasons[i] = f"primary: n<{threshold}"
        else:
            reasons[i] = LINKED
    out["suppressed"] = pd.Series(reasons, index=out.index, dtype="str")
    return out, keys


def _key(row: tuple, spec: TableSpec, period_months: Mapping[str, tuple[str, ...]]) -> Key | None:
    """The linked total a row is, or None (a category cell)."""
    values = row._asdict()  # type: ignore[attr-defined]
    if values.get("category") != TOTAL:
        return None
    period = str(values["period"])
    if period not in period_months:
        raise ReportError(
            f"table '{spec.name}': period label {period!r} has no months; known labels: "
            f"{', '.join(period_months)}"
        )
    return (str(values["measure"]), tuple(period_months[period]))


def hidden(table: pd.DataFrame) -> pd.Series:
    """True for the rows of a protected table whose values are hidden."""
    return table["suppressed"].astype(str) != ""
