"""The monitoring report's sentences, in the report's language, from protected numbers only.

:func:`summary_lines` and :func:`attention` are the one-page summary at the top of the
report and the lines of the e-mail a project manager receives
(:func:`evaluation.schedule.summary.write_summary`); the other functions are the sentences
under each section. A hidden value is said as "not shown (small numbers)", never as a
number. The wording is in ``monitoring.say.*`` of the report text files.
"""

from __future__ import annotations

import math

import pandas as pd

from evaluation.monitoring.periods import month_label
from evaluation.monitoring.present import KINDS, number_text, status_text, unit_value
from evaluation.monitoring.report import STREET_TABLE, TABLES, MonitoringReport
from evaluation.quality.narrative import Text
from evaluation.report.labels import t
from evaluation.report.tables import choice_label, format_count, format_percent

CHANGE_MEASURES = (
    "dv_cases",
    "street_children",
    "street_contacts",
    "participants",
    "people_trained",
)
"""Counts whose large month-on-month changes need attention."""


def _say(language: str, key: str, **fields: object) -> str:
    return t(f"monitoring.say.{key}", language, **fields)


def value_text(value: object, measure: str, language: str) -> str:
    """A number in words for a sentence: formatted by the measure's kind, or "not shown"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return _say(language, "hidden")
    kind, digits = KINDS.get(measure, ("count", 0))
    if kind == "percent":
        return format_percent(value, digits, language)
    if kind == "count":
        return format_count(value, language)
    return number_text(value, digits, language)


def _row(report: MonitoringReport, measure: str) -> pd.Series | None:
    table = report.comparison
    rows = table[table["measure"] == measure]
    return rows.iloc[0] if len(rows) else None


def _pair(report: MonitoringReport, measure: str, language: str) -> dict[str, str]:
    row = _row(report, measure)
    this = row["estimate"] if row is not None else math.nan
    before = row["previous"] if row is not None else math.nan
    return {
        "this": value_text(this, measure, language),
        "previous": value_text(before, measure, language),
        "month": month_label(report.period, language),
        "previous_month": month_label(report.previous, language),
    }


# --------------------------------------------------------------------------- summary
def summary_lines(report: MonitoringReport, language: str) -> list[str]:
    """The few numbers of the month against the month before (plain text, one per line)."""
    lines = [_say(language, f"lines.{m}", **_pair(report, m, language)) for m in (
        "dv_cases", "dv_reviewed_3wd", "dv_days_to_review", "street_children",
        "street_contacts",
    )]  # fmt: skip
    trained = _pair(report, "people_trained", language)
    progress = _indicator(report, "OP2.1")
    if progress is not None and not pd.isna(progress["estimate"]):
        lines.append(
            _say(
                language,
                "lines.people_trained_total",
                **trained,
                total=format_count(progress["estimate"], language),
            )
        )
    else:
        lines.append(_say(language, "lines.people_trained", **trained))
    return lines


def attention(report: MonitoringReport, language: str) -> list[str]:
    """What needs the manager's attention: indicators off track or at risk, large changes,
    rows set aside at ingestion, registers that may be incomplete for the month."""
    items = [*_off_track(report, language), *_changes(report, language)]
    items += _incomplete(report, language)
    if report.without_id:
        items.append(
            _say(language, "attention.without_id", count=format_count(report.without_id, language))
        )
    set_aside = int(report.ingestion["rows_quarantined"].sum()) if len(report.ingestion) else 0
    if set_aside:
        items.append(
            _say(
                language,
                "attention.set_aside",
                count=format_count(set_aside, language),
                read=format_count(int(report.ingestion["rows_read"].sum()), language),
            )
        )
    return items


def _indicator(report: MonitoringReport, indicator_id: str) -> pd.Series | None:
    rows = report.indicators[report.indicators["indicator"] == indicator_id]
    return rows.iloc[0] if len(rows) else None


def _off_track(report: MonitoringReport, language: str) -> list[str]:
    items = []
    for row in report.indicators.itertuples(index=False):
        if pd.isna(row.status) or row.status not in ("off track", "at risk"):
            continue
        indicator = report.logframe.indicator(row.indicator)
        items.append(
            _say(
                language,
                "attention.indicator",
                id=row.indicator,
                name=indicator.label(language),
                status=status_text(row.status, language).lower(),
                value=unit_value(row.estimate, row.unit, language),
                month=month_label(report.period, language),
                milestone=unit_value(row.milestone, row.unit, language),
            )
        )
    return items


def _changes(report: MonitoringReport, language: str) -> list[str]:
    items = []
    threshold = report.settings.change_alert
    for measure in CHANGE_MEASURES:
        row = _row(report, measure)
        if row is None or bool(row["hidden"]) or pd.isna(row["change_pct"]):
            continue
        if abs(float(row["change_pct"])) < threshold:
            continue
        key = "attention.rise" if row["change"] > 0 else "attention.fall"
        items.append(
            _say(
                language,
                key,
                measure=t(f"monitoring.measures.{measure}", language),
                percent=format_percent(abs(float(row["change_pct"])), 0, language),
                **_pair(report, measure, language),
            )
        )
    return items


def _incomplete(report: MonitoringReport, language: str) -> list[str]:
    end = pd.Period(report.period, freq="M").end_time.normalize()
    items = []
    for table in TABLES:
        if table == "training_attendance":
            continue  # trainings are not held every month: no sessions is not a gap
        last = report.last_dates.get(table)
        if last is None or pd.isna(last):
            continue
        if (end - last).days > report.settings.incomplete_days:
            items.append(
                _say(
                    language,
                    "attention.incomplete",
                    register=t(f"monitoring.registers_in.{table}", language),
                    date=f"{last:%Y-%m-%d}",
                    month=month_label(report.period, language),
                )
            )
    return items


# --------------------------------------------------------------------------- sections
def overview(report: MonitoringReport, language: str) -> Text:
    """What the report covers and how to read it."""
    return Text(
        _say(
            language,
            "overview",
            month=month_label(report.period, language),
            previous_month=month_label(report.previous, language),
            months=len(report.windows["year"].months),
            min_cell_size=report.settings.threshold,
        )
    )


def bullets(lines: list[str], heading_key: str | None = None, language: str = "en") -> Text:
    """Lines as a Markdown list, under a bold heading when given."""
    head = f"**{_say(language, heading_key)}**\n\n" if heading_key else ""
    if not lines:
        return Text(head + _say(language, "nothing"))
    return Text(head + "\n".join(f"- {line}" for line in lines))


def milestones(report: MonitoringReport, language: str) -> Text:
    """How many indicators are on track, at risk and off track (and which are cumulative)."""
    status = report.indicators["status"].astype("string")
    cumulative = report.indicators.loc[report.indicators["cumulative"].astype(bool), "indicator"]
    extra = (
        " " + _say(language, "cumulative_note", ids=", ".join(cumulative))
        if len(cumulative)
        else ""
    )
    return Text(
        _say(
            language,
            "milestones",
            month=month_label(report.period, language),
            on=format_count(int(status.eq("on track").sum()), language),
            risk=format_count(int(status.eq("at risk").sum()), language),
            off=format_count(int(status.eq("off track").sum()), language),
            hidden=format_count(
                int(report.indicators["suppressed"].str.contains("this:").sum()), language
            ),
        )
        + extra
    )


def training(report: MonitoringReport, language: str) -> Text:
    """The month's trainings in one sentence."""
    fields = {
        "trainings": value_text(_row(report, "trainings")["estimate"], "trainings", language),
        "sessions": value_text(_row(report, "sessions")["estimate"], "sessions", language),
        "participants": value_text(
            _row(report, "participants")["estimate"], "participants", language
        ),
        "trained": value_text(
            _row(report, "people_trained")["estimate"], "people_trained", language
        ),
        "month": month_label(report.period, language),
    }
    return Text(_say(language, "training", **fields))


