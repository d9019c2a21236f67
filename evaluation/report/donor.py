"""The donor workbook: the Excel file a UK-funded programme reports its results in.

One :class:`DonorWorkbook` per run and language. Reports add their sheets through it, and it
makes every sheet safe to leave the workbench and styled as a careful analyst would:

=================  ==========================================================================
sheet              method
=================  ==========================================================================
About (first)      written by :meth:`~DonorWorkbook.save`: project, period, run id and date,
                   data sources with SHA-256, method notes, the small-cell rule
Logframe           :meth:`~DonorWorkbook.add_logframe` (from ``indicators.logframe_table``):
                   id, level, indicator, unit, baseline, milestone, target, actual with CI,
                   % of target, status (on track / at risk / off track, coloured)
Headline           :meth:`~DonorWorkbook.add_headline_chart`: a native Excel bar chart of
                   the headline percent indicators (baseline, actual, target)
one per dimension  :meth:`~DonorWorkbook.add_disaggregation` (from
                   ``indicators.disaggregation_table``): sex, age band, disability, unit, arm
Impact             :meth:`~DonorWorkbook.add_impact`: any table of effect estimates
Balance            :meth:`~DonorWorkbook.add_balance` (from ``impact.balance_table``)
Sample             :meth:`~DonorWorkbook.add_sample`: respondents by characteristic and arm
anything else      :meth:`~DonorWorkbook.add_table` (capacity, monitoring ... sheets)
=================  ==========================================================================

**Safe.** Every table goes through :func:`protect` before it is written: a row (cell) based
on fewer than ``min_cell_size`` respondents (unweighted ``n``; default 10) is blanked, and
with ``by=`` columns the table is treated as a grid with its totals, so further cells are
blanked until no hidden one can be worked back from the others and the totals (secondary
suppression, :func:`evaluation.privacy.suppress_results`). Hidden cells are shaded grey, a
"Suppressed" column says why, and a footnote in the workbook's language says so. Columns
that are personal fields (``forbidden``, from the instruments' ``personal_data``) or
row-level metadata (``_submission_id`` ...) are refused with a :class:`PrivacyError`; no cell
starts a formula from data (:func:`evaluation.privacy.safe_cell`, in
:class:`~evaluation.report.workbook.Workbook`).

**Readable.** Headers, sheet names, levels, units, statuses and the fixed text come from
``evaluation/report/i18n/<language>.yaml`` (``donor.*``); numbers stay numbers with Excel
formats (percent indicators ``0.0%``, scores ``0.0``, counts ``#,##0``; the format follows
each row's unit); headers are filled, frozen and filtered; columns are sized and long text
wraps; sheets print landscape, one page wide.

**Reproducible.** The document's times are the run's (from its id), never the wall clock:
the same inputs and params give the same workbook values (and bytes).

Examples
--------
>>> book = DonorWorkbook.for_run(run, instruments=[youth_form])          # doctest: +SKIP
>>> book.add_logframe(logframe_table(logframe, results, as_of=date(2022, 12, 31)))
>>> book.add_disaggregation(disaggregation_table(logframe, tables, "sex"), "sex",
...                         dimension_label="Sex", labels={"sex": {"female": "Female"}})
>>> book.add_table("Trainings", trainings, by=["institution", "sex"], title="People trained")
>>> book.save(run.output_path("donor_workbook.xlsx"))
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.errors import ParamsError, PrivacyError, ReportError, format_values
from evaluation.params import display_path
from evaluation.pipeline.records import read_records, sha256_path
from evaluation.privacy.disclosure import (
    DEFAULT_THRESHOLD,
    TOTAL_LABELS,
    suppress_results,
    suppression_footnote,
)
from evaluation.report.labels import catalogue, t
from evaluation.report.tables import header
from evaluation.report.workbook import About, Workbook

__all__ = [
    "DONOR_NAMESPACES",
    "ROW_LEVEL_COLUMNS",
    "TOTAL",
    "UNIT_FORMATS",
    "DonorWorkbook",
    "Protected",
    "balance_wide",
    "personal_fields",
    "protect",
    "protect_sample",
]

DONOR_NAMESPACES: tuple[str, ...] = ("donor.columns", "table")
"""Where column headers are looked up in the report text files (``donor.columns.<column>``
first, then ``table.<column>``)."""

TOTAL = "total"
"""The value that marks a total row in a ``by`` column (as ``disaggregation_table`` writes)."""

TOTALS: tuple[str, ...] = (TOTAL, *TOTAL_LABELS)

UNIT_FORMATS: dict[str, str] = {
    "percent": "0.0%",
    "score": "0.0",
    "rate": "0.0",
    "mean": "0.00",
    "count": "#,##0",
    "days": "0.0",
}
"""Excel number format of an indicator's values, by the logframe's ``unit``."""

ROW_LEVEL_COLUMNS: tuple[str, ...] = (
    "_submission_id",
    "_source_file",
    "_source_row",
    "_enumerator",
    "_submitted_at",
    "panel_code",
    "unit_id",
)
"""Columns that only row-level data has: a donor workbook never holds microdata."""

STATUS_FILLS: dict[str, str] = {"on track": "C6EFCE", "at risk": "FFEB9C", "off track": "FFC7CE"}
"""Excel's light green, amber and red fills for the logframe status."""

