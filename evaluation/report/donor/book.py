"""The donor workbook object: one per run and language, and its generic writers.

:class:`DonorWorkbook` holds the run's facts (language, run id and time, period, the
smallest publishable cell, the personal fields it refuses), writes any table on a sheet
through :meth:`~DonorWorkbook.add_table` (protected with :func:`protect`) or
:meth:`~DonorWorkbook.add_protected` (protected already), adds the About sheet and saves.
The donor-shaped sheets (Logframe, Headline, disaggregations, Impact, Balance, Sample) come
from :class:`~evaluation.report.donor.sheets.DonorSheets`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.errors import ParamsError, PrivacyError, ReportError, format_values
from evaluation.params import display_path
from evaluation.pipeline.records import read_records, sha256_path
from evaluation.privacy.disclosure import DEFAULT_THRESHOLD, suppression_footnote
from evaluation.report.donor.formatting import (
    DONOR_NAMESPACES,
    SUPPRESSED_FILL,
    TOTAL_FILL,
    UNIT_FORMATS,
    labelled,
    reason_text,
)
from evaluation.report.donor.protect import TOTALS, Protected, protect, require_columns
from evaluation.report.donor.sheets import DonorSheets
from evaluation.report.labels import catalogue, t
from evaluation.report.tables import header
from evaluation.report.workbook import About, Workbook

__all__ = ["ROW_LEVEL_COLUMNS", "DonorWorkbook", "personal_fields", "run_time"]

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

SUPPRESSED_WIDTH = 30
"""Largest width of the "Suppressed" column: its longer reasons wrap onto two lines."""
_RUN_ID = re.compile(r"^(\d{8}T\d{6}Z)")


class DonorWorkbook(DonorSheets):
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
        max_widths: Mapping[str, float] | None = None,
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
        max_widths : mapping, optional
            Column → largest width in characters; longer text wraps (default 50).

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
        return self.add_protected(
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
            max_widths=max_widths,
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

    def add_protected(
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
        total_rows: Sequence[bool] | np.ndarray | None = None,
        show_reasons: bool = True,
        freeze_columns: int = 0,
        wrap: Sequence[str] = (),
        max_widths: Mapping[str, float] | None = None,
    ) -> str:
        """Write a table whose small cells are hidden already; return the sheet's name.

        For tables protected elsewhere: by :func:`protect` with options :meth:`add_table`
        does not take, by :func:`protect_sample`, or across several tables at once, as the
        monitoring report does (:meth:`Protected.from_hidden`). Protecting such a table
        again on its own, with :meth:`add_table`, would not know which totals the other
        tables hide.

        Parameters
        ----------
        sheet : str
            Wanted sheet name (made valid and unique for Excel).
        protected : Protected
            The table, where its values are hidden and why. Every value marked hidden is
            left blank and shaded grey, whatever the table holds.
        total_rows : sequence of bool, optional
            Rows to shade as totals (light blue), row for row with the table.
        show_reasons : bool
            Add a "Suppressed" column saying why each hidden row is hidden.
        title, notes, footnotes, columns, formats, unit_column, unit_columns, headers, \
labels, namespaces, freeze_columns, wrap
            As in :meth:`add_table`; the suppression footnote is added when a value is
            hidden. A ``p_value`` column without a format shows ``<0.001`` below 0.001.
        max_widths : mapping, optional
            Column → largest width in characters (longer text wraps); see
            :meth:`evaluation.report.workbook.Workbook.add_sheet`.

        Returns
        -------
        str
            The sheet's name.

        Raises
        ------
        PrivacyError
            A column is a personal field or row-level metadata.
        ReportError
            A named column is missing; ``hidden``, ``reasons`` or ``total_rows`` do not
            match the table row for row; or a column has no header in the language.
        """
        self._refuse(protected.table.columns, sheet)
        table, hidden, reasons = _aligned(protected, sheet)
        chosen = list(columns) if columns is not None else list(table.columns)
        require_columns(table, chosen)
        totals = _total_rows(total_rows, len(table), sheet)
        units = table[unit_column] if unit_column else None
        shown = labelled(table[chosen], labels or {})
        any_hidden = bool((reasons != "").any())
        if any_hidden and show_reasons:
            shown["suppressed"] = [
                reason_text(r, self.language, self.min_cell_size) for r in reasons
            ]
        names = {c: header(c, self.language, namespaces=namespaces, headers=headers) for c in shown}
        kinds = {
            c: "p_value" for c in shown if str(c) == "p_value" or str(c).startswith("p_value_")
        }
        name = self.workbook.add_sheet(
            sheet,
            shown,
            title=title,
            notes=notes,
            formats={**kinds, **{c: f for c, f in (formats or {}).items() if c in shown}},
            headers=names,
            freeze_columns=freeze_columns,
            wrap=[c for c in wrap if c in shown],
            max_widths={"suppressed": SUPPRESSED_WIDTH, **(max_widths or {})},
        )
        if units is not None:
            self._unit_formats(name, units, [c for c in unit_columns if c in shown])
        if totals.any():
            self.workbook.fill_cells(name, list(shown.columns), TOTAL_FILL, np.flatnonzero(totals))
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

    # ------------------------------------------------------------------ internals
    def _unit_formats(self, sheet: str, units: pd.Series, columns: Sequence[str]) -> None:
        if not columns:
            return
        for unit, rows in (
            units.reset_index(drop=True).groupby(units.astype(str).to_numpy()).groups.items()
        ):
            fmt = UNIT_FORMATS.get(str(unit), "0.00")
            self.workbook.set_number_format(sheet, list(columns), fmt, list(rows))

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


def _aligned(protected: Protected, sheet: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """The table with every hidden value blank, its mask (every column) and its reasons, all
    indexed 0..n-1."""
    table = protected.table.reset_index(drop=True)
    sizes = {"hidden": len(protected.hidden), "reasons": len(protected.reasons)}
    wrong = {k: v for k, v in sizes.items() if v != len(table)}
    if wrong:
        raise ReportError(
            f"sheet '{sheet}': the protected table has {len(table)} rows but "
            + ", ".join(f"{k} has {v}" for k, v in wrong.items())
            + "; build it with protect() or Protected.from_hidden()"
        )
    # rebuilt from the mask, so that no hidden value is written whatever the table holds
    aligned = Protected.from_hidden(table, protected.hidden.reset_index(drop=True))
    return aligned.table, aligned.hidden, protected.reasons.reset_index(drop=True).astype(str)


def _total_rows(rows: Sequence[bool] | np.ndarray | None, size: int, sheet: str) -> np.ndarray:
    if rows is None:
        return np.zeros(size, dtype=bool)
    flags = np.asarray(rows, dtype=bool)
    if flags.shape != (size,):
        raise ReportError(
            f"sheet '{sheet}': total_rows has {flags.size} values for a table of {size} rows"
        )
    return flags
