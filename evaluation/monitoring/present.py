"""The monitoring report's tables and figures, in the report's language.

Each function takes the :class:`~evaluation.monitoring.report.MonitoringReport` and the
language and returns what a notebook cell shows: a display table
(:class:`evaluation.report.tables.HtmlTable`) or a figure. Every number comes from the
report's protected tables, so a hidden cell is shown as "–". Texts come from
``monitoring.*`` in the report text files, category labels from the questionnaires; numbers
are formatted by :mod:`evaluation.report.tables`. :func:`wide` gives the same tables with
raw numbers, for the workbook.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.monitoring.counting import MISSING, TOTAL
from evaluation.monitoring.periods import month_label
from evaluation.monitoring.report import DV_TABLE, STREET_TABLE, MonitoringReport
from evaluation.monitoring.trends import MEASURES
from evaluation.monitoring.units import OTHER_UNITS
from evaluation.quality.narrative import Text
from evaluation.quality.present import translate
from evaluation.report import figures
from evaluation.report.labels import catalogue, t
from evaluation.report.tables import MISSING as DASH
from evaluation.report.tables import (
    ColumnFormat,
    HtmlTable,
    choice_label,
    display_table,
    format_number,
    format_percent,
    show,
)
from evaluation.schedule.periods import MONTHS

NAMESPACES = ("monitoring.columns", "table")
PERIOD_COLUMNS = ("this", "previous", "year")
KINDS = {
    "dv_days_to_review": ("number", 1),
    "dv_days_to_plan": ("number", 1),
    "dv_reviewed_3wd": ("percent", 0),
    "dv_services": ("number", 1),
    "dv_services_2plus": ("percent", 0),
}
"""Display kind and decimals of the statistics; every other measure is a count."""
INSTRUMENT_OF = {
    "dv_cases": DV_TABLE,
    "street_children": STREET_TABLE,
    "street_contacts": STREET_TABLE,
    "people_trained": "training_attendance",
}
SPECIAL = (TOTAL, MISSING, OTHER_UNITS)
"""Category codes the workbench writes (their text is in ``monitoring.categories``)."""
OWN_VARIABLES = ("child", "order")
"""Breakdowns whose categories are the workbench's own (known/new, protection orders)."""
HEADLINE = (
    "dv_cases",
    "dv_reviewed_3wd",
    "dv_days_to_review",
    "dv_days_to_plan",
    "dv_services",
    "street_children",
    "street_contacts",
    "trainings",
    "participants",
    "people_trained",
)
"""The measures of the headline table, in order."""
TRAINING = ("trainings", "sessions", "participants", "people_trained")
"""The rows of the training table, in order."""
TREND_ORDER = (
    *MEASURES,
    "dv_days_to_plan",
    "dv_services",
    "dv_services_2plus",
    "participants",
    "trainings",
    "sessions",
)
"""Columns of the trend table in the workbook, in order."""


# --------------------------------------------------------------------------- labels
def heading(section: str, language: str, level: int = 2, **fields: object) -> Text:
    """``## <section title>`` (``monitoring.sections.<section>``), as Markdown."""
    texts = catalogue(language)
    title = texts[f"monitoring.sections.{section}"]
    needed = {k: v for k, v in fields.items() if "{" + k + "}" in title}
    return Text("#" * level + " " + t(f"monitoring.sections.{section}", language, **needed))


def section_heading(report: MonitoringReport, section: str, language: str) -> str:
    """A section's ``##`` heading, with the report's month and trend length filled in."""
    return heading(
        section,
        language,
        month=month_label(report.period, language),
        months=len(report.windows["year"].months),
    )


def period_headers(report: MonitoringReport, language: str) -> dict[str, str]:
    """Column headers of the three periods: the month, the month before, the last months."""
    return {
        "this": month_label(report.period, language),
        "previous": month_label(report.previous, language),
        "year": t(
            "monitoring.periods.year",
            language,
            months=len(report.windows["year"].months),
            month=month_label(report.period, language),
        ),
    }


