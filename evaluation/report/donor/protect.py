"""Small-cell protection of the tables a donor workbook publishes.

:func:`protect` hides every value based on fewer than ``threshold`` respondents (the
unweighted ``n``), and, when a table is a grid with totals (``by=`` columns), further values
until no hidden one can be worked back from the published ones and the totals (secondary
suppression, :func:`evaluation.privacy.suppress_results`). :func:`protect_sample` does it
for the respondents-by-characteristic-and-area counts and lays them out wide. Both return a
:class:`Protected`: the table with hidden values blank, where they were, and why.

A report that decides suppression across several tables at once (the monitoring report,
whose tables share totals) builds its :class:`Protected` with :meth:`Protected.from_hidden`
and writes it with :meth:`evaluation.report.donor.DonorWorkbook.add_protected`, so that the
workbook does not decide it again on one table alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.errors import ReportError, format_values
from evaluation.privacy.disclosure import DEFAULT_THRESHOLD, TOTAL_LABELS, suppress_results

__all__ = ["TOTAL", "TOTALS", "Protected", "protect", "protect_sample"]

TOTAL = "total"
"""The value that marks a total row in a ``by`` column (as ``disaggregation_table`` writes)."""

TOTALS: tuple[str, ...] = (TOTAL, *TOTAL_LABELS)
"""Every label of a total row."""


@dataclass(frozen=True)
class Protected:
    """A table after small-cell suppression (see :func:`protect`).

    Attributes
    ----------
    table : DataFrame
        The input with hidden values set to missing (same columns and order).
    hidden : DataFrame
        Same shape, True where a value was hidden.
    reasons : Series
        One per row: ``""`` (published), ``"primary: n<10"``, ``"primary: count<10"``,
        ``"primary: n unknown"`` or ``"secondary"``.
    threshold : int
    notes : tuple of str
        Totals outside the table that must not be published elsewhere, in words.
    """

    table: pd.DataFrame
    hidden: pd.DataFrame
    reasons: pd.Series
    threshold: int
    notes: tuple[str, ...] = ()

    @property
    def n_hidden(self) -> int:
        """Rows with at least one hidden value."""
        return int((self.reasons != "").sum())

    @classmethod
    def from_hidden(
        cls,
        table: pd.DataFrame,
        hidden: pd.DataFrame,
        threshold: int = DEFAULT_THRESHOLD,
        *,
        reason: str = "secondary",
        notes: Sequence[str] = (),
    ) -> Protected:
        """A table whose hidden cells were decided elsewhere, e.g. across every table of a
        report at once (:mod:`evaluation.monitoring.protect`).

        Parameters
        ----------
        table : DataFrame
            The values (not modified); those marked in ``hidden`` are blanked here, whatever
            they hold.
        hidden : DataFrame
            True where a value is hidden, row for row with ``table`` (by position); columns
            it does not have are never hidden. Missing means not hidden.
        threshold : int
            The smallest publishable ``n`` the decision used (for the footnote).
        reason : str
            The reason of each row with a hidden value (``"secondary"``: hidden because of
            other cells; or ``"primary: n<10"`` ...).
        notes : sequence of str
            Totals outside the table that must not be published elsewhere, in words.

        Raises
        ------
        ReportError
            ``hidden`` has another number of rows, or columns that ``table`` does not have.
        """
        if len(hidden) != len(table):
            raise ReportError(
                f"the hidden-cell mask has {len(hidden)} rows for a table of {len(table)}; "
                "build it row for row with the table"
            )
        unknown = [str(c) for c in hidden.columns if c not in table.columns]
        if unknown:
            raise ReportError(
                f"the hidden-cell mask names column(s) {format_values(unknown)} that the table "
                f"does not have; it has {format_values([str(c) for c in table.columns], 12)}"
            )
        mask = hidden.reset_index(drop=True).reindex(columns=table.columns, fill_value=False)
        mask = mask.astype(object).fillna(False).astype(bool)  # missing: not hidden
        mask.index = table.index
        rows = mask.any(axis=1)
        values = table.copy()
        for column in mask.columns[mask.any(axis=0).to_numpy()]:
            values[column] = _blank(values[column], mask[column].to_numpy())
        reasons = pd.Series(np.where(rows.to_numpy(), reason, ""), index=table.index, dtype=str)
        return cls(values, mask, reasons.astype(str), threshold, tuple(notes))


def protect(
    table: pd.DataFrame,
    *,
    n: str | None = "n",
    by: str | Sequence[str] | None = None,
    split_by: Sequence[str] | None = None,
    count: str | None = None,
    hide: Sequence[str] | None = None,
    keep: Sequence[str] = (),
    threshold: int = DEFAULT_THRESHOLD,
    totals: str | Iterable[str] = TOTALS,
    margins_known: bool = True,
) -> Protected:
    """Hide values based on fewer than ``threshold`` respondents, so that no hidden value can
    be worked back from the published ones and the totals.

    Parameters
    ----------
    table : DataFrame
        One row per published estimate or count (not modified).
    n : str or None
        Column with the unweighted number of respondents behind each row. ``None`` says the
        table is not based on respondents (targets, method facts): nothing is hidden.
    by : str or sequence of str, optional
        Classifying columns that make the table a grid with totals (a value in ``totals``,
        e.g. ``"total"``, marks a total row): secondary suppression along each of them
        (:func:`evaluation.privacy.suppress_results`). Without ``by`` the rows are
        independent (regression terms, different indicators): primary suppression only.
    split_by : sequence of str, optional
        With ``by``: columns that separate independent grids (e.g. ``indicator, period``);
        default the columns before ``estimate`` that are not in ``by``.
    count : str, optional
        Column with the unweighted number of respondents *with* the characteristic; rows
        where it is between 1 and ``threshold - 1`` are hidden too.
    hide : sequence of str, optional
        Columns blanked in hidden rows. Default: every numeric column except ``by``,
        ``split_by`` and ``keep``; text columns stay, so the reader sees which row is
        hidden. Name text columns that carry results (a formatted interval, a status).
    keep : sequence of str
        Columns never blanked (labels, units, logframe targets).
    threshold : int
        Smallest publishable ``n`` (default 10). Zeros are published.
    totals : str or iterable of str
        Labels of total rows in ``by`` columns.
    margins_known : bool
        Treat totals that are not rows of the table as published elsewhere (the safe
        default).

    Returns
    -------
    Protected

    Raises
    ------
    ReportError
        ``n`` or another named column is not in the table.
    ParamsError, DataError
        From :func:`evaluation.privacy.suppress_results` (bad threshold; two rows for one
        cell of a grid).

    Notes
    -----
    The rule is the UK practice of the domain brief (§7): the threshold applies to the
    unweighted ``n`` (ONS "rule of 10", UK LLC), percentages, means and their intervals
    based on a small ``n`` are hidden with it, and complementary cells are hidden so that
    the linear relations "the cells of a line sum to its total" fix no hidden cell. A row
    whose ``n`` is missing is hidden only if it publishes a number.

    See Also
    --------
    evaluation.privacy.suppress_results, evaluation.privacy.suppress_crosstab;
    R ``sdcTable::protectTable``.
    """
    axes = [by] if isinstance(by, str) else list(by or [])
    require_columns(
        table, [*([n] if n else []), *axes, *(split_by or []), *([count] if count else [])]
    )
    require_columns(table, [*(hide or []), *keep])
    work = table.reset_index(drop=True)
    reasons = pd.Series("", index=work.index, dtype=object)
    notes: tuple[str, ...] = ()
    values = [
        c
        for c in (hide if hide is not None else [c for c in work.columns if _is_number(work[c])])
        if c not in {*axes, *keep, *(split_by or [])}
    ]
    if n is not None and axes:
        suppressed = suppress_results(
            work,
            by=axes,
            n=n,
            count=count,
            threshold=threshold,
            totals=totals,
            margins_known=margins_known,
            split_by=split_by,
        )
        reasons = suppressed["suppressed"].astype(object)
        notes = tuple(suppressed.attrs.get("suppression_notes", ())[1:])
    elif n is not None:
        reasons = _primary_reasons(work, n, count, values, threshold)
    hidden = pd.DataFrame(False, index=work.index, columns=work.columns)
    rows = (reasons != "").to_numpy()
    if rows.any():
        hidden.loc[rows, values] = True
    out = work.copy()
    for column in values:
        if rows.any():
            out[column] = _blank(out[column], rows)
    out.index, hidden.index, reasons.index = table.index, table.index, table.index
    return Protected(out, hidden, reasons.astype(str), threshold, notes)


def protect_sample(sample: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> Protected:
    """Respondent counts by characteristic and area, protected and laid out wide.

    Parameters
    ----------
    sample : DataFrame
        Long counts ``dimension, category, arm, n`` with ``"total"`` rows for the category
        and the arm (:func:`evaluation.baseline.sections.sample_counts`).
    threshold : int
        Smallest publishable count.

    Returns
    -------
    Protected
        ``table``: ``dimension, category, n_<arm>..., n_total, share`` (the category's share
        of the dimension's respondents); ``hidden`` marks the hidden counts (a share is
        hidden with its total). Each dimension is a category × arm grid with its totals,
        protected by :func:`protect` with secondary suppression.
    """
    require_columns(sample, ["dimension", "category", "arm", "n"])
    protected = protect(
        sample,
        n="n",
        by=["category", "arm"],
        split_by=["dimension"],
        hide=["n"],
        threshold=threshold,
    )
    wide, hidden, _ = _sample_wide(protected, sample)
    reasons = hidden.any(axis=1).map({True: "hidden", False: ""}).astype(str)
    return Protected(wide, hidden, reasons, threshold, protected.notes)


def _primary_reasons(
    table: pd.DataFrame, n: str, count: str | None, values: Sequence[str], threshold: int
) -> pd.Series:
    sizes = pd.to_numeric(table[n], errors="coerce").astype(float)
    numbers = [
        c
        for c in values
        if c != n
        and pd.api.types.is_numeric_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
    ]
    publishes = table[numbers].notna().any(axis=1) if numbers else pd.Series(False, table.index)
    reasons = pd.Series("", index=table.index, dtype=object)
    reasons[(sizes > 0) & (sizes < threshold)] = f"primary: n<{threshold}"
    reasons[sizes.isna() & publishes] = "primary: n unknown"
    if count is not None:
        counts = pd.to_numeric(table[count], errors="coerce").astype(float)
        small = (counts > 0) & (counts < threshold) & (reasons == "")
        reasons[small] = f"primary: count<{threshold}"
    return reasons


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _blank(series: pd.Series, rows: np.ndarray) -> pd.Series:
    mask = pd.Series(rows, index=series.index)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.mask(mask)
    return series.astype(object).mask(mask)


def require_columns(table: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise a :class:`ReportError` naming the ``columns`` that ``table`` lacks."""
    missing = [c for c in dict.fromkeys(columns) if c not in table.columns]
    if missing:
        raise ReportError(
            f"the table has no column {format_values(missing)}; it has "
            f"{format_values([str(c) for c in table.columns], limit=12)}"
        )