SUPPRESSED_FILL = "E7E6E6"
TOTAL_FILL = "DDEBF7"
_PERCENT_OF_TARGET = "0%"
_ESTIMATE = "0.000"
_RUN_ID = re.compile(r"^(\d{8}T\d{6}Z)")
_ITT_VALUES = ("baseline", "milestone", "target", "actual", "ci_low", "ci_high")
_ITT_HIDDEN = ("actual", "ci_low", "ci_high", "n", "pct_of_target", "status", "period")
_ITT_SHOWN = (
    "id", "level", "indicator", "unit", "baseline", "milestone", "milestone_date", "target",
    "target_date", "period", "actual", "ci_low", "ci_high", "n", "pct_of_target", "status",
    "source", "note",
)  # fmt: skip
_IMPACT_SHOWN = (
    "family", "outcome", "variable", "estimator", "subgroup_var", "subgroup", "term",
    "estimate", "se", "ci_low", "ci_high", "p_value", "ci_low_wcb", "ci_high_wcb",
    "p_value_wcb", "p_value_adj", "p_value_rw", "std_effect", "n", "n_clusters",
)  # fmt: skip
_P_VALUES = ("p_value", "p_value_wcb", "p_value_adj", "p_value_rw")


# --------------------------------------------------------------------------- protection
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
    _require(table, [*([n] if n else []), *axes, *(split_by or []), *([count] if count else [])])
    _require(table, [*(hide or []), *keep])
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
    _require(sample, ["dimension", "category", "arm", "n"])
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


