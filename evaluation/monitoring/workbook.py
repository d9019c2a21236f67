"""The monitoring report's workbook, built with the donor workbook builder.

One sheet per section, in the report's language, through
:class:`evaluation.report.donor.DonorWorkbook` (About sheet, headers, number formats,
shading of hidden cells, footnotes, no formulas from data, no personal fields). The tables
are wide, as a manager reads them: categories down; the month, the month before and the
last twelve months across.

The numbers are the report's *protected* tables: small-cell suppression was decided once
across every table of the report (:mod:`evaluation.monitoring.protect`), and the workbook
must not decide it again on its own, since it would not know which totals the other tables
hide. Each sheet is therefore written with the hidden cells the report decided
(:meth:`Protected.from_hidden <evaluation.report.donor.Protected.from_hidden>`), through
:meth:`DonorWorkbook.add_protected <evaluation.report.donor.DonorWorkbook.add_protected>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation.monitoring import narrative, present
from evaluation.monitoring.counting import TOTAL
from evaluation.monitoring.periods import month_label
from evaluation.monitoring.report import MonitoringReport
from evaluation.report.donor import DonorWorkbook, Protected
from evaluation.report.labels import t

PERIODS = present.PERIOD_COLUMNS
BREAKDOWN_SHEETS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("people_trained", "people_trained", "people_trained", ("institution", "sex")),
    ("dv_cases", "dv_cases", "dv_cases", ("referral_source", "violence_type", "risk_level", "admin_unit")),
    ("dv_orders", "dv_orders", "dv_orders", ("order",)),
    ("street_contacts", "street_contacts", "street_contacts", ("round_type", "action")),
    ("street_children", "street_children", "street_children", ("child", "activity", "accompaniment", "admin_unit")),
)  # fmt: skip
"""(sheet, protected table, measure, breakdowns) of the breakdown sheets."""
UNITS = {"percent": "percent", "number": "days", "count": "count"}
"""Display kind of a measure → the donor workbook's unit (its number format)."""


def write_workbook(
    report: MonitoringReport, path: str | Path, *, run: Any = None, language: str | None = None
) -> Path | None:
    """Write the monitoring workbook; return its path (None when ``formats`` leave it out).

    Parameters
    ----------
    report : MonitoringReport
    path : path
        ``run.output_path("workbook.xlsx")`` in the notebook.
    run : NotebookRun, optional
        For the About sheet (run id, period, method notes, data files) and the time.
    language : str, optional
        Default the run's (else English).

    Returns
    -------
    Path or None
    """
    params = getattr(run, "params", None) or {}
    if "formats" in params and "workbook" not in params["formats"]:
        return None
    language = language or getattr(run, "language", None) or "en"
    if run is not None:
        book = DonorWorkbook.for_run(run, instruments=report.instruments, unit="cases")
    else:
        book = DonorWorkbook(
            language,
            report="monitoring",
            period=report.period,
            min_cell_size=report.settings.threshold,
            unit="cases",
            dataset=report.settings.dataset,
        )
        for note in narrative.notes(report, language):
            book.add_note(note)
    _summary(book, report, language)
    _indicators(book, report, language)
    _training(book, report, language)
    for sheet, table, measure, variables in BREAKDOWN_SHEETS:
        _breakdowns(book, report, language, sheet, table, measure, variables)
        if sheet == "dv_cases":
            _dv_response(book, report, language)
    _trends(book, report, language)
    _quality(book, report, language)
    return book.save(path)


# --------------------------------------------------------------------------- writer
def _write(
    book: DonorWorkbook,
    key: str,
    frame: pd.DataFrame,
    hidden: pd.DataFrame,
    *,
    title: str,
    headers: Mapping[str, str],
    columns: Sequence[str] | None = None,
    formats: Mapping[str, str] | None = None,
    unit_column: str | None = None,
    unit_columns: Sequence[str] = (),
    total_rows: np.ndarray | None = None,
    freeze_columns: int = 1,
) -> str:
    """Write a wide table whose hidden cells the report decided (``hidden``: True where a
    value is hidden; columns not in it are never hidden)."""
    frame = frame.reset_index(drop=True)
    protected = Protected.from_hidden(frame, hidden.reset_index(drop=True), book.min_cell_size)
    chosen = list(columns) if columns is not None else list(frame.columns)
    return book.add_protected(
        t(f"monitoring.workbook.sheets.{key}", book.language),
        protected,
        title=title,
        columns=chosen,
        headers={c: headers[c] for c in chosen},
        formats=formats,
        unit_column=unit_column,
        unit_columns=unit_columns,
        total_rows=total_rows,
        show_reasons=False,
        freeze_columns=freeze_columns,
    )


