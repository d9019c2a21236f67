"""Excel workbooks built with care: the field team's workbook now, the donor workbook later.

:class:`Workbook` wraps openpyxl. Each sheet holds one tidy table under a title and notes,
styled as a careful analyst would style it by hand:

- a bold title, wrapped notes, a filled header row that wraps, frozen panes below the header,
  an autofilter over the table, column widths from the content, long text wrapped;
- number formats by column: percentages ``0.0%``, counts ``#,##0``, estimates ``0.00``,
  p-values ``0.000`` (``<0.001`` below it), minutes ``0.0``, dates ``yyyy-mm-dd`` (see
  :data:`NUMBER_FORMATS`); the values stay numbers, so the reader can sort, filter and compute;
- row heights from the lines wrapped text takes (:mod:`evaluation.report.text_width`:
  neither Excel nor LibreOffice grows rows written by openpyxl);
- print setup: landscape A4, fit to one page wide, the header row repeated on every page,
  page numbers in the footer.

It is safe by construction: every text cell (titles, headers, notes, values, sheet names)
goes through :func:`evaluation.privacy.safe_cell`, so no cell starts a formula from data
(``=``, ``+``, ``-``, ``@`` are neutralised) and every string cell is stored as text; a
column named in ``forbidden`` (the instrument's personal fields) is refused with a
:class:`~evaluation.errors.PrivacyError`. Sheet names are made valid for Excel (at most 31
characters, none of ``[]:*?/\\``, unique ignoring case).

The file is reproducible: the document's created/modified times are the run's (never the
wall clock), and the zip entries carry that same timestamp, so the same tables and the same
run time give a byte-identical file. It is written atomically (temporary file, then rename),
with the permissions a plain ``open()`` would give (``0o666`` less the process umask), so a
report in a shared folder is readable by the people it is shared with.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook as _OpenpyxlWorkbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from evaluation import __version__
from evaluation.errors import ParamsError, PrivacyError, ReportError, format_values
from evaluation.privacy.spreadsheet import safe_cell
from evaluation.report.labels import t
from evaluation.report.tables import infer_kind
from evaluation.report.text_width import CELL_PADDING, row_height, text_width, wrapped_lines

NUMBER_FORMATS: dict[str, str] = {
    "percent": "0.0%",
    "count": "#,##0",
    "number": "0.00",
    "estimate": "0.00",
    "p_value": '[<0.001]"<0.001";0.000',
    "minutes": "0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "text": "@",
}
"""Excel number format of each column kind; a column may also be given a format string."""

P_VALUE_FLOOR = 0.001
"""p-values below it are shown as ``<0.001`` (the ``p_value`` format); the cell keeps the
number."""
MAX_SHEET_NAME = 31
MAX_CELL_TEXT = 32_767  # Excel's limit on the characters in one cell
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_MIN_WIDTH, _MAX_WIDTH = 6, 50
_HEADER_WRAP = 9  # a header wider than this wraps, unless one of its words is wider
_DEFAULT_WIDTH = 8.43  # Excel's width of a column that has none set
_FONT = "Calibri"  # named, or LibreOffice draws unnamed fonts in a serif face
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_HEADER_FONT = Font(name=_FONT, bold=True, color="FFFFFF")
_TITLE_FONT = Font(name=_FONT, bold=True, size=14)
_NOTE_FONT = Font(name=_FONT, italic=True, color="44546A")
_LABEL_FONT = Font(name=_FONT, bold=True)
_RULE = Border(bottom=Side(style="thin", color="1F4E79"))
_TOP = Alignment(vertical="top")
_TOP_WRAP = Alignment(wrap_text=True, vertical="top")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SheetLayout:
    """Where a table was written on a sheet (1-based rows and columns)."""

    name: str
    header_row: int
    first_row: int
    last_row: int
    columns: tuple[str, ...]

    def column_index(self, column: str) -> int:
        """1-based column number of ``column``."""
        try:
            return self.columns.index(column) + 1
        except ValueError:
            raise ReportError(
                f"sheet '{self.name}' has no column '{column}'; it has "
                f"{format_values(self.columns, limit=10)}"
            ) from None


@dataclass(frozen=True)
class About:
    """What the "About" sheet says about a workbook.

    Attributes
    ----------
    title : str
        The workbook's title (e.g. "Data quality report").
    project : str
        The project, in the workbook's language.
    period : str
        Reporting period as shown (``2026-10``, or "All periods").
    run_id, run_date : str
        The run that wrote the workbook.
    sources : sequence of (path, sha256)
        Every data file used.
    notes : sequence of str
        Method notes.
    suppression : str
        The small-cell rule in words, or "" when the workbook is not for publication.
    extra : mapping of str to str
        Further label → text rows (e.g. the dataset).
    """

    title: str
    project: str = ""
    period: str = ""
    run_id: str = ""
    run_date: str = ""
    sources: Sequence[tuple[str, str]] = ()
    notes: Sequence[str] = ()
    suppression: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


class Workbook:
    """An Excel workbook of tidy tables, one per sheet (see the module docstring).

    Parameters
    ----------
    language : str
        Language of the fixed text (``"en"``, ``"sq"``): the About sheet, "no rows" lines.
    timestamp : datetime, optional
        The run's time, written as the document's created and modified time and into the
        zip entries. Default 1980-01-01 (a fixed value, never the wall clock). A naive
        datetime is taken as UTC.
    title : str
        Document title (file properties).
    forbidden : iterable of str
        Column names that must never be written (personal fields); case-insensitive.
    timezone : str
        Time zone that time-zone-aware datetimes are shown in (Excel has no time zones).

    Examples
    --------
    >>> book = Workbook("en", timestamp=dt.datetime(2026, 10, 28, 10, 15))
    >>> name = book.add_sheet("Summary", table, title="Rows per file",
    ...                       formats={"share": "percent", "rows": "count"})
    >>> book.save("reports/quality/latest/field_workbook.en.xlsx")
    """

    def __init__(
        self,
        language: str = "en",
        *,
        timestamp: dt.datetime | None = None,
        title: str = "",
        forbidden: Iterable[str] = (),
        timezone: str = "UTC",
    ) -> None:
        self.language = language
        self.timestamp = _utc_naive(timestamp) if timestamp else dt.datetime(*_ZIP_EPOCH)
        self.title = title
        self.forbidden = {str(c).casefold() for c in forbidden}
        self.timezone = timezone
        self._book = _OpenpyxlWorkbook()
        self._book.remove(self._book.active)
        self.layouts: dict[str, SheetLayout] = {}

    # ------------------------------------------------------------------ sheets
    @property
    def sheet_names(self) -> list[str]:
        """The sheet names, in order."""
        return list(self._book.sheetnames)

    def add_sheet(
        self,
        name: str,
        table: pd.DataFrame,
        *,
        title: str = "",
        notes: Sequence[str] = (),
        formats: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        freeze_columns: int = 0,
        wrap: Sequence[str] = (),
        max_widths: Mapping[str, float] | None = None,
        index: int | None = None,
    ) -> str:
        """Write ``table`` on a new sheet; return the sheet's (sanitised) name.

        Parameters
        ----------
        name : str
            Wanted sheet name; made valid and unique (see :func:`sheet_name`).
        table : DataFrame
            The table (not modified); its index is not written.
        title : str
            Bold line above the table (default: the sheet name).
        notes : sequence of str
            Lines under the title (wrapped across the table's width).
        formats : mapping, optional
            Column → kind in :data:`NUMBER_FORMATS` or an Excel format string. Columns not
            named get one from their type: whole numbers ``#,##0``, other numbers ``0.00``,
            dates ``yyyy-mm-dd``, date-times ``yyyy-mm-dd hh:mm``.
        headers : mapping, optional
            Column → header text (default: the column name).
        freeze_columns : int
            Columns to keep in view when scrolling sideways (besides the frozen header).
        wrap : sequence of str
            Columns whose text wraps (long text columns wrap anyway).
        max_widths : mapping, optional
            Column → largest width (in Excel's unit, the width of a ``0``; default 50).
            Longer text wraps onto more lines: narrow columns keep a wide table printable.
        index : int, optional
            Position of the sheet (default: last).

        Raises
        ------
        PrivacyError
            If a column is a personal field (``forbidden``).
        ParamsError
            For an unknown format kind, or a width that is not a positive number.
        """
        self._refuse_personal(table.columns, name)
        sheet_title = sheet_name(name, self.sheet_names)
        ws = self._book.create_sheet(sheet_title, index)
        columns = [str(c) for c in table.columns]
        kinds = {c: _kind(c, table[c], (formats or {}).get(c)) for c in columns}
        limits = _max_widths(max_widths or {}, columns)
        width = max(len(columns), 1)
        shown = [(headers or {}).get(c, c) for c in columns]
        widths, content = _widths(table, columns, shown, kinds, limits)
        row = self._title_and_notes(ws, title or sheet_title, notes, _span_width(widths))
        header_row = row + 1
        for col, text in enumerate(shown, start=1):
            cell = ws.cell(header_row, col, _text_cell(text))
            cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _RULE
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        first = header_row + 1
        last = self._write_rows(ws, table, columns, kinds, first)
        if last < first:  # no rows: say so, keep the header
            ws.cell(first, 1, _text_cell(t("workbook.no_rows", self.language))).font = _NOTE_FONT
        wrapped = []
        for col, (column, chars) in enumerate(zip(columns, widths, strict=True), start=1):
            ws.column_dimensions[get_column_letter(col)].width = chars
            if column in wrap or _needs_wrap(table[column], chars, content[column]):
                wrapped.append((column, chars))
                for r in range(first, last + 1):
                    ws.cell(r, col).alignment = _TOP_WRAP
        _row_heights(ws, table, wrapped, first)
        ws.row_dimensions[header_row].height = row_height(
            max(
                (
                    wrapped_lines(text, chars, bold=True)
                    for text, chars in zip(shown, widths, strict=True)
                ),
                default=1,
            )
        )
        ws.freeze_panes = ws.cell(first, 1 + freeze_columns)
        end_col = get_column_letter(width)
        ws.auto_filter.ref = f"A{header_row}:{end_col}{max(last, header_row)}"
        self._print_setup(ws, header_row, title or sheet_title)
        self.layouts[sheet_title] = SheetLayout(
            sheet_title, header_row, first, max(last, header_row), tuple(columns)
        )
        return sheet_title

    def add_about(self, about: About) -> str:
        """Add the "About" sheet, first in the workbook; return its name.

        It lists the title, project, period, run id and date, the language, any ``extra``
        rows, every data source with its SHA-256, the method notes and the suppression rule.
        """
        lang = self.language
        ws = self._book.create_sheet(
            sheet_name(t("workbook.about.sheet", lang), self.sheet_names), 0
        )
        ws.cell(1, 1, _text_cell(about.title)).font = _TITLE_FONT
        rows: list[tuple[str, str]] = [
            (t("workbook.about.project", lang), about.project),
            (t("workbook.about.period", lang), about.period),
            (t("workbook.about.run_id", lang), about.run_id),
            (t("workbook.about.run_date", lang), about.run_date),
            (t("workbook.about.language", lang), t("language_name", lang)),
            (t("workbook.about.produced_by", lang), f"evaluation workbench {__version__}"),
            *about.extra.items(),
        ]
        label_width = max(
            [text_width(label, bold=True) for label, _ in rows]
            + [text_width(p) for p, _ in about.sources]
            + [20]
        )
        widths = (min(label_width + 2, 60), 72.0)
        ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = widths
        r = 3
        for label, value in rows:
            if value:
                self._label_row(ws, r, label, value, widths)
                r += 1
        r += 1
        ws.cell(r, 1, _text_cell(t("workbook.about.sources", lang))).font = _LABEL_FONT
        r += 1
        for c, text in enumerate(
            (t("workbook.about.file", lang), t("workbook.about.sha256", lang)), start=1
        ):
            cell = ws.cell(r, c, _text_cell(text))
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        for path, digest in about.sources:
            r += 1
            ws.cell(r, 1, _text_cell(path))
            ws.cell(r, 2, _text_cell(digest)).font = Font(name="Consolas", size=9)
        if not about.sources:
            r += 1
            ws.cell(r, 1, _text_cell(t("workbook.about.no_sources", lang))).font = _NOTE_FONT
        for heading, lines in (
            (t("workbook.about.notes", lang), about.notes),
            (
                t("workbook.about.suppression", lang),
                [about.suppression] if about.suppression else [],
            ),
        ):
            if not lines:
                continue
            r += 2
            ws.cell(r, 1, _text_cell(heading)).font = _LABEL_FONT
            for line in lines:
                r += 1
                ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
                cell = ws.cell(r, 1, _text_cell(line))
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                ws.row_dimensions[r].height = row_height(wrapped_lines(line, sum(widths)))
        self._print_setup(ws, None, about.title, landscape=False)
        return ws.title

    def add_chart(
        self,
        sheet: str,
        *,
        x: str,
        y: str | Sequence[str],
        kind: str = "bar",
        title: str = "",
        x_title: str = "",
        y_title: str = "",
        percent: bool = False,
        anchor: str | None = None,
    ) -> None:
        """A native Excel bar or line chart of columns of a table already on ``sheet``.

        Parameters
        ----------
        sheet : str
            The name :meth:`add_sheet` returned.
        x : str
            Column of categories (or dates).
        y : str or sequence of str
            Column(s) of values, one series each.
        kind : {"bar", "line"}
        title, x_title, y_title : str
            Chart and axis titles.
        percent : bool
            Show the value axis as percentages.
        anchor : str, optional
            Top-left cell (default: two columns right of the table, at its header).
        """
        if kind not in ("bar", "line"):
            raise ParamsError(f"add_chart: kind {kind!r} is not 'bar' or 'line'")
        layout = self.layouts.get(sheet)
        if layout is None:
            raise ReportError(
                f"add_chart: no table sheet '{sheet}'; sheets: {format_values(self.sheet_names)}"
            )
        if layout.last_row < layout.first_row:
            return  # nothing to plot
        ws = self._book[sheet]
        chart = BarChart() if kind == "bar" else LineChart()
        if kind == "bar":
            chart.type = "col"
        chart.title = safe_cell(title) or None
        chart.x_axis.title = safe_cell(x_title) or None
        chart.y_axis.title = safe_cell(y_title) or None
        chart.height, chart.width = 8, 18
        chart.legend.position = "b"
        for column in [y] if isinstance(y, str) else list(y):
            col = layout.column_index(column)
            data = Reference(ws, min_col=col, min_row=layout.header_row, max_row=layout.last_row)
            chart.add_data(data, titles_from_data=True)
        if kind == "line":
            for series in chart.series:  # straight segments: a smoothed curve invents values
                series.smooth = False
        xcol = layout.column_index(x)
        chart.set_categories(
            Reference(ws, min_col=xcol, min_row=layout.first_row, max_row=layout.last_row)
        )
        if percent:
            chart.y_axis.numFmt = "0%"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        where = anchor or f"{get_column_letter(len(layout.columns) + 2)}{layout.header_row}"
        ws.add_chart(chart, where)

    # ------------------------------------------------------------------ cell styling
    def set_number_format(
        self,
        sheet: str,
        columns: str | Sequence[str],
        number_format: str,
        rows: Iterable[int] | None = None,
    ) -> None:
        """Give cells of a table already on ``sheet`` another number format.

        For tables whose rows have different units (an indicator table mixing percentages,
        scores and counts), after :meth:`add_sheet` has formatted whole columns.

        Parameters
        ----------
        sheet : str
            The name :meth:`add_sheet` returned.
        columns : str or sequence of str
            Table columns to format.
        number_format : str
            A kind of :data:`NUMBER_FORMATS` or an Excel format string (``"0.0%"``).
        rows : iterable of int, optional
            0-based positions of the table's rows (default: every row).
        """
        layout = self._layout(sheet, "set_number_format")
        fmt = NUMBER_FORMATS.get(number_format, number_format)
        if number_format not in NUMBER_FORMATS:
            _kind(str(columns), pd.Series(dtype=float), number_format)  # checks the format
        ws = self._book[sheet]
        for row in self._rows(layout, rows):
            for column in [columns] if isinstance(columns, str) else columns:
                cell = ws.cell(row, layout.column_index(column))
                if cell.data_type != "s":
                    cell.number_format = fmt

    def fill_cells(
        self,
        sheet: str,
        columns: str | Sequence[str],
        colour: str,
        rows: Iterable[int] | None = None,
    ) -> None:
        """Fill cells of a table already on ``sheet`` with a background colour.

        Parameters
        ----------
        sheet : str
            The name :meth:`add_sheet` returned.
        columns : str or sequence of str
            Table columns to fill.
        colour : str
            RGB hex without ``#`` (e.g. ``"C6EFCE"``, Excel's light green).
        rows : iterable of int, optional
            0-based positions of the table's rows (default: every row).
        """
        layout = self._layout(sheet, "fill_cells")
        if not re.fullmatch(r"[0-9A-Fa-f]{6}", str(colour)):
            raise ParamsError(f"fill_cells: colour {colour!r} is not six hex digits (RRGGBB)")
        fill = PatternFill("solid", fgColor=str(colour).upper())
        ws = self._book[sheet]
        for row in self._rows(layout, rows):
            for column in [columns] if isinstance(columns, str) else columns:
                ws.cell(row, layout.column_index(column)).fill = fill

    def add_footnotes(self, sheet: str, lines: Sequence[str]) -> None:
        """Write ``lines`` under the table on ``sheet`` (one blank row first), wrapped across
        the table's width, in the notes' italic style, and include them in the print area."""
        layout = self._layout(sheet, "add_footnotes")
        ws = self._book[sheet]
        span = max(len(layout.columns), 6)
        row = ws.max_row + 1
        for line in lines:
            row += 1
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
            cell = ws.cell(row, 1, _text_cell(line))
            cell.font = _NOTE_FONT
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            width = sum(
                ws.column_dimensions[get_column_letter(c)].width or _DEFAULT_WIDTH
                for c in range(1, span + 1)
            )
            ws.row_dimensions[row].height = row_height(wrapped_lines(line, width))

    def _layout(self, sheet: str, what: str) -> SheetLayout:
        layout = self.layouts.get(sheet)
        if layout is None:
            raise ReportError(
                f"{what}: no table sheet '{sheet}'; sheets: {format_values(self.sheet_names)}"
            )
        return layout

    @staticmethod
    def _rows(layout: SheetLayout, rows: Iterable[int] | None) -> list[int]:
        count = layout.last_row - layout.first_row + 1
        positions = range(count) if rows is None else [int(r) for r in rows]
        bad = [r for r in positions if not 0 <= r < count]
        if bad:
            raise ReportError(
                f"sheet '{layout.name}' has {count} table rows; rows {format_values(bad)} "
                "are outside them (rows are 0-based positions in the table)"
            )
        return [layout.first_row + r for r in positions]

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> Path:
        """Write the workbook to ``path`` atomically; return ``path``.

        Raises
        ------
        ReportError
            If the workbook has no sheet, or the file cannot be written.
        """
        if not self.sheet_names:
            raise ReportError("the workbook has no sheet; add a table before saving")
        path = Path(path)
        props = self._book.properties
        props.creator = props.lastModifiedBy = f"evaluation workbench {__version__}"
        props.title = self.title or None
        props.language = self.language
        props.created = props.modified = self.timestamp
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            ExcelWriter(self._book, archive).write_data()  # save_workbook would stamp "now"
        data = _fixed_zip(buffer.getvalue(), self.timestamp)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            try:
                os.fchmod(handle, 0o666 & ~current_umask())  # mkstemp makes it 0600
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise ReportError(f"cannot write the workbook {path}: {error.strerror}") from None
        return path

    # ------------------------------------------------------------------ internals
    def _refuse_personal(self, columns: Iterable[object], sheet: str) -> None:
        personal = [str(c) for c in columns if str(c).casefold() in self.forbidden]
        if personal:
            raise PrivacyError(
                f"sheet '{sheet}': column(s) {format_values(personal)} are personal fields and "
                "are never written to a workbook; drop them from the table"
            )

    def _title_and_notes(
        self, ws: Worksheet, title: str, notes: Sequence[str], span: tuple[int, float]
    ) -> int:
        """Title in row 1, then one merged, wrapped row per note across ``span`` (columns,
        total width); return the row before the header."""
        ws.cell(1, 1, _text_cell(title)).font = _TITLE_FONT
        row = 1
        columns, width = span
        for note in notes:
            row += 1
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
            cell = ws.cell(row, 1, _text_cell(note))
            cell.font = _NOTE_FONT
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = row_height(wrapped_lines(note, width))
        return row + 1  # one blank row before the header

    def _write_rows(
        self,
        ws: Worksheet,
        table: pd.DataFrame,
        columns: list[str],
        kinds: Mapping[str, str],
        first: int,
    ) -> int:
        formats = {c: NUMBER_FORMATS.get(kinds[c], kinds[c]) for c in columns}
        prepared = [self._values(table[c]) for c in columns]
        row = first - 1
        for row_values in zip(*prepared, strict=True) if columns else ():
            row += 1
            for col, (column, value) in enumerate(zip(columns, row_values, strict=True), start=1):
                cell = ws.cell(row, col)
                cell.alignment = _TOP  # wrapped neighbours make rows tall: keep rows aligned
                if isinstance(value, str):
                    cell.value = _text_cell(value)
                    cell.data_type = "s"
                else:
                    cell.value = value
                    if value is not None and formats[column] != "@":
                        cell.number_format = formats[column]
        return row

    def _values(self, series: pd.Series) -> list[object]:
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            if getattr(series.dt, "tz", None) is not None:
                series = series.dt.tz_convert(self.timezone).dt.tz_localize(None)
            return [None if pd.isna(v) else v.to_pydatetime() for v in series]
        return [_plain(v) for v in series.astype(object)]

    def _label_row(
        self, ws: Worksheet, row: int, label: str, value: str, widths: tuple[float, float]
    ) -> None:
        label_cell = ws.cell(row, 1, _text_cell(label))
        label_cell.font, label_cell.alignment = _LABEL_FONT, _TOP
        cell = ws.cell(row, 2, _text_cell(value))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        lines = wrapped_lines(value, widths[1])  # labels fit: column A is as wide as they are
        if lines > 1:
            ws.row_dimensions[row].height = row_height(lines)

    def _print_setup(
        self, ws: Worksheet, header_row: int | None, title: str, landscape: bool = True
    ) -> None:
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.75
        ws.page_margins.header = ws.page_margins.footer = 0.3
        if header_row is not None:
            ws.print_title_rows = f"{header_row}:{header_row}"
        ws.oddHeader.left.text = _header_footer_text(title)
        ws.oddFooter.center.text = "&P / &N"
        ws.oddFooter.right.text = _header_footer_text(self.title)


# --------------------------------------------------------------------------- helpers
def sheet_name(wanted: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name for ``wanted``.

    Characters Excel refuses (``[]:*?/\\`` and control characters) become ``-``; leading and
    trailing apostrophes and spaces go; the name is cut to 31 characters; ``History`` (which
    Excel reserves) and names already ``taken`` (ignoring case) get `` (2)``, `` (3)`` …

    Examples
    --------
    >>> sheet_name("Flags: A/B [2022]"), sheet_name("Summary", ["summary"])
    ('Flags- A-B -2022-', 'Summary (2)')
    """
    name = _BAD_SHEET_CHARS.sub("-", str(wanted)).strip().strip("'").strip() or "Sheet"
    name = name[:MAX_SHEET_NAME].rstrip("'").rstrip() or "Sheet"
    used = {n.casefold() for n in taken}
    if name.casefold() not in used and name.casefold() != "history":
        return name
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in used:
            return candidate
        number += 1


def _kind(column: str, series: pd.Series, given: str | None) -> str:
    if given is not None:
        if given in NUMBER_FORMATS or re.search(r"[0#@]|yy|hh", given):
            return given
        raise ParamsError(
            f"column '{column}': format {given!r} is not one of {', '.join(NUMBER_FORMATS)} "
            "nor an Excel number format such as '0.0%'"
        )
    kind = infer_kind(series)
    if kind == "date":
        times = series.dropna().dt
        has_time = (times.hour != 0) | (times.minute != 0) | (times.second != 0)
        return "datetime" if bool(has_time.any()) else "date"
    return kind


def _plain(value: object) -> object:
    """A value openpyxl can write: missing → None, numpy scalars → Python, text kept."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, int | float | dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return str(value)


def _text_cell(value: object) -> object:
    """Text made safe for a cell: no formula, within Excel's length limit."""
    if not isinstance(value, str):
        return value
    text = value if len(value) <= MAX_CELL_TEXT else value[: MAX_CELL_TEXT - 1] + "…"
    return safe_cell(text)


def _header_footer_text(text: str) -> str:
    # '&' starts a code in Excel headers and footers; keep them short
    return str(text).replace("&", "&&")[:80]


def _shown_width(value: object, kind: str) -> float:
    """Width of ``value`` as the cell shows it with its number format (``kind``)."""
    if value is None:
        return 0.0
    fmt = NUMBER_FORMATS.get(kind, kind)
    if isinstance(value, dt.date) and "y" in fmt:  # a date format: "yyyy-mm-dd", "dd.mm.yyyy"
        return text_width(re.sub(r"[ymdhs]", "0", fmt))
    if isinstance(value, dt.date):
        return 16.0 if isinstance(value, dt.datetime) else 10.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text_width(_number_text(float(value), fmt))
    return text_width(value)


def _number_text(value: float, fmt: str) -> str:
    """``value`` roughly as Excel shows it with the format ``fmt`` (for column widths)."""
    if fmt in ("@", "General") or not fmt:
        return f"{value:g}"
    section = re.sub(r"\[[^\]]*\]", "", fmt).split(";")[-1]  # the unconditional section
    decimals = len(re.search(r"\.([0#]*)", section).group(1)) if "." in section else 0
    percent = "%" in section
    number = 100 * value if percent else value
    text = f"{number:{',' if ',' in section else ''}.{decimals}f}"
    return text + ("%" if percent else "")


def _max_widths(given: Mapping[str, float], columns: Sequence[str]) -> dict[str, float]:
    out = {}
    for column, width in given.items():
        if isinstance(width, bool) or not isinstance(width, int | float) or not width > 0:
            raise ParamsError(
                f"max_widths: the width of column '{column}' must be a positive number of "
                f"characters, got {width!r}"
            )
        if column in columns:
            out[column] = float(max(width, _MIN_WIDTH))
    return out


def _widths(
    table: pd.DataFrame,
    columns: list[str],
    shown: list[str],
    kinds: Mapping[str, str],
    limits: Mapping[str, float],
) -> tuple[list[float], dict[str, float]]:
    """Column widths (Excel's unit: the width of a ``0``) from the headers and the values as
    shown, within ``limits``; and the width of each column's widest value."""
    widths, content = [], {}
    sample = table.head(2000)  # widths from the first rows are enough, and fast
    for column, head in zip(columns, shown, strict=True):
        values = [_plain(v) for v in sample[column].astype(object)]
        content[column] = max((_shown_width(v, kinds[column]) for v in values), default=0.0)
        words = [text_width(w, bold=True) for w in str(head).split()]
        header = max(max(words, default=0.0), min(text_width(head, bold=True), _HEADER_WRAP))
        chars = max(content[column], header, _MIN_WIDTH) + 1
        widths.append(float(min(math.ceil(chars), limits.get(column, _MAX_WIDTH))))
    return widths, content


def _span_width(widths: Sequence[float]) -> tuple[int, float]:
    """The columns a note is merged across (the table's, at least six) and their width."""
    columns = max(len(widths), 6)
    return columns, float(sum(widths)) + _DEFAULT_WIDTH * (columns - len(widths))


def _needs_wrap(series: pd.Series, width: float, content: float) -> bool:
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return False
    if content > width - CELL_PADDING:
        return True
    texts = series.head(2000).dropna().astype(str)
    return bool(texts.str.contains("\n", regex=False).any())


def _row_heights(
    ws: Worksheet, table: pd.DataFrame, wrapped: list[tuple[str, float]], first: int
) -> None:
    """Set the height of rows whose wrapped text takes several lines (Excel and LibreOffice
    do not grow rows written by openpyxl by themselves)."""
    if not wrapped:
        return
    lines = np.ones(len(table), dtype=int)
    for column, width in wrapped:
        texts = table[column].astype("string").fillna("")
        lines = np.maximum(lines, [wrapped_lines(text, width) for text in texts])
    for offset, count in enumerate(lines):
        if count > 1:
            ws.row_dimensions[first + offset].height = row_height(int(count))


def current_umask() -> int:
    """The process umask (read without changing it where the system allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _fixed_zip(data: bytes, moment: dt.datetime) -> bytes:
    """The zip ``data`` again, every entry stamped ``moment`` (zip times start in 1980)."""
    stamp = max(moment, dt.datetime(*_ZIP_EPOCH)).timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()