def youth(report: MonitoringReport, language: str) -> Text:
    """Young people reached: what the data supports (not collected by the workbench)."""
    indicator = report.logframe.indicator("OP1.1")
    milestone = indicator.milestones[-1] if indicator.milestones else None
    return Text(
        _say(
            language,
            "youth",
            milestone=format_count(milestone.value, language) if milestone else "–",
            milestone_date=f"{milestone.date:%Y-%m-%d}" if milestone else "–",
            target=format_count(indicator.target.value, language) if indicator.target else "–",
            target_date=f"{indicator.target.date:%Y-%m-%d}" if indicator.target else "–",
        )
    )


def dv(report: MonitoringReport, language: str) -> Text:
    """Cases, timeliness and review time of the month."""
    cases = _pair(report, "dv_cases", language)
    timely = _pair(report, "dv_reviewed_3wd", language)
    days = _pair(report, "dv_days_to_review", language)
    return Text(
        _say(
            language,
            "dv",
            cases=cases["this"],
            previous=cases["previous"],
            share=timely["this"],
            days=days["this"],
            month=cases["month"],
            previous_month=cases["previous_month"],
        )
    )


def street(report: MonitoringReport, language: str) -> Text:
    """Contacts and children counted in the month."""
    contacts = _pair(report, "street_contacts", language)
    children = _pair(report, "street_children", language)
    return Text(
        _say(
            language,
            "street",
            contacts=contacts["this"],
            children=children["this"],
            previous=children["previous"],
            month=contacts["month"],
            previous_month=contacts["previous_month"],
        )
    )