def measure_label(measure: str, language: str) -> str:
    """A measure's name (``monitoring.measures.<measure>``)."""
    return t(f"monitoring.measures.{measure}", language)


def category_label(
    report: MonitoringReport, measure: str, variable: str, code: object, language: str
) -> str:
    """A category's text: the special codes from the text files, choices from the form."""
    if code in SPECIAL or variable in OWN_VARIABLES:
        return t(f"monitoring.categories.{code}", language)
    instrument = report.instruments.get(INSTRUMENT_OF.get(measure, ""))
    return choice_label(instrument, variable, code, language)


def month_ticks(months: Sequence[str], language: str, every: int = 3) -> dict[str, str]:
    """Axis labels for every ``every``-th month counted back from the last (``Oct``,
    ``Jul`` ...), with the year under the first label and under January."""
    chosen = list(months)[::-1][::every][::-1]
    out = {}
    for k, month in enumerate(chosen):
        year, number = month.split("-")
        name = MONTHS[language][int(number) - 1][:3]
        name = name[0].upper() + name[1:]
        out[month] = f"{name}\n{year}" if k == 0 or number == "01" else name
    return out


# --------------------------------------------------------------------------- wide tables
def wide(
    report: MonitoringReport,
    table: str,
    measure: str,
    variable: str = "",
    *,
    language: str = "en",
    drop_empty: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One breakdown as rows (categories) by the three periods (columns), raw numbers.

    Parameters
    ----------
    table : str
        A protected table of the report (``dv_cases``, ``street_children`` ...).
    measure, variable : str
        Which rows (``variable=""`` for the measure's total).
    drop_empty : bool
        Leave out categories that are 0 in every period (e.g. units without a case).

    Returns
    -------
    (DataFrame, DataFrame)
        The table: ``category`` (code), ``label`` (text), ``this``, ``previous``, ``year``
        (hidden values missing); and the mask: ``this``, ``previous``, ``year``, True where
        a value is hidden.
    """
    long = report.tables[table]
    part = long[(long["measure"] == measure) & (long["variable"].astype(str) == variable)]
    labels = report.period_labels
    rows, hidden = [], []
    for code in dict.fromkeys(part["category"].astype(str)):
        mine = part[part["category"].astype(str) == code].set_index("period")
        row = {"category": code}
        mask = {"category": False}
        for column in PERIOD_COLUMNS:
            present = labels[column] in mine.index
            row[column] = float(mine.at[labels[column], "estimate"]) if present else np.nan
            mask[column] = present and str(mine.at[labels[column], "suppressed"]) != ""
        rows.append(row)
        hidden.append(mask)
    frame = pd.DataFrame(rows, columns=["category", *PERIOD_COLUMNS])
    mask = pd.DataFrame(hidden, columns=["category", *PERIOD_COLUMNS]).astype(bool)
    if drop_empty and len(frame):
        empty = frame[list(PERIOD_COLUMNS)].fillna(-1).eq(0).all(axis=1)
        empty &= frame["category"] != TOTAL
        frame, mask = frame[~empty], mask[~empty]
    frame.insert(
        1,
        "label",
        [category_label(report, measure, variable, c, language) for c in frame["category"]],
    )
    return frame.reset_index(drop=True), mask[list(PERIOD_COLUMNS)].reset_index(drop=True)


def _show_wide(
    report: MonitoringReport,
    frame: pd.DataFrame,
    first_header: str,
    language: str,
    kind: str = "count",
    digits: int = 0,
    caption: str = "",
) -> HtmlTable:
    spec = ColumnFormat(kind, digits)
    headers = {"label": first_header, **period_headers(report, language)}
    shown = display_table(
        frame,
        language,
        formats={"label": "text", **dict.fromkeys(PERIOD_COLUMNS, spec)},
        columns=["label", *PERIOD_COLUMNS],
        headers=headers,
        namespaces=NAMESPACES,
    )
    return show(shown, caption=caption)


def breakdown(
    report: MonitoringReport, table: str, measure: str, variable: str, language: str
) -> HtmlTable:
    """One breakdown (e.g. DV cases by referral source) for the three periods."""
    frame, _ = wide(
        report, table, measure, variable, language=language, drop_empty=variable == "admin_unit"
    )
    title = t(f"monitoring.breakdowns.{variable}", language)
    return _show_wide(report, frame, title, language)


# --------------------------------------------------------------------------- sections
def headline(report: MonitoringReport, language: str) -> HtmlTable:
    """The month against the month before, for every headline measure."""
    frame = comparison_frame(report, language)
    texts = frame.assign(
        this=[
            value_text(v, m, language) for v, m in zip(frame["this"], frame["measure"], strict=True)
        ],
        previous=[
            value_text(v, m, language)
            for v, m in zip(frame["previous"], frame["measure"], strict=True)
        ],
    )
    columns = ["label", "this", "previous", "change_text"]
    headers = {
        "label": t("monitoring.columns.measure", language),
        "this": month_label(report.period, language),
        "previous": month_label(report.previous, language),
        "change_text": t("monitoring.columns.change", language),
    }
    return _text_table(texts, columns, headers, language)


def _text_table(
    frame: pd.DataFrame, columns: Sequence[str], headers: dict[str, str], language: str
) -> HtmlTable:
    """A table of texts already formatted: the first column left, the others right."""
    shown = display_table(
        frame,
        language,
        formats=dict.fromkeys(columns, "text"),
        columns=list(columns),
        headers=headers,
        namespaces=NAMESPACES,
    )
    for column in list(shown.columns)[1:]:
        shown.attrs["align"][column] = "right"
    return show(shown)


def comparison_frame(report: MonitoringReport, language: str) -> pd.DataFrame:
    """The headline comparison with raw numbers and a change text: ``measure, label, this,
    previous, change, change_pct, change_text, hidden``."""
    table = report.comparison.set_index("measure")
    rows = []
    for measure in HEADLINE:
        if measure not in table.index:
            continue
        row = table.loc[measure]
        rows.append(
            {
                "measure": measure,
                "label": measure_label(measure, language),
                "this": row["estimate"],
                "previous": row["previous"],
                "change": row["change"],
                "change_pct": row["change_pct"],
                "change_text": change_text(measure, row["change"], row["change_pct"], language),
                "hidden": bool(row["hidden"]),
            }
        )
    return pd.DataFrame(rows)


def change_text(measure: str, change: float, relative: float, language: str) -> str:
    """``+6 (+33%)`` for counts, ``−15.1 points`` for shares, ``0`` for no change, ``–`` when
    a value is hidden."""
    if change is None or pd.isna(change):
        return DASH
    kind, digits = KINDS.get(measure, ("count", 0))
    if change == 0:
        return "0"
    sign = "+" if change > 0 else "−"
    if kind == "percent":
        points = format_number(abs(change) * 100, 1, language)
        return f"{sign}{points} " + t("monitoring.say.points", language)
    amount = number_text(abs(change), digits, language)
    if relative is None or pd.isna(relative):
        return f"{sign}{amount}"
    return f"{sign}{amount} ({sign}{format_percent(abs(relative), 0, language)})"


def number_text(value: object, digits: int, language: str) -> str:
    """A number with ``digits`` decimals, or none when it is whole (a median of 3 days)."""
    if value is None or pd.isna(value):
        return DASH
    whole = float(value) == round(float(value))
    return format_number(value, 0 if whole else digits, language)


def value_text(value: object, measure: str, language: str) -> str:
    """A measure's value as text: a percentage, a whole count, or a number."""
    kind, digits = KINDS.get(measure, ("count", 0))
    if kind == "percent":
        return format_percent(value, digits, language)
    return number_text(value, digits, language)


def indicators(report: MonitoringReport, language: str) -> HtmlTable:
    """Logframe indicators: this month, last month, milestone, target, status."""
    frame = indicator_frame(report, language)
    headers = {
        "name": t("monitoring.columns.indicator", language),
        "this": month_label(report.period, language),
        "previous": month_label(report.previous, language),
        "milestone": t("monitoring.columns.milestone", language),
        "target": t("monitoring.columns.target", language),
        "status": t("monitoring.columns.status", language),
    }
    shown = _text_table(frame, list(headers), headers, language)
    shown.display.attrs["align"][headers["status"]] = "left"
    return shown


def indicator_frame(report: MonitoringReport, language: str) -> pd.DataFrame:
    """The indicator table as text cells (values in each indicator's unit)."""
    rows = []
    for row in report.indicators.itertuples(index=False):
        indicator = report.logframe.indicator(row.indicator)
        milestone = unit_value(row.milestone, row.unit, language)
        if row.milestone_date is not None and not pd.isna(row.milestone):
            milestone += f" ({pd.Timestamp(row.milestone_date):%Y-%m-%d})"
        target = unit_value(row.target, row.unit, language)
        if row.target_date is not None and not pd.isna(row.target):
            target += f" ({pd.Timestamp(row.target_date):%Y-%m-%d})"
        rows.append(
            {
                "indicator": row.indicator,
                "name": f"{row.indicator} {indicator.label(language)}",
                "this": unit_value(row.estimate, row.unit, language),
                "previous": unit_value(row.previous, row.unit, language),
                "milestone": milestone,
                "target": target,
                "status": status_text(row.status, language),
            }
        )
    return pd.DataFrame(rows)


def status_text(status: object, language: str) -> str:
    """A status (``on track`` ...) in ``language``; ``–`` when hidden."""
    if status is None or pd.isna(status):
        return DASH
    return t(f"monitoring.status.{str(status).replace(' ', '_')}", language)


def unit_value(value: object, unit: str, language: str) -> str:
    """An indicator's value in its unit: percentages, counts, or one decimal."""
    if unit == "percent":
        return format_percent(value, 0, language)
    if unit == "count":
        return format_number(value, 0, language)
    return format_number(value, 1, language)


def training(report: MonitoringReport, language: str) -> HtmlTable:
    """Trainings, sessions, participants and people trained in the three periods."""
    frame, _ = training_frame(report, language)
    return _show_wide(report, frame, t("monitoring.columns.measure", language), language)


def training_frame(report: MonitoringReport, language: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trainings, sessions, participants and people trained by period, and the hidden mask."""
    parts = [wide(report, "training", m, language=language) for m in TRAINING[:3]]
    trained, mask = wide(report, "people_trained", "people_trained", "sex", language=language)
    total = (trained["category"] == TOTAL).to_numpy()
    parts.append((trained[total], mask[total]))
    frame = pd.concat(
        [
            p.assign(label=measure_label(m, language))
            for (p, _), m in zip(parts, TRAINING, strict=True)
        ],
        ignore_index=True,
    )
    return frame, pd.concat([m for _, m in parts], ignore_index=True)


def dv_response(report: MonitoringReport, language: str) -> HtmlTable:
    """The mechanism's response: days to review and plan, timeliness, services."""
    rows = []
    for measure in KINDS:
        part, _ = wide(report, "dv_timeliness", measure, timeliness_column(report, measure))
        values = part.iloc[0]
        rows.append(
            {
                "label": measure_label(measure, language),
                **{c: value_text(values[c], measure, language) for c in PERIOD_COLUMNS},
            }
        )
    headers = {
        "label": t("monitoring.columns.measure", language),
        **period_headers(report, language),
    }
    return _text_table(pd.DataFrame(rows), list(headers), headers, language)


def timeliness_column(report: MonitoringReport, measure: str) -> str:
    """The derived column a DV statistic is computed from (its ``variable``)."""
    table = report.tables["dv_timeliness"]
    return str(table.loc[table["measure"] == measure, "variable"].iloc[0])


def orders(report: MonitoringReport, language: str) -> HtmlTable:
    """Protection orders requested and issued in the three periods."""
    frame, _ = wide(report, "dv_orders", "dv_orders", "order", language=language)
    return _show_wide(report, frame, t("monitoring.breakdowns.order", language), language)


def trend_figure(report: MonitoringReport, language: str) -> Figure:
    """Small multiples of the headline measures over the last months."""
    trend = report.tables["trend"]
    months = list(report.windows["year"].months)
    part = trend[trend["measure"].isin(MEASURES) & trend["period"].isin(months)].copy()
    titles = {m: t(f"monitoring.short.{m}", language) for m in MEASURES}
    references = {}
    milestone = _milestone(report, "OC2.3")
    if milestone is not None:
        references["dv_reviewed_3wd"] = (
            milestone,
            t("monitoring.say.milestone_line", language),
        )
    return figures.small_multiples(
        part,
        x="period",
        y="estimate",
        panel="measure",
        titles=titles,
        percent=["dv_reviewed_3wd"],
        references=references,
        x_labels=month_ticks(months, language),
        highlight=report.period,
        note=t("monitoring.say.trend_note", language, min_cell_size=report.settings.threshold),
        language=language,
    )


def _milestone(report: MonitoringReport, indicator_id: str) -> float | None:
    rows = report.indicators[report.indicators["indicator"] == indicator_id]
    if rows.empty or pd.isna(rows["milestone"].iloc[0]):
        return None
    return float(rows["milestone"].iloc[0])


def trend_frame(report: MonitoringReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The trend as a wide table of raw numbers, one row per month and one column per
    measure (hidden values missing), and the mask of hidden cells."""
    trend = report.tables["trend"]
    months = list(report.windows["year"].months)
    part = trend[trend["period"].isin(months)]
    measures = [m for m in TREND_ORDER if m in set(part["measure"])]
    values, hidden = {"period": months}, {"period": [False] * len(months)}
    for measure in measures:
        mine = part[part["measure"] == measure].set_index("period").reindex(months)
        values[measure] = mine["estimate"].astype(float).to_numpy()
        hidden[measure] = mine["suppressed"].fillna("").astype(str).ne("").to_numpy()
    return pd.DataFrame(values), pd.DataFrame(hidden)


def data_quality(report: MonitoringReport, language: str) -> HtmlTable:
    """Per register: rows read, accepted and set aside at ingestion; flagged this month."""
    frame = quality_frame(report, language)
    shown = display_table(
        frame,
        language,
        formats={
            "register": "text",
            "rows_read": "count",
            "rows_accepted": "count",
            "rows_quarantined": "count",
            "share_quarantined": ColumnFormat("percent", 1),
            "problems": "text",
            "rows_month": "count",
            "flagged": "count",
        },
        columns=[
            "register",
            "rows_read",
            "rows_accepted",
            "rows_quarantined",
            "share_quarantined",
            "problems",
            "rows_month",
            "flagged",
        ],
        headers={
            "rows_month": t(
                "monitoring.columns.rows_month",
                language,
                month=month_label(report.period, language),
            )
        },
        namespaces=NAMESPACES,
    )
    return show(shown)


def quality_frame(report: MonitoringReport, language: str) -> pd.DataFrame:
    """The data-quality table with raw numbers and the problems in words."""
    summary = report.ingestion.merge(report.flagged, on="table", how="outer")
    problems = report.problems
    texts = []
    for table in summary["table"]:
        mine = problems[(problems["table"] == table) & (problems["count"] > 0)]
        names = translate(mine["code"], "rules", language)
        texts.append("; ".join(f"{n} ({c})" for n, c in zip(names, mine["count"], strict=True)))
    return summary.assign(
        register=[t(f"monitoring.registers.{x}", language) for x in summary["table"]],
        problems=texts,
        rows_month=summary["rows"],
    )