def _periods(report: MonitoringReport, language: str) -> dict[str, str]:
    return present.period_headers(report, language)


# --------------------------------------------------------------------------- sheets
def _summary(book: DonorWorkbook, report: MonitoringReport, language: str) -> None:
    frame = present.comparison_frame(report, language)
    table = frame[["label", "this", "previous", "change", "change_pct"]].copy()
    table["unit"] = [UNITS[present.KINDS.get(m, ("count", 0))[0]] for m in frame["measure"]]
    row_hidden = frame["hidden"].to_numpy(dtype=bool)
    hidden = pd.DataFrame(
        {
            "this": table["this"].isna().to_numpy() & row_hidden,
            "previous": table["previous"].isna().to_numpy() & row_hidden,
            "change": row_hidden,
            "change_pct": row_hidden,
        }
    )
    month, before = month_label(report.period, language), month_label(report.previous, language)
    _write(
        book,
        "summary",
        table,
        hidden,
        title=t("monitoring.workbook.titles.summary", language, month=month, previous_month=before),
        headers={
            "label": t("monitoring.columns.measure", language),
            "this": month,
            "previous": before,
            "change": t("monitoring.columns.change", language),
            "change_pct": t("monitoring.columns.change_pct", language),
        },
        columns=["label", "this", "previous", "change", "change_pct"],
        formats={"change_pct": "0%"},
        unit_column="unit",
        unit_columns=("this", "previous", "change"),
    )


def _indicators(book: DonorWorkbook, report: MonitoringReport, language: str) -> None:
    rows = report.indicators
    table = pd.DataFrame(
        {
            "indicator": rows["indicator"].astype(str),
            "name": [report.logframe.indicator(i).label(language) for i in rows["indicator"]],
            "unit": rows["unit"].astype(str),
            "unit_text": [t(f"donor.units.{u}", language) for u in rows["unit"]],
            "this": rows["estimate"].astype(float),
            "previous": rows["previous"].astype(float),
            "milestone": rows["milestone"].astype(float),
            "milestone_date": pd.to_datetime(rows["milestone_date"], errors="coerce"),
            "target": rows["target"].astype(float),
            "target_date": pd.to_datetime(rows["target_date"], errors="coerce"),
            "status": [present.status_text(s, language) for s in rows["status"]],
        }
    )
    now = rows["suppressed"].astype(str).str.contains("this:").to_numpy()
    before = rows["suppressed"].astype(str).str.contains("previous:").to_numpy()
    table.loc[rows["cumulative"].to_numpy(dtype=bool), "previous"] = np.nan
    hidden = pd.DataFrame({"this": now, "previous": before, "status": now})
    month = month_label(report.period, language)
    _write(
        book,
        "indicators",
        table,
        hidden,
        title=t("monitoring.workbook.titles.indicators", language, month=month),
        headers={
            "indicator": t("donor.columns.id", language),
            "name": t("monitoring.columns.indicator", language),
            "unit_text": t("monitoring.columns.unit", language),
            "this": month,
            "previous": month_label(report.previous, language),
            "milestone": t("monitoring.columns.milestone_value", language),
            "milestone_date": t("monitoring.columns.milestone_date", language),
            "target": t("monitoring.columns.target_value", language),
            "target_date": t("monitoring.columns.target_date", language),
            "status": t("monitoring.columns.status", language),
        },
        columns=[
            "indicator",
            "name",
            "unit_text",
            "this",
            "previous",
            "milestone",
            "milestone_date",
            "target",
            "target_date",
            "status",
        ],
        formats={"milestone_date": "date", "target_date": "date"},
        unit_column="unit",
        unit_columns=("this", "previous", "milestone", "target"),
        freeze_columns=2,
    )


def _training(book: DonorWorkbook, report: MonitoringReport, language: str) -> None:
    frame, hidden = present.training_frame(report, language)
    _write(
        book,
        "training",
        frame,
        hidden,
        title=t("monitoring.sections.training", language),
        headers={"label": t("monitoring.columns.measure", language), **_periods(report, language)},
        columns=["label", *PERIODS],
        formats=dict.fromkeys(PERIODS, "count"),
    )