def _sample_wide(
    protected: Protected, sample: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[Hashable]]:
    """The protected long counts as ``dimension, category, n_<arm>..., n_total, share``."""
    long = protected.table.assign(_hidden=protected.hidden["n"].to_numpy())
    arms = [a for a in dict.fromkeys(sample["arm"]) if a not in TOTALS]
    keys = list(dict.fromkeys(zip(long["dimension"], long["category"], strict=True)))
    rows, masks = [], []
    for dimension, category in keys:
        part = long[(long["dimension"] == dimension) & (long["category"] == category)]
        by_arm = part.set_index("arm")
        row: dict[str, object] = {"dimension": dimension, "category": category}
        mask: dict[str, bool] = {"dimension": False, "category": False}
        for arm in [*arms, TOTAL]:
            key = f"n_{arm}"
            present = arm in by_arm.index
            row[key] = by_arm.at[arm, "n"] if present else pd.NA
            mask[key] = bool(by_arm.at[arm, "_hidden"]) if present else False
        rows.append(row)
        masks.append(mask)
    wide = pd.DataFrame(rows)
    hidden = pd.DataFrame(masks)
    for column in [c for c in wide.columns if c.startswith("n_")]:
        wide[column] = pd.array(pd.to_numeric(wide[column]).round(), dtype="Int64")
    grand = wide[wide["category"].isin(TOTALS)].set_index("dimension")["n_total"].to_dict()
    denominators = wide["dimension"].map(grand)
    wide["share"] = (wide["n_total"].astype("Float64") / denominators.astype("Float64")).astype(
        float
    )
    hidden["share"] = hidden["n_total"]
    wide.loc[hidden["share"].to_numpy(), "share"] = np.nan
    return wide, hidden, arms
