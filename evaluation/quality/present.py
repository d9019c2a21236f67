"""The data-quality report's tables and figures, in the report's language.

Each function takes the :class:`~evaluation.quality.checks.QualityChecks` and returns what
a notebook cell shows: a display table (:class:`evaluation.report.tables.HtmlTable`) or a
figure. Headers come from ``quality.columns.*`` in the report text files, table names,
rules and statuses from ``quality.tables.*``, ``quality.rules.*`` and ``quality.status.*``,
question labels from the instruments; numbers are formatted by
:mod:`evaluation.report.tables`. :func:`frames` gives the same tables with raw numbers for
the workbook.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaluation.quality.checks import QualityChecks
from evaluation.quality.listing import HIDDEN, hidden_questions, value_text
from evaluation.quality.nonresponse import worst_items
from evaluation.report import figures
from evaluation.report.labels import catalogue, t
from evaluation.report.tables import (
    ColumnFormat,
    HtmlTable,
    choice_label,
    display_table,
    question_label,
    show,
)

NAMESPACES = ("quality.columns", "table")
"""Where the report's column headers are looked up."""

NONRESPONSE_LIMIT = 0.10
"""Non-response share above which a question is counted in the sentence."""

# Which texts replace the codes of a column (``quality.<namespace>.<code>``).
VALUE_TEXTS = {
    "table": "tables",
    "rule": "rules",
    "status": "status",
    "action": "status",
    "kind": "kinds",
    "change": "changes",
    "severity": "severity",
    "relevance": "relevance",
}


# --------------------------------------------------------------------------- helpers
def translate(values: pd.Series, namespace: str, language: str) -> pd.Series:
    """Codes replaced by their text in ``quality.<namespace>.<code>``; unknown codes kept."""
    texts = catalogue(language)

    def one(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return pd.NA
        return texts.get(f"quality.{namespace}.{value}", str(value))

    return values.astype(object).map(one).astype("string")


def yes_no(values: pd.Series, language: str) -> pd.Series:
    """Booleans as "Yes"/"No" in ``language`` (missing stays missing)."""
    yes, no = t("quality.yes", language), t("quality.no", language)
    return (
        values.astype(object)
        .map(lambda v: pd.NA if v is None or v is pd.NA else (yes if bool(v) else no))
        .astype("string")
    )


def readable(frame: pd.DataFrame, language: str, instrument_for=None) -> pd.DataFrame:
    """A copy with codes as texts: table names, rules, statuses, kinds, changes, severities,
    booleans as Yes/No, and a ``label`` column after ``variable`` when instruments are known.

    ``instrument_for`` maps a table name to its instrument (for question labels).
    """
    out = frame.copy()
    out.attrs = {}
    if "variable" in out.columns and instrument_for is not None:
        tables = out["table"] if "table" in out.columns else pd.Series([""] * len(out))
        labels = [
            question_label(instrument_for.get(str(tab)), str(var), language)
            for tab, var in zip(tables, out["variable"], strict=True)
        ]
        out.insert(out.columns.get_loc("variable") + 1, "label", pd.array(labels, dtype="string"))
    for column, namespace in VALUE_TEXTS.items():
        if column in out.columns:
            out[column] = translate(out[column], namespace, language)
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column].dtype):
            out[column] = yes_no(out[column], language)
    return out