def _breakdowns(
    book: DonorWorkbook,
    report: MonitoringReport,
    language: str,
    sheet: str,
    table: str,
    measure: str,
    variables: Sequence[str],
) -> None:
    parts, masks = [], []
    for variable in variables:
        part, mask = present.wide(
            report, table, measure, variable, language=language, drop_empty=variable == "admin_unit"
        )
        part.insert(0, "breakdown", t(f"monitoring.breakdowns.{variable}", language))
        parts.append(part)
        masks.append(mask)
    frame = pd.concat(parts, ignore_index=True)
    _write(
        book,
        sheet,
        frame,
        pd.concat(masks, ignore_index=True),
        title=t(f"monitoring.workbook.titles.{sheet}", language),
        headers={
            "breakdown": t("monitoring.columns.breakdown", language),
            "label": t("monitoring.columns.category", language),
            **_periods(report, language),
        },
        columns=["breakdown", "label", *PERIODS],
        formats=dict.fromkeys(PERIODS, "count"),
        total_rows=(frame["category"] == TOTAL).to_numpy(),
        freeze_columns=2,
    )


def _dv_response(book: DonorWorkbook, report: MonitoringReport, language: str) -> None:
    parts, masks = [], []
    for measure, (kind, _digits) in present.KINDS.items():
        part, mask = present.wide(
            report, "dv_timeliness", measure, present.timeliness_column(report, measure)
        )
        parts.append(part.assign(label=present.measure_label(measure, language), unit=UNITS[kind]))
        masks.append(mask)
    frame = pd.concat(parts, ignore_index=True)
    _write(
        book,
        "dv_response",
        frame,
        pd.concat(masks, ignore_index=True),
        title=t("monitoring.workbook.titles.dv_response", language),
        headers={"label": t("monitoring.columns.measure", language), **_periods(report, language)},
        columns=["label", *PERIODS],
        unit_column="unit",
        unit_columns=PERIODS,
    )


def _trends(book: DonorWorkbook, report: MonitoringReport, language: str) -> None:
    frame, hidden = present.trend_frame(report)
    measures = [c for c in frame.columns if c != "period"]
    months = len(report.windows["year"].months)
    name = _write(
        book,
        "trends",
        frame,
        hidden,
        title=t("monitoring.workbook.titles.trends", language, months=months),
        headers={
            "period": t("monitoring.columns.month", language),
            **{
                m: t(f"monitoring.short.{m}", language)
                if f"monitoring.short.{m}" in _texts(language)
                else present.measure_label(m, language)
                for m in measures
            },
        },
        formats={
            m: "percent"
            if present.KINDS.get(m, ("count",))[0] == "percent"
            else ("0.0" if m in present.KINDS else "count")
            for m in measures
        },
    )
    counts = [m for m in ("dv_cases", "street_children", "people_trained") if m in measures]
    if counts:
        below = book.workbook.layouts[name].last_row + 3  # under the table: one page wide
        book.add_chart(
            name,
            x="period",
            y=counts,
            kind="line",
            anchor=f"A{below}",
            title=t("monitoring.workbook.titles.trends", language, months=months),
        )


def _texts(language: str) -> Mapping[str, str]:
    from evaluation.report.labels import catalogue

    return catalogue(language)


def _quality(book: DonorWorkbook, report: MonitoringReport, language: str) -> None:
    frame = present.quality_frame(report, language)
    month = month_label(report.period, language)
    columns = [
        "register", "rows_read", "rows_accepted", "rows_quarantined", "share_quarantined",
        "problems", "rows_month", "flagged",
    ]  # fmt: skip
    _write(
        book,
        "quality",
        frame,
        pd.DataFrame(False, index=frame.index, columns=columns),
        title=t("monitoring.workbook.titles.quality", language),
        headers={
            **{c: t(f"monitoring.columns.{c}", language) for c in columns if c != "rows_month"},
            "rows_month": t("monitoring.columns.rows_month", language, month=month),
        },
        columns=columns,
        formats={
            "rows_read": "count",
            "rows_accepted": "count",
            "rows_quarantined": "count",
            "share_quarantined": "percent",
            "rows_month": "count",
            "flagged": "count",
        },
    )