# --------------------------------------------------------------------------- the workbook
class DonorWorkbook:
    """The donor workbook of one run in one language (see the module docstring).

    Parameters
    ----------
    language : {"en", "sq"}
        Language of every header, sheet name and fixed text.
    report : str
        The report writing the workbook (``"baseline"``, ``"endline"``, ``"capacity"``,
        ``"monitoring"``): its title comes from ``report.<report>`` in the text files.
    run_id : str
        The run id (About sheet); its time (``20261028T101530Z-...``) becomes the
        document's time unless ``timestamp`` is given.
    timestamp : datetime, optional
        The document's created/modified time (default: from ``run_id``, else a fixed date).
    period : str
        Reporting period as shown (default "All periods" in the language).
    min_cell_size : int
        Smallest publishable number of respondents (params ``min_cell_size``, default 10).
    forbidden : iterable of str
        Personal fields that must never be written (see :func:`personal_fields`); the
        row-level columns of :data:`ROW_LEVEL_COLUMNS` are always refused.
    project, title : str, optional
        Project name and document title (default from the text files).
    unit : str
        Who the counts are: ``"respondents"``, ``"people"``, ``"participants"``,
        ``"cases"`` or ``"children"`` (for the footnote).
    timezone : str
        Time zone for date-times with a zone.
    dataset : str
        Dataset name shown on the About sheet.

    Examples
    --------
    >>> book = DonorWorkbook("sq", report="baseline", run_id="20261028T101530Z-3f2a9c1b")
    >>> book.add_table("Shembull", pd.DataFrame({"sex": ["female", "male", "total"],
    ...                                          "estimate": [0.2, 0.3, 0.25],
    ...                                          "n": [6, 40, 46]}), by="sex")
    'Shembull'
    """

    def __init__(
        self,
        language: str = "en",
        *,
        report: str = "baseline",
        run_id: str = "",
        timestamp: dt.datetime | None = None,
        period: str = "",
        min_cell_size: int = DEFAULT_THRESHOLD,
        forbidden: Iterable[str] = (),
        project: str | None = None,
        title: str | None = None,
        unit: str = "respondents",
        timezone: str = "Europe/Tirane",
        dataset: str = "",
    ) -> None:
        catalogue(language)  # ParamsError for a language without text
        if isinstance(min_cell_size, bool) or not isinstance(min_cell_size, int):
            raise ParamsError(f"min_cell_size must be a whole number, got {min_cell_size!r}")
        if min_cell_size < 1:
            raise ParamsError(f"min_cell_size must be at least 1, got {min_cell_size}")
        suppression_footnote(min_cell_size, language, unit)  # ParamsError for a bad unit
        self.language = language
        self.report = report
        self.run_id = run_id
        self.min_cell_size = min_cell_size
        self.unit = unit
        self.dataset = dataset
        self.period = period or t("html.all_periods", language)
        self.project = project or t("donor.project", language)
        self.title = title or t("donor.title", language, report=t(f"report.{report}", language))
        moment = timestamp or run_time(run_id)
        self.workbook = Workbook(
            language,
            timestamp=moment,
            title=self.title,
            forbidden={*forbidden, *ROW_LEVEL_COLUMNS},
            timezone=timezone,
        )
        self._sources: dict[str, str] = {}
        self._notes: list[str] = []
        self._run: object | None = None
        self._hidden: list[dict[str, object]] = []
        self.path: Path | None = None
        """Where :meth:`save` wrote the workbook (None before)."""

    @classmethod
    def for_run(
        cls,
        run: object,
        *,
        instruments: Iterable[object] | Mapping[str, object] = (),
        title: str | None = None,
        project: str | None = None,
        unit: str = "respondents",
        period: str | None = None,
    ) -> DonorWorkbook:
        """The workbook of a notebook's run (:class:`evaluation.pipeline.NotebookRun`).

        Language, report, run id (and so the document time), period, ``min_cell_size`` and
        dataset come from the run; the method notes the notebook adds with ``run.note`` and
        the data files it records with ``run.record_input`` are listed on the About sheet.

        Parameters
        ----------
        run : NotebookRun
        instruments : iterable or mapping of Instrument
            The questionnaires the tables come from: their personal fields are refused.
        title, project, unit
            As in :class:`DonorWorkbook`.
        period : str, optional
            The period as shown (default: the run's ``period`` param, else "All periods").
        """
        params = getattr(run, "params", {}) or {}
        book = cls(
            getattr(run, "language", params.get("language", "en")),
            report=getattr(run, "report", params.get("report", "baseline")),
            run_id=getattr(run, "run_id", ""),
            period=period or params.get("period") or "",
            min_cell_size=params.get("min_cell_size", DEFAULT_THRESHOLD),
            forbidden=personal_fields(instruments),
            project=project,
            title=title,
            unit=unit,
            dataset=params.get("dataset") or "",
        )
        book._run = run
        return book

    # ------------------------------------------------------------------ facts
    @property
    def sheet_names(self) -> list[str]:
        """Sheet names so far, in order (About is added by :meth:`save`)."""
        return self.workbook.sheet_names

    @property
    def suppression_log(self) -> pd.DataFrame:
        """Every hidden row: ``sheet, row`` (0-based in the sheet's table), ``reason``."""
        return pd.DataFrame(self._hidden, columns=["sheet", "row", "reason"])

    def add_source(self, path: str | Path, sha256: str | None = None) -> None:
        """List a data file on the About sheet (its SHA-256 is computed if not given)."""
        path = Path(path)
        root = getattr(self._run, "root", None)
        self._sources[display_path(path, root)] = sha256 or sha256_path(path)

    def add_note(self, text: str) -> None:
        """Add a method note (in the workbook's language) to the About sheet."""
        if text and text not in self._notes:
            self._notes.append(str(text))

    # ------------------------------------------------------------------ generic sheets
    def add_table(
        self,
        sheet: str,
        table: pd.DataFrame,
        *,
        title: str = "",
        notes: Sequence[str] = (),
        footnotes: Sequence[str] = (),
        columns: Sequence[str] | None = None,
        n: str | None = "n",
        by: str | Sequence[str] | None = None,
        split_by: Sequence[str] | None = None,
        count: str | None = None,
        hide: Sequence[str] | None = None,
        keep: Sequence[str] = (),
        margins_known: bool = True,
        formats: Mapping[str, str] | None = None,
        unit_column: str | None = None,
        unit_columns: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
        namespaces: Sequence[str] = DONOR_NAMESPACES,
        highlight_totals: bool = True,
        freeze_columns: int = 0,
        wrap: Sequence[str] = (),
    ) -> str:
        """Protect ``table`` (:func:`protect`), then write it on a new sheet; return its name.

        Parameters
        ----------
        sheet : str
            Wanted sheet name (made valid and unique for Excel).
        table : DataFrame
            Tidy table of estimates or counts (not modified). Codes are shown through
            ``labels``.
        title : str
            Bold line above the table (default: the sheet name).
        notes : sequence of str
            Lines between the title and the table.
        footnotes : sequence of str
            Lines under the table (the suppression footnote is added when a cell is hidden).
        columns : sequence of str, optional
            Columns to write, in order (default all). Suppression uses the whole table.
        n, by, split_by, count, hide, keep, margins_known
            Small-cell suppression, see :func:`protect`. ``n=None`` only for tables not
            based on respondents.
        formats : mapping, optional
            Column → number format (a kind of
            :data:`evaluation.report.workbook.NUMBER_FORMATS` or an Excel format). Others
            follow their type (whole numbers ``#,##0``, other numbers ``0.00``).
        unit_column, unit_columns
            Rows take the format of their unit (:data:`UNIT_FORMATS`) in ``unit_columns``:
            e.g. ``unit_column="unit", unit_columns=["estimate", "ci_low", "ci_high"]``.
        headers : mapping, optional
            Column → header text; other headers come from the text files
            (``donor.columns.<column>``, then ``table.<column>``).
        labels : mapping of column → mapping, optional
            Code → label per column (e.g. ``{"sex": {"female": "Female"}}``); other values
            are shown as they are.
        highlight_totals : bool
            Shade total rows (a ``by`` value in the totals) light blue.
        freeze_columns : int
            Columns kept in view when scrolling sideways.
        wrap : sequence of str
            Columns whose text wraps (long text wraps anyway).

        Returns
        -------
        str
            The sheet's name.

        Raises
        ------
        PrivacyError
            A column is a personal field or row-level metadata.
        ReportError
            A named column is missing, or a column has no header in the language.
        """
        self._refuse(table.columns, sheet)
        protected = protect(
            table,
            n=n,
            by=by,
            split_by=split_by,
            count=count,
            hide=hide,
            keep=keep,
            threshold=self.min_cell_size,
            margins_known=margins_known,
        )
        axes = [by] if isinstance(by, str) else list(by or [])
        totals = (
            table[axes].isin(TOTALS).any(axis=1).to_numpy()
            if axes and highlight_totals
            else np.zeros(len(table), dtype=bool)
        )
        return self._write(
            sheet,
            protected,
            title=title,
            notes=notes,
            footnotes=footnotes,
            columns=columns,
            formats=formats,
            unit_column=unit_column,
            unit_columns=unit_columns,
            headers=headers,
            labels=labels,
            namespaces=namespaces,
            total_rows=totals,
            freeze_columns=freeze_columns,
            wrap=wrap,
        )

    def add_chart(
        self,
        sheet: str,
        *,
        x: str,
        y: str | Sequence[str],
        kind: str = "bar",
        title: str = "",
        y_title: str = "",
        percent: bool = False,
        anchor: str | None = None,
    ) -> None:
        """A native Excel chart of columns of a table already on ``sheet`` (headers are the
        series names); see :meth:`evaluation.report.workbook.Workbook.add_chart`. Hidden
        cells are blank, so the chart shows a gap for them."""
        self.workbook.add_chart(
            sheet, x=x, y=y, kind=kind, title=title, y_title=y_title, percent=percent,
            anchor=anchor,
        )  # fmt: skip

    # ------------------------------------------------------------------ donor sheets
    def add_logframe(
        self,
        itt: pd.DataFrame,
        *,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        margin: float = 0.10,
        chart: bool = True,
    ) -> str:
        """The logframe sheet (indicator tracking table); return its name.

        Parameters
        ----------
        itt : DataFrame
            From :func:`evaluation.indicators.logframe_table` (columns
            :data:`evaluation.indicators.ITT_COLUMNS`).
        sheet, title : str, optional
            Default "Logframe" and a descriptive title, in the language.
        notes : sequence of str
            Extra lines above the table (the status rule is always stated).
        margin : float
            The logframe's ``status_rule.margin``, stated in the status rule.
        chart : bool
            Also add :meth:`add_headline_chart`.

        Notes
        -----
        The actual, its interval, ``n``, % of target and status of an indicator measured
        on fewer than ``min_cell_size`` respondents are hidden; baseline, milestones and
        targets come from the logframe and are always shown. Rows are independent (each
        is its own indicator), so there is no secondary suppression here. Values follow
        each row's unit (percentages ``0.0%``); the status cell is green, amber or red.
        """
        from evaluation.indicators import ITT_COLUMNS

        _require(itt, ITT_COLUMNS)
        frame = itt.reset_index(drop=True).copy()
        frame["note"] = [self._itt_note(s) for s in frame["status"]]
        for column in ("milestone_date", "target_date"):
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
        lang = self.language
        name = self._write(
            sheet or t("donor.sheets.logframe", lang),
            protect(
                frame,
                n="n",
                hide=_ITT_HIDDEN,
                threshold=self.min_cell_size,
            ),
            title=title or t("donor.titles.logframe", lang),
            notes=[
                t("donor.notes.status_rule", lang, margin=_percent_text(margin, lang)),
                *notes,
            ],
            columns=_ITT_SHOWN,
            formats={
                "milestone_date": "date",
                "target_date": "date",
                "pct_of_target": _PERCENT_OF_TARGET,
                "n": "count",
            },
            unit_column="unit",
            unit_columns=_ITT_VALUES,
            labels=self._code_labels(),
            freeze_columns=3,
            wrap=("indicator", "note", "source"),
        )
        self._colour_status(name, frame)
        if chart:
            self.add_headline_chart(itt)
        return name

    def add_headline_chart(
        self,
        itt: pd.DataFrame,
        ids: Sequence[str] | None = None,
        *,
        sheet: str | None = None,
        title: str | None = None,
        series: Sequence[str] = ("baseline", "actual", "target"),
    ) -> str | None:
        """A sheet with the headline indicators and a native Excel bar chart of them.

        Parameters
        ----------
        itt : DataFrame
            From :func:`evaluation.indicators.logframe_table`.
        ids : sequence of str, optional
            Indicators to chart (same unit). Default: impact and outcome indicators in
            percent that have an actual value.
        series : sequence of str
            ITT columns to draw, one bar each (``baseline``, ``milestone``, ``actual``,
            ``target``).

        Returns
        -------
        str or None
            The sheet's name, or None when no indicator qualifies.
        """
        _require(itt, ["id", "indicator", "level", "unit", "n", *series])
        if ids is None:
            chosen = itt[
                itt["level"].isin(["impact", "outcome"])
                & itt["unit"].eq("percent")
                & itt["actual"].notna()
            ]
        else:
            unknown = [i for i in ids if i not in set(itt["id"])]
            if unknown:
                raise ReportError(
                    f"add_headline_chart: no indicator {format_values(unknown)} in the table"
                )
            chosen = itt[itt["id"].isin(ids)]
        if chosen.empty:
            return None
        units = set(chosen["unit"])
        if len(units) > 1:
            raise ReportError(
                f"add_headline_chart: the indicators have different units "
                f"({format_values(sorted(units))}); chart one unit at a time"
            )
        frame = chosen[["id", "indicator", *series, "n", "unit"]].reset_index(drop=True)
        lang = self.language
        name = self._write(
            sheet or t("donor.sheets.headline", lang),
            protect(
                frame,
                n="n",
                hide=[c for c in series if c in ("actual", "ci_low", "ci_high")] + ["n"],
                threshold=self.min_cell_size,
            ),
            title=title or t("donor.titles.headline", lang),
            columns=["id", "indicator", *series, "n"],
            unit_column="unit",
            unit_columns=series,
            wrap=("indicator",),
        )
        # to the right of the table: in view at once, and never cut by a page break
        self.workbook.add_chart(
            name, x="id", y=list(series), kind="bar", percent=units == {"percent"}
        )
        return name

    def add_disaggregation(
        self,
        table: pd.DataFrame,
        dimension: str,
        *,
        dimension_label: str | None = None,
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        count: str | None = None,
    ) -> str:
        """One disaggregation sheet (sex, age band, disability, unit, arm ...).

        Parameters
        ----------
        table : DataFrame
            From :func:`evaluation.indicators.disaggregation_table`: ``indicator,
            indicator_name, period, <dimension>, estimate, se, ci_low, ci_high, p_value, df,
            n, unit``, with a ``"total"`` row per indicator and period.
        dimension : str
            The dimension column.
        dimension_label : str, optional
            Its name for readers (sheet name and header), e.g. from the logframe's
            ``dimensions``; default the column name.
        labels : mapping of column → mapping, optional
            Code → label, e.g. ``{"sex": {"female": "Female"}}``.
        count : str, optional
            Column of respondents with the characteristic (hidden when 1-9 too).

        Notes
        -----
        Each indicator and period is a one-way table with its total, so when one category
        is hidden (``n`` below ``min_cell_size``) another is hidden too, and the total
        cannot give it away.
        """
        _require(table, ["indicator", "period", dimension, "estimate", "ci_low", "ci_high", "n"])
        lang = self.language
        label = dimension_label or dimension
        wanted = ("indicator", "indicator_name", "period", dimension, "estimate", "ci_low")
        shown = [c for c in (*wanted, "ci_high", "n") if c in table.columns]
        return self.add_table(
            sheet or label,
            table,
            title=title or t("donor.titles.disaggregation", lang, dimension=label),
            notes=notes,
            columns=shown,
            by=dimension,
            split_by=["indicator", "period"],
            count=count,
            keep=[c for c in ("indicator_name", "unit") if c in table.columns],
            unit_column="unit" if "unit" in table.columns else None,
            unit_columns=["estimate", "ci_low", "ci_high"],
            headers={dimension: label, "indicator": t("donor.columns.id", lang)},
            labels={
                **self._code_labels(),
                **(labels or {}),
                dimension: {TOTAL: t("donor.total", lang), **(labels or {}).get(dimension, {})},
            },
            freeze_columns=2,
            wrap=("indicator_name",),
        )

    def add_impact(
        self,
        effects: pd.DataFrame,
        *,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
        columns: Sequence[str] | None = None,
    ) -> str:
        """The "Impact" sheet: a table of effect estimates, one row per estimate.

        Parameters
        ----------
        effects : DataFrame
            A tidy result table, e.g. ``analysis_plan.run_plan(...).effects`` (``family,
            outcome, estimator, subgroup_var, subgroup, term``, the core columns, then
            ``*_wcb``, ``p_value_adj``, ``p_value_rw``, ``std_effect``, ``n_clusters``) or
            ``impact.did`` / ``ancova`` output.
        labels : mapping of column → mapping, optional
            Code → label, e.g. ``{"outcome": {"attitudes_scale": "Attitudes scale"}}``;
            estimators and terms are translated already.
        columns : sequence of str, optional
            Columns to show (default: those of a standard list that the table has).

        Notes
        -----
        Rows are independent estimates: a row with ``n`` below ``min_cell_size`` (e.g. a
        small subgroup) is hidden, with no secondary suppression. Effects and intervals
        are shown with three decimals in the outcome's units (proportion points for 0/1
        outcomes: 0.010 = 1 percentage point).
        """
        _require(effects, ["estimate", "n"])
        chosen = list(columns) if columns else [c for c in _IMPACT_SHOWN if c in effects.columns]
        number_columns = ("estimate", "se", "ci_low", "ci_high", "ci_low_wcb", "ci_high_wcb")
        formats = {c: _ESTIMATE for c in number_columns if c in chosen}
        formats.update({c: "p_value" for c in _P_VALUES if c in chosen})
        formats.update({c: "count" for c in ("n", "n_clusters") if c in chosen})
        if "std_effect" in chosen:
            formats["std_effect"] = "0.00"
        lang = self.language
        return self.add_table(
            sheet or t("donor.sheets.impact", lang),
            effects,
            title=title or t("donor.titles.impact", lang),
            notes=[t("donor.notes.impact", lang), *notes],
            columns=chosen,
            keep=[c for c in ("family", "outcome", "variable", "estimator") if c in effects],
            formats=formats,
            labels={**self._code_labels(), **(labels or {})},
            freeze_columns=min(2, len(chosen)),
        )

    def add_balance(
        self,
        balance: pd.DataFrame,
        *,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
    ) -> str:
        """The "Balance" sheet from :func:`evaluation.impact.balance_table` (two arms).

        One row per variable: each arm's mean, SD and n, the difference (other arm minus
        comparison) with its interval and p-value, the normalised difference, the adjusted
        difference when the table has it; then the joint F-test. A variable with fewer than
        ``min_cell_size`` respondents in either arm is hidden whole (the difference would
        give a hidden mean away).

        Parameters
        ----------
        balance : DataFrame
            ``variable, arm, term, estimate, se, ci_low, ci_high, p_value, df, n, sd,
            std_diff`` (``term``: ``mean``, ``difference``, ``difference_adjusted``,
            ``joint_f_test``).
        labels : mapping of column → mapping, optional
            ``{"variable": {...}, "arm": {"project": "Project area", ...}}``.
        """
        wide, arms = balance_wide(balance)
        lang = self.language
        arm_names = {**self._code_labels().get("arm", {}), **(labels or {}).get("arm", {})}
        comparison, other = (arm_names.get(a, str(a)) for a in arms)
        headers = {
            "comparison_mean": t("donor.columns.arm_mean", lang, arm=comparison),
            "comparison_sd": t("donor.columns.arm_sd", lang, arm=comparison),
            "comparison_n": t("donor.columns.arm_n", lang, arm=comparison),
            "other_mean": t("donor.columns.arm_mean", lang, arm=other),
            "other_sd": t("donor.columns.arm_sd", lang, arm=other),
            "other_n": t("donor.columns.arm_n", lang, arm=other),
            "difference": t("donor.columns.difference", lang),
        }
        shown = [c for c in wide.columns if c != "n_min"]
        formats = {c: "0.00" for c in shown if c.endswith(("_mean", "_sd"))}
        formats.update(
            {c: "0.000" for c in ("difference", "ci_low", "ci_high", "difference_adjusted")}
        )
        formats.update({"std_diff": "0.00", "p_value": "p_value", "statistic": "0.00"})
        formats.update({c: "count" for c in ("comparison_n", "other_n")})
        return self.add_table(
            sheet or t("donor.sheets.balance", lang),
            wide,
            title=title or t("donor.titles.balance", lang),
            notes=[t("donor.notes.balance", lang), *notes],
            columns=shown,
            n="n_min",
            keep=["variable"],
            formats={c: f for c, f in formats.items() if c in shown},
            headers=headers,
            labels={"variable": {**(labels or {}).get("variable", {}), **_joint_label(lang)}},
            freeze_columns=1,
        )

    def add_sample(
        self,
        sample: pd.DataFrame,
        *,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
    ) -> str:
        """The "Sample" sheet: respondents by characteristic, per arm and in total.

        Parameters
        ----------
        sample : DataFrame
            Long counts: ``dimension, category, arm, n`` with ``"total"`` rows for the
            category and the arm (as :func:`evaluation.baseline.sections.sample_counts`
            writes them).
        labels : mapping of column → mapping, optional
            ``{"dimension": {...}, "category": {...}, "arm": {...}}``.

        Notes
        -----
        Each dimension is a category × arm grid with its totals: a count below
        ``min_cell_size`` is hidden, with secondary suppression across categories and
        arms; a category's share of the respondents is hidden with its count.
        """
        wrapped = protect_sample(sample, self.min_cell_size)
        wide = wrapped.table
        arms = [c[2:] for c in wide.columns if c.startswith("n_") and c != f"n_{TOTAL}"]
        lang = self.language
        code_labels = {**self._code_labels(), **(labels or {})}
        arm_names = code_labels.get("arm", {})
        headers = {
            f"n_{a}": t("donor.columns.arm_n", lang, arm=arm_names.get(a, str(a))) for a in arms
        }
        headers["n_total"] = t("donor.columns.n_total", lang)
        return self._write(
            sheet or t("donor.sheets.sample", lang),
            wrapped,
            title=title or t("donor.titles.sample", lang),
            notes=notes,
            formats={
                **{c: "count" for c in wide.columns if c.startswith("n_")},
                "share": "percent",
            },
            headers=headers,
            labels=code_labels,
            total_rows=wide["category"].isin(TOTALS).to_numpy(),
            show_reasons=False,
            freeze_columns=2,
        )

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> Path:
        """Add the About sheet (first) and write the workbook atomically; return ``path``.

        Raises
        ------
        ReportError
            No sheet was added, or the file cannot be written.
        """
        if not self.sheet_names:
            raise ReportError("the donor workbook has no sheet; add a table before saving")
        self.workbook.add_about(self._about())
        self.path = self.workbook.save(path)
        return self.path

    # ------------------------------------------------------------------ internals
    def _write(
        self,
        sheet: str,
        protected: Protected,
        *,
        title: str = "",
        notes: Sequence[str] = (),
        footnotes: Sequence[str] = (),
        columns: Sequence[str] | None = None,
        formats: Mapping[str, str] | None = None,
        unit_column: str | None = None,
        unit_columns: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
        namespaces: Sequence[str] = DONOR_NAMESPACES,
        total_rows: np.ndarray | None = None,
        show_reasons: bool = True,
        freeze_columns: int = 0,
        wrap: Sequence[str] = (),
    ) -> str:
        table = protected.table.reset_index(drop=True)
        hidden = protected.hidden.reset_index(drop=True)
        reasons = protected.reasons.reset_index(drop=True)
        chosen = list(columns) if columns is not None else list(table.columns)
        _require(table, chosen)
        units = table[unit_column] if unit_column else None
        shown = _labelled(table[chosen], labels or {})
        any_hidden = bool((reasons != "").any())
        if any_hidden and show_reasons:
            shown["suppressed"] = [self._reason_text(r) for r in reasons]
        names = {c: header(c, self.language, namespaces=namespaces, headers=headers) for c in shown}
        name = self.workbook.add_sheet(
            sheet,
            shown,
            title=title,
            notes=notes,
            formats={c: f for c, f in (formats or {}).items() if c in shown},
            headers=names,
            freeze_columns=freeze_columns,
            wrap=[c for c in wrap if c in shown],
        )
        if units is not None:
            self._unit_formats(name, units, [c for c in unit_columns if c in shown])
        if total_rows is not None and total_rows.any():
            self.workbook.fill_cells(
                name, list(shown.columns), TOTAL_FILL, np.flatnonzero(total_rows)
            )
        for column in (c for c in chosen if hidden[c].any()):
            self.workbook.fill_cells(name, column, SUPPRESSED_FILL, np.flatnonzero(hidden[column]))
        lines = list(footnotes)
        if any_hidden:
            lines.append(suppression_footnote(self.min_cell_size, self.language, self.unit))
            for position in np.flatnonzero((reasons != "").to_numpy()):
                self._hidden.append(
                    {"sheet": name, "row": int(position), "reason": reasons[position]}
                )
        if lines:
            self.workbook.add_footnotes(name, lines)
        return name

    def _unit_formats(self, sheet: str, units: pd.Series, columns: Sequence[str]) -> None:
        if not columns:
            return
        for unit, rows in (
            units.reset_index(drop=True).groupby(units.astype(str).to_numpy()).groups.items()
        ):
            fmt = UNIT_FORMATS.get(str(unit), "0.00")
            self.workbook.set_number_format(sheet, list(columns), fmt, list(rows))

    def _colour_status(self, sheet: str, frame: pd.DataFrame) -> None:
        hidden = {r["row"] for r in self._hidden if r["sheet"] == sheet}
        for status, colour in STATUS_FILLS.items():
            rows = [i for i in np.flatnonzero(frame["status"].eq(status)) if i not in hidden]
            if rows:
                self.workbook.fill_cells(sheet, "status", colour, rows)

    def _reason_text(self, reason: str) -> str:
        lang, size = self.language, self.min_cell_size
        if not reason:
            return ""
        if reason == "secondary":
            return t("donor.suppressed.secondary", lang)
        if "count<" in reason:
            return t("donor.suppressed.count", lang, min_cell_size=size)
        if "unknown" in reason:
            return t("donor.suppressed.unknown", lang)
        return t("donor.suppressed.primary", lang, min_cell_size=size)

    def _itt_note(self, status: object) -> str:
        if status == "not collected":
            return t("donor.itt_notes.not_collected", self.language)
        if status == "no data":
            return t("donor.itt_notes.no_data", self.language)
        return ""

    def _code_labels(self) -> dict[str, dict[Hashable, str]]:
        """Labels of the codes the workbench itself writes (levels, units, statuses ...)."""
        lang = self.language
        texts = catalogue(lang)

        def group(name: str, spaces: bool = False) -> dict[Hashable, str]:
            # keys are codes; statuses are written with spaces ("on track") by indicators
            prefix = f"donor.{name}."
            return {
                (k[len(prefix) :].replace("_", " ") if spaces else k[len(prefix) :]): v
                for k, v in texts.items()
                if k.startswith(prefix)
            }

        total = {TOTAL: t("donor.total", lang)}
        return {
            "level": group("levels"),
            "unit": group("units"),
            "status": group("status", spaces=True),
            "period": group("periods"),
            "estimator": group("estimators"),
            "term": group("terms"),
            "arm": {**group("arms"), **total},
            "category": total,
        }

    def _about(self) -> About:
        lang = self.language
        run = self._run
        sources = dict(self._sources)
        notes = [*self._notes]
        if run is not None:
            notes += [n for n in getattr(run, "notes", []) if n not in notes]
            if not getattr(run, "interactive", True):
                for record in read_records(Path(run.run_dir)):  # type: ignore[attr-defined]
                    if record.get("kind") == "input" and record.get("language") in (None, lang):
                        sources.setdefault(record["path"], record["sha256"])
        hidden = len(self._hidden)
        rule = t("notes.suppression", lang, min_cell_size=self.min_cell_size)
        rule += " " + t(
            "donor.about.hidden", lang, rows=hidden, sheets=len({r["sheet"] for r in self._hidden})
        )
        extra = {t("donor.about.report", lang): t(f"report.{self.report}", lang)}
        if self.dataset:
            extra[t("donor.about.dataset", lang)] = self.dataset
        moment = self.workbook.timestamp
        return About(
            title=self.title,
            project=self.project,
            period=self.period,
            run_id=self.run_id or t("donor.about.interactive", lang),
            run_date=moment.strftime("%Y-%m-%d %H:%M UTC"),
            sources=sorted(sources.items()),
            notes=notes,
            suppression=rule,
            extra=extra,
        )

    def _refuse(self, columns: Iterable[object], sheet: str) -> None:
        banned = {c.casefold() for c in self.workbook.forbidden}
        found = [str(c) for c in columns if str(c).casefold() in banned]
        if found:
            raise PrivacyError(
                f"sheet '{sheet}': column(s) {format_values(found)} are personal fields or "
                "row-level data and never go into a donor workbook; publish aggregates only"
            )