def counting_rule(report: MonitoringReport, language: str) -> str:
    """The street counting rule in words (a method note)."""
    rule = report.settings.rule
    instrument = report.instruments.get(STREET_TABLE)
    rounds = " / ".join(
        choice_label(instrument, rule.round_column, r, language) for r in rule.rounds
    )
    return _say(language, "counting_rule", rounds=rounds, hotspots=rule.hotspots)


def merged_units(report: MonitoringReport, language: str) -> list[str]:
    """Which units were merged into "Other rural units" (method notes)."""
    out = []
    for table, units in report.merged_units.items():
        if units:
            instrument = report.instruments.get(table)
            names = ", ".join(choice_label(instrument, "admin_unit", u, language) for u in units)
            out.append(
                _say(
                    language,
                    "merged_units",
                    register=t(f"monitoring.registers_in.{table}", language),
                    units=names,
                    min_cell_size=report.settings.threshold,
                )
            )
    return out


def quality(report: MonitoringReport, language: str) -> Text:
    """Rows set aside at the latest ingestion, and rows flagged in the month."""
    summary = report.ingestion
    return Text(
        _say(
            language,
            "quality",
            date=report.ingested[:10] or "–",
            set_aside=format_count(int(summary["rows_quarantined"].sum()), language),
            read=format_count(int(summary["rows_read"].sum()), language),
            flagged=format_count(int(report.flagged["flagged"].sum()), language),
            month=month_label(report.period, language),
        )
    )


def workbook(path: object, language: str) -> Text:
    """Where the workbook is (its file name only: paths hold the run id)."""
    from pathlib import Path

    if path is None:
        return Text(_say(language, "no_workbook"))
    return Text(_say(language, "workbook", file=Path(str(path)).name))


def add_notes(run: object, report: MonitoringReport) -> None:
    """Add the report's method notes to the run (HTML footer, manifest, workbook About)."""
    for text in notes(report, run.language):  # type: ignore[attr-defined]
        run.note(text)  # type: ignore[attr-defined]


def notes(report: MonitoringReport, language: str) -> list[str]:
    """The report's method notes, in ``language``."""
    return [
        _say(language, "note_periods"),
        counting_rule(report, language),
        *merged_units(report, language),
        _say(language, "note_suppression", min_cell_size=report.settings.threshold),
    ]