def _show(
    frame: pd.DataFrame,
    checks: QualityChecks,
    formats: Mapping[str, str | ColumnFormat],
    *,
    headers: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> HtmlTable:
    language = checks.language
    shown = readable(frame, language, checks.data.instruments)
    columns = [c for c in shown.columns if c in formats or c == "label"]
    return show(
        display_table(
            shown,
            language,
            formats={**formats, "label": "text"},
            columns=columns,
            headers=_headers(headers, language),
            namespaces=NAMESPACES,
        ),
        max_rows=max_rows,
    )


def _headers(headers: Mapping[str, str] | None, language: str) -> dict[str, str]:
    """``{column: key}`` → ``{column: text}`` (keys under ``quality.columns``)."""
    return {c: t(f"quality.columns.{k}", language) for c, k in (headers or {}).items()}


# --------------------------------------------------------------------------- tables
FILES = {
    "table": "text",
    "file": "text",
    "rows_read": "count",
    "rows_accepted": "count",
    "rows_quarantined": "count",
    "share_quarantined": "percent",
    "reconciles": "text",
}


def files(checks: QualityChecks) -> HtmlTable:
    """Rows read, accepted and set aside per input file, and whether they add up."""
    return _show(checks.files, checks, FILES)


def detection(checks: QualityChecks) -> HtmlTable:
    """What was detected in each file: format, text encoding, delimiter."""
    formats = dict.fromkeys(("file", "format", "encoding", "delimiter"), "text")
    return _show(checks.files, checks, formats)


def rules(checks: QualityChecks) -> HtmlTable:
    """Quarantine rules and flags counted per file (from the ingestion log)."""
    frame = checks.rules.assign(description=checks.rules["code"])
    frame["description"] = translate(frame["description"], "rules", checks.language)
    formats = {"table": "text", "file": "text", "kind": "text"}
    return _show(frame, checks, {**formats, "description": "text", "count": "count"})


def columns(checks: QualityChecks) -> HtmlTable:
    """Columns renamed, unknown or missing, per file."""
    formats = dict.fromkeys(("table", "file", "change", "column", "question"), "text")
    return _show(checks.columns, checks, formats)


def duplicates(checks: QualityChecks) -> HtmlTable:
    """Duplicates set aside per table, file and rule."""
    formats = {"table": "text", "file": "text", "rule": "text", "rows": "count"}
    return _show(checks.duplicates, checks, {**formats, "submissions": "count"})


DURATIONS = {
    "table": "text",
    "n": "count",
    "estimate": "minutes",
    "threshold_min": "minutes",
    "n_short": "count",
    "share_short": "percent",
}


def durations(checks: QualityChecks) -> HtmlTable:
    """Median duration, quartiles and short interviews per table."""
    headers = {"estimate": "median_minutes", "n": "interviews"}
    return _show(checks.durations, checks, DURATIONS, headers=headers)


def short_interviews(checks: QualityChecks) -> HtmlTable:
    """The shortest interviews (first ``listing_rows``)."""
    formats = {
        "enumerator": "text",
        "date": "date",
        "duration_min": "minutes",
        "table": "text",
        "submission_id": "text",
    }
    return _show(
        checks.short[list(formats)], checks, formats, max_rows=checks.settings.listing_rows
    )


NONRESPONSE = {
    "table": "text",
    "variable": "text",
    "n": "count",
    "missing_rate": "percent",
    "dont_know_rate": "percent",
    "refusal_rate": "percent",
    "estimate": "percent",
}


def nonresponse(checks: QualityChecks, top: int | None = None) -> HtmlTable:
    """The questions with the most missing, don't-know or refused answers (``top``, default
    ``listing_rows``), worst first."""
    worst = worst_items(checks.nonresponse, top or checks.settings.listing_rows)
    headers = {"n": "asked", "estimate": "nonresponse_rate"}
    return _show(worst, checks, NONRESPONSE, headers=headers)


def constraints(checks: QualityChecks) -> HtmlTable:
    """Rows set aside because an answer broke a constraint."""
    formats = dict.fromkeys(("table", "file", "submission_id", "column", "value"), "text")
    return _show(
        checks.constraints,
        checks,
        {**formats, "row": "count"},
        max_rows=checks.settings.listing_rows,
    )


FENCES = {
    "table": "text",
    "variable": "text",
    "n": "count",
    "median": ColumnFormat("number", 1),
    "lower": ColumnFormat("number", 1),
    "upper": ColumnFormat("number", 1),
    "n_outliers": "count",
    "n_extreme": "count",
}


def fences(checks: QualityChecks) -> HtmlTable:
    """IQR fences of each numeric question, and how many answers lie outside."""
    return _show(checks.fences, checks, FENCES, headers={"n": "asked"})


def outliers(checks: QualityChecks) -> HtmlTable:
    """Answers outside the IQR fences (first ``listing_rows``), extreme ones first."""
    found = checks.outliers.sort_values(
        ["severity", "table", "variable"], ascending=[True, True, True], kind="stable"
    )
    listing = hide_sensitive(found, checks)
    formats = {
        "enumerator": "text",
        "date": "date",
        "variable": "text",
        "value": "text",
        "severity": "text",
        "table": "text",
        "submission_id": "text",
    }
    return _show(listing[list(formats)], checks, formats, max_rows=checks.settings.listing_rows)


ENUMERATORS = {
    "table": "text",
    "enumerator": "text",
    "n": "count",
    "median_duration": "minutes",
    "estimate": "percent",
    "p_adjusted": "p_value",
    "stands_out": "text",
}


def enumerators(checks: QualityChecks) -> HtmlTable:
    """Per enumerator: submissions, median duration, share with a problem and whether it
    stands out against the others; per table those who stand out first, then by share (first
    ``listing_rows`` rows; the workbook has every enumerator)."""
    ordered = checks.enumerators.sort_values(
        ["table", "stands_out", "estimate"], ascending=[True, False, False], kind="stable"
    )
    headers = {"n": "submissions", "estimate": "flag_rate", "median_duration": "median_minutes"}
    return _show(
        ordered, checks, ENUMERATORS, headers=headers, max_rows=checks.settings.listing_rows
    )


def assent(checks: QualityChecks, by: str | None = None, top: int | None = None) -> HtmlTable:
    """Assent refusals per table, or per ``by`` group (highest share first)."""
    frame = checks.assent.get(by or "all")
    if frame is None:
        frame = checks.assent["all"]
        by = None
    frame = frame.head(top or checks.settings.listing_rows)
    formats = {"table": "text", **({by: "text"} if by else {}), "n": "count"}
    formats.update(n_refused="count", estimate="percent")
    headers = {"n": "submissions", "estimate": "refusal_share"}
    return _show(frame, checks, formats, headers=headers)


def per_day(checks: QualityChecks) -> HtmlTable:
    """First and last day, days with submissions and the busiest day, per table and round."""
    return _show(daily_summary(checks), checks, DAILY)


DAILY = {
    "table": "text",
    "round": "text",
    "first_day": "date",
    "last_day": "date",
    "days": "count",
    "submissions": "count",
    "busiest_day": "count",
}


def round_labels(checks: QualityChecks, tables: pd.Series, rounds: pd.Series) -> pd.Series:
    """Round codes (``baseline``) as the instrument's choice labels in the report language."""
    question = checks.settings.panel.wave
    texts = [
        pd.NA
        if r is None or r is pd.NA or r == ""
        else choice_label(checks.data.instruments.get(str(tab)), question, r, checks.language)
        for tab, r in zip(tables, rounds, strict=True)
    ]
    return pd.Series(texts, index=rounds.index, dtype="string")


def daily_summary(checks: QualityChecks) -> pd.DataFrame:
    """Per table and round: first and last day, days with submissions, total, busiest day
    (rounds as their labels in the report language)."""
    per_day = checks.per_day
    labels = round_labels(checks, per_day["table"], per_day["round"])
    data = per_day.assign(round=labels.fillna(""))
    if data.empty:
        return pd.DataFrame(columns=list(DAILY))
    grouped = data.groupby(["table", "round"], sort=False)
    out = grouped.agg(
        first_day=("date", "min"),
        last_day=("date", "max"),
        days=("date", "nunique"),
        submissions=("submissions", "sum"),
        busiest_day=("submissions", "max"),
    ).reset_index()
    out["round"] = out["round"].replace("", pd.NA)
    return out


class Nothing:
    """What a section shows when it has nothing to show (renders as nothing)."""

    def _repr_html_(self) -> str:
        return ""

    def __repr__(self) -> str:
        return ""


def panel(checks: QualityChecks, top: int | None = None) -> HtmlTable | Nothing:
    """Panel-code matching: all schools first, then the schools with the lowest match rate."""
    if checks.panel is None:
        return Nothing()
    frame = panel_frame(checks)
    shown = frame.head(1 + (top or checks.settings.listing_rows))
    formats = {
        "school": "text",
        "estimate": "percent",
        "n_baseline": "count",
        "n_endline": "count",
        "matched": "count",
        "unmatched_baseline": "count",
        "unmatched_endline": "count",
        "duplicated_baseline": "count",
        "duplicated_endline": "count",
    }
    columns = list(formats)
    return _show(shown[columns], checks, formats, headers={"estimate": "match_rate"})


def panel_frame(checks: QualityChecks) -> pd.DataFrame:
    """The matching table with the total row first (named in the report's language), then
    schools from the lowest match rate."""
    result = checks.panel
    if result is None:
        return pd.DataFrame()
    total = result[result["school"].isna()].assign(school=t("quality.total", checks.language))
    schools = result[result["school"].notna()].sort_values(
        ["estimate", "school"], kind="stable", na_position="first"
    )
    out = pd.concat([total, schools], ignore_index=True)
    return out


LISTING = {
    "enumerator": "text",
    "date": "date",
    "rule": "text",
    "value": "text",
    "status": "text",
    "submission_id": "text",
}


def flagged(checks: QualityChecks) -> HtmlTable:
    """The first ``listing_rows`` problems of the flagged-submissions listing: who, when,
    what (the problem, with its question in brackets), and which submission. The workbook
    has every row and column."""
    shown = readable(checks.flagged.head(checks.settings.listing_rows), checks.language)
    shown["rule"] = [
        f"{rule} ({column})" if column else rule
        for rule, column in zip(shown["rule"], shown["column"].fillna(""), strict=True)
    ]
    return show(
        display_table(
            shown, checks.language, formats=LISTING, columns=list(LISTING), namespaces=NAMESPACES
        )
    )


# --------------------------------------------------------------------------- figures
def per_day_figure(checks: QualityChecks):
    """Bars of submissions per day, one panel per table and round."""
    language = checks.language
    data = checks.per_day.copy()
    names = translate(data["table"], "tables", language)
    rounds = round_labels(checks, data["table"], data["round"]).fillna("")
    data["panel"] = [f"{n} – {r}" if r else str(n) for n, r in zip(names, rounds, strict=True)]
    return figures.daily_counts(
        data,
        panel="panel",
        ylabel=t("quality.figures.submissions", language),
        weekly_label=t("quality.weekly", language),
        language=language,
    )


def enumerator_figure(checks: QualityChecks, table: str | None = None, top: int = 25):
    """Share of submissions with a problem per enumerator of one table (the one with the
    most enumerators by default), the ``top`` highest shares; those who stand out in red;
    the table's overall share as a dashed line. None when no table records enumerators."""
    result = checks.enumerators
    if result.empty:
        return None
    table = table or result.groupby("table").size().idxmax()
    part = result[result["table"].eq(table)]
    overall = part["n_problems"].sum() / part["n"].sum() if part["n"].sum() else np.nan
    part = part.sort_values(["estimate", "enumerator"], ascending=[False, True]).head(top)
    language = checks.language
    name = translate(pd.Series([table]), "tables", language).iloc[0]
    return figures.bar(
        part,
        "enumerator",
        "estimate",
        title=f"{t('quality.figures.flag_rate', language)}: {name}",
        language=language,
        percent=True,
        horizontal=True,
        highlight=part["stands_out"].fillna(False).astype(bool).tolist(),
        reference=float(overall),
        reference_label=t("quality.figures.others", language),
    )


def hide_sensitive(frame: pd.DataFrame, checks: QualityChecks) -> pd.DataFrame:
    """Outlier values of questions in hidden groups replaced by the hidden marker."""
    out = frame.copy()
    values = out["value"].astype(object)
    hidden = hidden_questions(checks.data.instruments, checks.settings.hidden_value_groups)
    texts = [
        HIDDEN if (tab, var) in hidden else (value_text(v) or "")
        for tab, var, v in zip(out["table"], out["variable"], values, strict=True)
    ]
    out["value"] = pd.array(texts, dtype="string")
    return out