# --------------------------------------------------------------------------- helpers
def personal_fields(instruments: Iterable[object] | Mapping[str, object]) -> set[str]:
    """Names of the fields the questionnaires mark as personal (``personal_data``: direct,
    linking, free text), for ``forbidden=``."""
    forms = instruments.values() if isinstance(instruments, Mapping) else instruments
    names: set[str] = set()
    for form in forms:
        names.update(form.personal_fields())  # type: ignore[attr-defined]
    return names


def run_time(run_id: str) -> dt.datetime | None:
    """The run's start from its id (``20261028T101530Z-...``), else None (a fixed date)."""
    match = _RUN_ID.match(run_id or "")
    if not match:
        return None
    return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def _require(table: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in table.columns]
    if missing:
        raise ReportError(
            f"the table has no column {format_values(missing)}; it has "
            f"{format_values([str(c) for c in table.columns], limit=12)}"
        )


def _labelled(table: pd.DataFrame, labels: Mapping[str, Mapping[Hashable, str]]) -> pd.DataFrame:
    out = table.copy()
    for column, mapping in labels.items():
        if column not in out.columns or not mapping:
            continue
        values = out[column].astype(object)
        out[column] = [
            v if _missing(v) else mapping.get(v, mapping.get(str(v), str(v))) for v in values
        ]
    return out


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _percent_text(share: float, language: str) -> str:
    from evaluation.report.tables import format_percent

    return format_percent(share, 0, language)


