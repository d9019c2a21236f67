"""The field team's workbook: every flagged or set-aside submission by enumerator, and the
summaries the field coordinator needs to follow them up.

Sheets: "About" (run, data sources with SHA-256, method notes), "Summary" (rows per file),
"Enumerators", the flagged submissions (one sheet per enumerator, or one sheet with a
filter; see ``workbook_layout``), "Duplicates", "Short interviews", "Outliers",
"Non-response", "Assent" and "Panel codes". Headers, sheet names, rules and statuses are in
the report's language. Built with :class:`evaluation.report.workbook.Workbook`, so no cell
starts a formula, no personal field is written and the file is reproducible.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evaluation.params import display_path
from evaluation.pipeline.records import sha256_path
from evaluation.quality.checks import QualityChecks
from evaluation.quality.present import (
    NAMESPACES,
    daily_summary,
    hide_sensitive,
    panel_frame,
    readable,
)
from evaluation.report.labels import t
from evaluation.report.tables import headers_for
from evaluation.report.workbook import About, Workbook

PER_ENUMERATOR_LIMIT = 20
"""With ``workbook_layout: auto``, one sheet per enumerator up to this many enumerators."""

_RUN_ID = re.compile(r"^(\d{8}T\d{6}Z)")

LISTING_FORMATS = {
    "enumerator": "text",
    "date": "date",
    "rule": "text",
    "column": "text",
    "value": "text",
    "status": "text",
    "table": "text",
    "submission_id": "text",
    "file": "text",
    "row": "count",
    "detail": "text",
}
"""Columns of the flagged-submissions sheets, in order: who and what first, then where."""


def write_field_workbook(
    checks: QualityChecks, path: str | Path, *, run: object | None = None
) -> Path | None:
    """Write the field team's workbook to ``path``; return ``path``.

    Nothing is written (and None returned) when the run's ``formats`` leave out
    ``workbook``.

    Parameters
    ----------
    checks : QualityChecks
        From :func:`~evaluation.quality.checks.run_checks`.
    path : path
        Where to write (``run.output_path("field_workbook.xlsx")`` in the notebook).
    run : NotebookRun, optional
        For the About sheet (run id, notes) and the document time; without it the run id
        of ``checks`` and the ingestion time are used.

    Returns
    -------
    Path or None
    """
    formats = (getattr(run, "params", None) or {}).get("formats")
    if formats is not None and "workbook" not in formats:
        return None
    language = checks.language
    book = Workbook(
        language,
        timestamp=run_time(checks.run_id, checks.data.log),
        title=t("quality.workbook.title", language),
        forbidden=_personal_fields(checks),
        timezone=checks.settings.timezone,
    )
    _summary(book, checks)
    _enumerators(book, checks)
    _flagged(book, checks)
    _sheet(
        book,
        checks,
        "duplicates",
        checks.duplicate_rows,
        {"row": "count"},
        headers={"action": "status"},
    )
    _sheet(
        book,
        checks,
        "short",
        checks.short,
        {"date": "date", "row": "count", "duration_min": "minutes", "threshold_min": "minutes"},
    )
    outliers = hide_sensitive(checks.outliers, checks)
    _sheet(book, checks, "outliers", outliers, {"date": "date", "row": "count"})
    _sheet(
        book,
        checks,
        "nonresponse",
        checks.nonresponse.drop(columns=["se", "ci_low", "ci_high", "p_value", "df"]),
        {
            "estimate": "percent",
            "missing_rate": "percent",
            "dont_know_rate": "percent",
            "refusal_rate": "percent",
        },
        headers={"estimate": "nonresponse_rate", "n": "asked"},
    )
    by = next((k for k in checks.settings.assent_by if k in checks.assent), "all")
    if by in checks.assent:
        _sheet(
            book,
            checks,
            "assent",
            checks.assent[by].drop(columns=["se", "ci_low", "ci_high", "p_value", "df"]),
            {"estimate": "percent"},
            headers={"estimate": "refusal_share", "n": "submissions"},
        )
    if checks.panel is not None:
        _sheet(
            book,
            checks,
            "panel",
            panel_frame(checks).drop(columns=["se", "ci_low", "ci_high", "p_value", "df", "n"]),
            {"estimate": "percent", "endline_match_rate": "percent"},
            headers={"estimate": "match_rate"},
        )
    book.add_about(_about(checks, run))
    return book.save(path)


def run_time(run_id: str, log: Mapping[str, object]) -> dt.datetime:
    """The run's start (from its id, ``20261028T101530Z-…``); for interactive runs the
    ingestion's end time; else a fixed date. Never the wall clock."""
    match = _RUN_ID.match(run_id or "")
    if match:
        return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    finished = log.get("finished") if isinstance(log, Mapping) else None
    if isinstance(finished, str):
        try:
            moment = dt.datetime.fromisoformat(finished.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- sheets
def _summary(book: Workbook, checks: QualityChecks) -> None:
    frame = checks.files.copy()
    _sheet(
        book,
        checks,
        "summary",
        frame,
        {"share_quarantined": "percent"},
        notes=[t("quality.workbook.summary_note", checks.language)],
    )
    daily = daily_summary(checks)
    if len(daily):
        _sheet(
            book,
            checks,
            "days",
            daily,
            {"first_day": "date", "last_day": "date"},
            title=t("quality.sections.per_day", checks.language),
        )


def _enumerators(book: Workbook, checks: QualityChecks) -> None:
    frame = checks.enumerators.drop(columns=["se", "ci_low", "ci_high", "df"])
    name = _sheet(
        book,
        checks,
        "enumerators",
        frame,
        {
            "estimate": "percent",
            "rate_others": "percent",
            "difference": "percent",
            "p_value": "p_value",
            "p_adjusted": "p_value",
            "median_duration": "minutes",
        },
        headers={"estimate": "flag_rate", "n": "submissions", "median_duration": "median_minutes"},
        freeze_columns=2,
    )
    if len(frame) and frame["table"].nunique() == 1:
        book.add_chart(
            name,
            x="enumerator",
            y="estimate",
            kind="bar",
            title=t("quality.figures.flag_rate", checks.language),
            percent=True,
        )


def _flagged(book: Workbook, checks: QualityChecks) -> None:
    language = checks.language
    listing = checks.flagged[list(LISTING_FORMATS)]
    enumerators = listing["enumerator"].fillna("").unique().tolist()
    layout = checks.settings.workbook_layout
    per_enumerator = layout == "per_enumerator" or (
        layout == "auto" and 0 < len(enumerators) <= PER_ENUMERATOR_LIMIT
    )
    note = [t("quality.workbook.flagged_note", language)]
    if not per_enumerator:
        _sheet(
            book,
            checks,
            "flagged",
            listing,
            LISTING_FORMATS,
            title=t("quality.workbook.flagged_all", language),
            notes=note,
            freeze_columns=1,
        )
        return
    for enumerator in sorted(enumerators, key=lambda e: (e == "", e)):
        part = listing[listing["enumerator"].fillna("").eq(enumerator)]
        who = enumerator or t("quality.workbook.unknown_enumerator", language)
        _sheet(
            book,
            checks,
            None,
            part,
            LISTING_FORMATS,
            sheet=who,
            title=t("quality.workbook.flagged_title", language, enumerator=who),
            notes=note,
        )


def _sheet(
    book: Workbook,
    checks: QualityChecks,
    key: str | None,
    frame: pd.DataFrame,
    formats: Mapping[str, str],
    *,
    headers: Mapping[str, str] | None = None,
    title: str = "",
    notes: list[str] | None = None,
    sheet: str | None = None,
    freeze_columns: int = 0,
) -> str:
    """Add ``frame`` (codes made readable, headers translated) as a sheet; return its name."""
    language = checks.language
    shown = readable(frame, language, checks.data.instruments)
    header_keys = {c: t(f"quality.columns.{k}", language) for c, k in (headers or {}).items()}
    texts = headers_for(shown.columns, language, namespaces=NAMESPACES, headers=header_keys)
    name = sheet or t(f"quality.workbook.{key}", language)
    return book.add_sheet(
        name,
        shown,
        title=title or name,
        notes=notes or [],
        formats={c: f for c, f in formats.items() if c in shown.columns},
        headers=texts,
        freeze_columns=freeze_columns,
    )


def _about(checks: QualityChecks, run: object | None) -> About:
    language = checks.language
    root = getattr(run, "root", None) or checks.data.root
    sources = [(display_path(p, root), sha256_path(p)) for p in checks.data.inputs]
    notes = list(getattr(run, "notes", []) or [])
    if not notes:
        from evaluation.quality.narrative import method_notes

        notes = method_notes(checks)
    params = getattr(run, "params", {}) or {}
    started = run_time(checks.run_id, checks.data.log)
    return About(
        title=t("quality.workbook.title", language),
        project=t("quality.project", language),
        period=params.get("period") or t("html.all_periods", language),
        run_id=checks.run_id,
        run_date=started.strftime("%Y-%m-%d %H:%M UTC"),
        sources=sources,
        notes=notes,
        extra={t("quality.workbook.dataset", language): checks.settings.dataset},
    )


def _personal_fields(checks: QualityChecks) -> set[str]:
    names: set[str] = set()
    for instrument in checks.data.instruments.values():
        names.update(q.name for q in instrument.questions if q.personal_data)
    return names