def _joint_label(language: str) -> dict[Hashable, str]:
    from evaluation.impact.balance import JOINT

    return {JOINT: t("donor.terms.joint_f_test", language)}


def balance_wide(balance: pd.DataFrame) -> tuple[pd.DataFrame, tuple[Hashable, Hashable]]:
    """A two-arm :func:`evaluation.impact.balance_table` in iebaltab's shape.

    Returns
    -------
    (DataFrame, (comparison, other))
        One row per variable: ``variable, comparison_mean, comparison_sd, comparison_n,
        other_mean, other_sd, other_n, difference, ci_low, ci_high, p_value, std_diff``
        (``difference_adjusted`` when the table has it), ``n_min`` (the smaller arm's n,
        what suppression checks); then the joint test's row (``statistic``, ``p_value``).

    Raises
    ------
    ReportError
        Missing columns, or not exactly two arms.
    """
    _require(balance, ["variable", "arm", "term", "estimate", "ci_low", "ci_high", "p_value", "n"])
    means = balance[balance["term"] == "mean"]
    differences = balance[balance["term"] == "difference"]
    arms = list(dict.fromkeys(means["arm"]))
    others = list(dict.fromkeys(differences["arm"]))
    if len(arms) != 2 or len(others) != 1:
        raise ReportError(
            f"add_balance shows two arms; the table has {format_values(arms)}. Pass one "
            "balance table per pair of arms"
        )
    other = others[0]
    comparison = next(a for a in arms if a != other)
    rows = []
    for variable in dict.fromkeys(means["variable"]):
        mine = means[means["variable"] == variable].set_index("arm")
        diff = differences[differences["variable"] == variable].iloc[0]
        row = {
            "variable": variable,
            "comparison_mean": mine.at[comparison, "estimate"],
            "comparison_sd": mine.at[comparison, "sd"] if "sd" in mine else np.nan,
            "comparison_n": mine.at[comparison, "n"],
            "other_mean": mine.at[other, "estimate"],
            "other_sd": mine.at[other, "sd"] if "sd" in mine else np.nan,
            "other_n": mine.at[other, "n"],
            "difference": diff["estimate"],
            "ci_low": diff["ci_low"],
            "ci_high": diff["ci_high"],
            "p_value": diff["p_value"],
            "std_diff": diff.get("std_diff", np.nan),
        }
        adjusted = balance[
            (balance["term"] == "difference_adjusted") & (balance["variable"] == variable)
        ]
        if len(adjusted):
            row["difference_adjusted"] = adjusted.iloc[0]["estimate"]
        rows.append(row)
    wide = pd.DataFrame(rows)
    for column in ("comparison_n", "other_n"):
        wide[column] = pd.array(pd.to_numeric(wide[column]).round(), dtype="Int64")
    wide["n_min"] = wide[["comparison_n", "other_n"]].min(axis=1)
    joint = balance[balance["term"] == "joint_f_test"]
    if len(joint):
        test = joint.iloc[0]
        wide = pd.concat(
            [
                wide,
                pd.DataFrame(
                    {
                        "variable": [test["variable"]],
                        "statistic": [test["estimate"]],
                        "p_value": [test["p_value"]],
                        "n_min": [test["n"]],
                    }
                ),
            ],
            ignore_index=True,
        )
        wide["n_min"] = pd.array(pd.to_numeric(wide["n_min"]).round(), dtype="Int64")
    return wide, (comparison, other)


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
