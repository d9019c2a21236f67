"""The endline report's tables and figure, in the report's language.

Each function takes the :class:`~evaluation.endline.analysis.EndlineReport` and returns what
a notebook cell shows: a display table (:class:`evaluation.report.tables.HtmlTable`, text
cells, numbers right-aligned) or a figure. Headers come from ``endline.columns.*`` (then
``table.*``) in the report text files; numbers are formatted by
:mod:`evaluation.report.tables`. Cells based on fewer than ``min_cell_size`` students are
shown as "–" (counts with secondary suppression, :func:`evaluation.report.donor.protect`).
:func:`sample_counts` gives the panel counts with raw numbers for the donor workbook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.endline.analysis import EndlineReport
from evaluation.endline.labels import (
    arm_label,
    arm_text,
    effect_cell,
    effect_interval,
    estimator_label,
    estimator_short,
    family_label,
    lookup,
    outcome_digits,
    outcome_label,
    p_text,
    say,
    subgroup_label,
)
from evaluation.report import figures
from evaluation.report.donor import TOTAL, protect
from evaluation.report.tables import (
    MISSING,
    HtmlTable,
    format_count,
    format_interval,
    format_number,
    format_percent,
    header,
    show,
)

__all__ = [
    "NAMESPACES",
    "attrition_balance",
    "attrition_rates",
    "bounds",
    "category_label",
    "coefficient_figure",
    "effects",
    "heterogeneity",
    "indicators",
    "ordered_estimators",
    "panel_counts",
    "sample_counts",
    "subgroup_variables",
]

NAMESPACES = ("endline.columns", "table")
"""Where the report's column headers are looked up."""

BASELINE_STATUS = ("followed_up", "not_found", "shared_code", "no_code")
ENDLINE_STATUS = ("followed_up", "new", "shared_code", "no_code")
_SUMMARY = {
    "baseline_status": {
        "followed_up": ("linked",),
        "not_found": ("unmatched_baseline",),
        "shared_code": ("duplicate_baseline", "ambiguous_baseline"),
        "no_code": ("no_code_baseline",),
        TOTAL: ("n_baseline",),
    },
    "endline_status": {
        "followed_up": ("linked",),
        "new": ("unmatched_endline",),
        "shared_code": ("duplicate_endline", "ambiguous_endline"),
        "no_code": ("no_code_endline",),
        TOTAL: ("n_endline",),
    },
}
MISSING_LEVEL = "(missing)"


# --------------------------------------------------------------------------- helpers
def _table(
    report: EndlineReport,
    rows: Sequence[Mapping[str, str]],
    columns: Sequence[str],
    *,
    right: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> HtmlTable:
    """Text rows → a display table with headers in the language."""
    names = {c: header(c, report.language, namespaces=NAMESPACES, headers=headers) for c in columns}
    frame = pd.DataFrame(
        [[row.get(c, MISSING) for c in columns] for row in rows],
        columns=[names[c] for c in columns],
        dtype=object,
    )
    frame.attrs["align"] = {names[c]: ("right" if c in right else "left") for c in columns}
    return show(frame)


def ordered_estimators(report: EndlineReport) -> list[str]:
    """The plan's estimators, the primary one first."""
    return [report.primary, *(e for e in report.plan.estimators if e != report.primary)]


def _small(report: EndlineReport, n: object) -> bool:
    value = pd.to_numeric(pd.Series([n]), errors="coerce").iloc[0]
    return bool(pd.notna(value) and 0 < value < report.min_cell_size)


def _level_ci(report: EndlineReport) -> dict[str, str]:
    level = format_number(100 * report.level, 0, report.language)
    return {"ci": say(report, "columns.ci_level", level=level)}


# --------------------------------------------------------------------------- panel
def sample_counts(report: EndlineReport) -> pd.DataFrame:
    """Students by panel status and arm, and endline respondents by sex and age group.

    Returns
    -------
    DataFrame
        Long counts ``dimension, category, arm, n`` with ``"total"`` rows for the category
        and the arm (the project arm first, totals last), the shape
        :meth:`evaluation.report.donor.DonorWorkbook.add_sample` and
        :func:`evaluation.report.donor.protect` take. Dimensions: ``baseline_status``
        (followed up, not found at endline, shared code, no code), ``endline_status``
        (followed up, new at endline, shared code, no code), and each heterogeneity variable
        among endline respondents (categories in the questionnaire's order, not stated last).
    """
    summary = report.results.panel.summary
    arms = ordered_arms(report)
    records = {TOTAL: summary[summary["by"] == "all"].iloc[0]}
    by_arm = summary[summary["by"] == "arm"].set_index("group")
    records.update({arm: by_arm.loc[arm] for arm in arms if arm in by_arm.index})
    rows = []
    for dimension, categories in _SUMMARY.items():
        for category, columns in categories.items():
            for arm in [*(a for a in arms if a in records), TOTAL]:
                n = int(sum(records[arm][c] for c in columns))
                rows.append({"dimension": dimension, "category": category, "arm": arm, "n": n})
    rows += _respondents_by(report, arms)
    table = pd.DataFrame(rows)
    table["n"] = pd.array(table["n"], dtype="Int64")
    return table


def _respondents_by(report: EndlineReport, arms: Sequence[str]) -> list[dict[str, object]]:
    plan = report.plan
    panel = report.results.panel.panel
    endline = panel[(panel[plan.wave].astype("string") == plan.endline).fillna(False)]
    arm_values = endline[plan.treatment].astype("string").fillna(MISSING_LEVEL)
    rows = []
    for variable in plan.heterogeneity:
        if variable not in endline.columns:
            continue
        column = endline[variable]
        values = column.astype("string").fillna(MISSING_LEVEL)
        counts = pd.crosstab(values, arm_values, margins=True, margins_name=TOTAL)
        for category in _category_order(column, counts.index):
            for arm in [*(a for a in arms if a in counts.columns), TOTAL]:
                rows.append(
                    {
                        "dimension": variable,
                        "category": category,
                        "arm": arm,
                        "n": int(counts.at[category, arm]),
                    }
                )
    return rows


def _category_order(column: pd.Series, present: pd.Index) -> list[str]:
    """Categories in the column's order (a select_one's choice order), else sorted; not
    stated, then the total, last."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        order = [str(c) for c in column.cat.categories]
    else:
        order = sorted(str(v) for v in column.dropna().unique())
    found = [c for c in order if c in present]
    extra = [c for c in present if c not in found and c not in (MISSING_LEVEL, TOTAL)]
    tail = [c for c in (MISSING_LEVEL, TOTAL) if c in present]
    return [*found, *extra, *tail]


def category_label(report: EndlineReport, dimension: str, category: object) -> str:
    """A category of :func:`sample_counts` for readers."""
    if category == TOTAL:
        return say(report, "arms.all")
    if category == MISSING_LEVEL:
        return say(report, "status.not_stated")
    if dimension in _SUMMARY:
        return say(report, f"status.{category}")
    return subgroup_label(report, dimension, category)


def panel_counts(report: EndlineReport, dimension: str = "baseline_status") -> HtmlTable:
    """Baseline (or endline) respondents by panel status, per arm and in total; counts
    under ``min_cell_size`` hidden with secondary suppression."""
    counts = sample_counts(report)
    part = counts[counts["dimension"] == dimension]
    protected = protect(
        part,
        n="n",
        by=["category", "arm"],
        split_by=["dimension"],
        hide=["n"],
        threshold=report.min_cell_size,
    ).table
    present = [str(a) for a in dict.fromkeys(part["arm"]) if a != TOTAL]
    arms = [
        *(a for a in ordered_arms(report) if a in present),
        *(a for a in present if a not in ordered_arms(report)),
        TOTAL,
    ]
    rows = []
    for category in dict.fromkeys(part["category"]):
        row = {"category": category_label(report, dimension, category)}
        for arm in arms:
            value = protected[(protected["category"] == category) & (protected["arm"] == arm)]
            row[f"n_{arm}"] = format_count(value["n"].iloc[0], report.language)
        rows.append(row)
    headers = {f"n_{a}": arm_label(report, "all" if a == TOTAL else a) for a in arms}
    headers["category"] = say(report, f"columns.{dimension}")
    columns = ["category", *(f"n_{a}" for a in arms)]
    return _table(report, rows, columns, right=columns[1:], headers=headers)


def attrition_rates(report: EndlineReport) -> HtmlTable:
    """Attrition by arm and overall (share of baseline students not followed up, with its
    interval), and the difference between the arms."""
    table = report.results.attrition
    rates = table[table["section"] == "rate"]
    order = [*ordered_arms(report), "all"]
    rows = []
    for group in order:
        row = rates[rates["group"].astype(str) == str(group)]
        if row.empty:
            continue
        record = row.iloc[0]
        rows.append(
            {
                "group": arm_label(report, group),
                "n": format_count(record["n"], report.language),
                "rate": format_percent(record["estimate"], 1, report.language),
                "ci": format_interval(
                    record["ci_low"], record["ci_high"], 1, report.language, percent=True
                ),
                "p_value": MISSING,
            }
        )
    gap = table[(table["section"] == "differential") & (table["term"] == "difference")]
    if len(gap):
        record = gap.iloc[0]
        rows.append(
            {
                "group": say(
                    report,
                    "columns.arm_difference",
                    arm=arm_label(report, report.plan.treated_value),
                    other=arm_text(report, _comparison(report)),
                ),
                "n": format_count(record["n"], report.language),
                "rate": format_number(100 * record["estimate"], 1, report.language),
                "ci": format_interval(
                    100 * record["ci_low"], 100 * record["ci_high"], 1, report.language
                ),
                "p_value": p_text(report, record["p_value"]),
            }
        )
    columns = ["group", "n", "rate", "ci", "p_value"]
    headers = {**_level_ci(report), "n": say(report, "columns.n_baseline")}
    return _table(report, rows, columns, right=columns[1:], headers=headers)


def ordered_arms(report: EndlineReport) -> list[str]:
    """The project arm, then the others (as in the attrition table)."""
    arms = [str(a) for a in result_arms(report)]
    treated = report.plan.treated_value
    return [treated, *(a for a in arms if a != treated)] if treated in arms else arms


def result_arms(report: EndlineReport) -> list[object]:
    """Arms of the attrition table (its metadata)."""
    info = report.results.attrition.attrs.get("info")
    return list(getattr(info, "extra", {}).get("arms", []))


def _comparison(report: EndlineReport) -> str:
    others = [a for a in ordered_arms(report) if a != report.plan.treated_value]
    return others[0] if others else ""


def attrition_balance(report: EndlineReport) -> HtmlTable:
    """Did the students lost differ at baseline from those followed up (lost minus followed
    up, in each group of schools), and are the followed-up students of the two groups still
    alike? Differences with their p-values; the means are in the donor workbook."""
    table = report.results.attrition
    plan = report.plan
    arms = ordered_arms(report)
    rows = []
    for outcome in plan.outcomes:
        variable = f"{outcome}_{plan.baseline}"
        row = {"variable": outcome_label(report, outcome)}
        for arm in arms:
            part = table[
                (table["section"] == "attriters_vs_stayers")
                & (table["group"].astype(str) == arm)
                & (table["variable"] == variable)
            ]
            row[f"difference_{arm}"] = _difference_cell(report, outcome, part)
        stayers = table[(table["section"] == "stayers_balance") & (table["variable"] == variable)]
        row["difference_followed"] = _difference_cell(report, outcome, stayers)
        rows.append(row)
    rows.append(_joint_row(report, table, arms))
    columns = ["variable", *(f"difference_{arm}" for arm in arms), "difference_followed"]
    headers = {
        f"difference_{arm}": say(report, "columns.difference_in", arm=arm_label(report, arm))
        for arm in arms
    }
    headers["difference_followed"] = say(
        report,
        "columns.difference_followed",
        arm=arm_label(report, plan.treated_value),
        other=arm_text(report, _comparison(report)),
    )
    return _table(report, rows, columns, right=columns[1:], headers=headers)


def _difference_cell(report: EndlineReport, outcome: str, part: pd.DataFrame) -> str:
    rows = part[part["term"] == "difference"]
    means = part[part["term"] == "mean"]
    if rows.empty or any(_small(report, n) for n in means["n"]):
        return MISSING
    record = rows.iloc[0]
    value = effect_cell(report, outcome, record["estimate"], outcome_digits(report, outcome))
    return say(report, "cell_p", value=value, p=p_text(report, record["p_value"]))


def _joint_row(report: EndlineReport, table: pd.DataFrame, arms: Sequence[str]) -> dict[str, str]:
    row = {"variable": say(report, "columns.joint_test")}
    joint = table[table["term"] == "joint_f_test"]
    for arm in arms:
        test = joint[
            (joint["section"] == "attriters_vs_stayers") & (joint["group"].astype(str) == arm)
        ]
        if len(test):
            row[f"difference_{arm}"] = say(
                report, "cell_joint", p=p_text(report, test.iloc[0]["p_value"])
            )
    stayers = joint[joint["section"] == "stayers_balance"]
    if len(stayers):
        row["difference_followed"] = say(
            report, "cell_joint", p=p_text(report, stayers.iloc[0]["p_value"])
        )
    return row


# --------------------------------------------------------------------------- bounds
def bounds(report: EndlineReport) -> HtmlTable:
    """Lee bounds per outcome beside the panel difference-in-differences estimate."""
    table = report.bounds
    effects = report.results.plot
    rows = []
    for outcome in dict.fromkeys(table["outcome"]):
        part = table[table["outcome"] == outcome].set_index("term")
        digits = outcome_digits(report, outcome)
        estimate = effects[
            (effects["outcome"] == outcome)
            & (effects["estimator"] == "did_panel")
            & (effects["subgroup_var"] == "all")
        ]
        row = {
            "outcome": outcome_label(report, outcome),
            "trimmed": format_percent(part.at["trim_proportion", "estimate"], 1, report.language),
            "lower_bound": effect_cell(report, outcome, part.at["lower_bound", "estimate"], digits),
            "upper_bound": effect_cell(report, outcome, part.at["upper_bound", "estimate"], digits),
            "ci": effect_interval(
                report,
                outcome,
                part.at["effect", "ci_low"],
                part.at["effect", "ci_high"],
                digits,
            ),
        }
        if len(estimate):
            row["did_panel"] = effect_cell(report, outcome, estimate.iloc[0]["estimate"], digits)
        rows.append(row)
    columns = ["outcome", "did_panel", "lower_bound", "upper_bound", "ci", "trimmed"]
    headers = {
        "did_panel": estimator_label(report, "did_panel"),
        "ci": say(
            report,
            "columns.ci_bounds",
            level=format_number(100 * report.level, 0, report.language),
        ),
    }
    return _table(report, rows, columns, right=columns[1:], headers=headers)


# --------------------------------------------------------------------------- effects
def effects(report: EndlineReport, family: str) -> HtmlTable:
    """The effects on every outcome of ``family``, every estimator (primary first): the
    effect in the outcome's units (``pp`` for 0/1 outcomes) with the interval readers should
    see (wild cluster bootstrap where it ran), p-values (bootstrap, adjusted within the
    family, Romano–Wolf), the standardised effect and n. The outcome is named on its first
    row only."""
    plot = _headline(report)
    rows = []
    for outcome in report.plan.families[family]:
        digits = outcome_digits(report, outcome)
        first = True
        for estimator in ordered_estimators(report):
            found = plot[(plot["outcome"] == outcome) & (plot["estimator"] == estimator)]
            if found.empty:
                continue
            record = found.iloc[0]
            rows.append(
                {
                    "outcome": outcome_label(report, outcome) if first else "",
                    "estimator": estimator_short(report, estimator),
                    "effect": effect_cell(report, outcome, record["estimate"], digits),
                    "ci": effect_interval(
                        report, outcome, record["ci_low"], record["ci_high"], digits
                    ),
                    "p_value": p_text(report, record["p_value"]),
                    "p_value_adj": p_text(report, record["p_value_adj"]),
                    "p_value_rw": p_text(report, record["p_value_rw"]),
                    "std_effect": format_number(record["std_estimate"], 2, report.language),
                    "n": format_count(record["n"], report.language),
                }
            )
            first = False
    columns = [
        "outcome",
        "estimator",
        "effect",
        "ci",
        "p_value",
        "p_value_adj",
        "p_value_rw",
        "std_effect",
        "n",
    ]
    headers = {
        **_level_ci(report),
        "p_value_adj": say(report, f"columns.p_adjusted_{report.plan.adjust}"),
    }
    return _table(report, rows, columns, right=columns[2:], headers=headers)


def _headline(report: EndlineReport) -> pd.DataFrame:
    plot = report.results.plot
    return plot[plot["subgroup_var"] == "all"]


def coefficient_figure(report: EndlineReport) -> Figure:
    """Every outcome's standardised effect with its interval, one marker per estimator,
    outcomes grouped by family (:func:`evaluation.report.figures.coefficient_plot`)."""
    plot = _headline(report)
    estimators = ordered_estimators(report)
    rows = []
    for family, outcomes in report.plan.families.items():
        for outcome in outcomes:
            for estimator in estimators:
                found = plot[(plot["outcome"] == outcome) & (plot["estimator"] == estimator)]
                if found.empty:
                    continue
                record = found.iloc[0]
                rows.append(
                    {
                        "section": family_label(report, family),
                        "label": outcome_label(report, outcome),
                        "series": estimator_label(report, estimator),
                        "estimate": record["std_estimate"],
                        "ci_low": record["std_ci_low"],
                        "ci_high": record["std_ci_high"],
                    }
                )
    return figures.coefficient_plot(
        pd.DataFrame(rows),
        label="label",
        series="series",
        section="section",
        title=say(report, "figure.title"),
        xlabel=say(report, "figure.xlabel"),
        zero_label=say(report, "figure.zero"),
        note=say(
            report, "figure.note", level=format_number(100 * report.level, 0, report.language)
        ),
        language=report.language,
    )


# --------------------------------------------------------------------------- heterogeneity
def subgroup_variables(report: EndlineReport) -> list[str]:
    """The heterogeneity variables with estimates for the primary estimator, in order."""
    return list(_subgroup_layout(report))


def heterogeneity(report: EndlineReport, variable: str) -> HtmlTable:
    """The primary estimator's effect in each subgroup of ``variable`` (sex, age group)
    with its interval, and each subgroup's difference from the first with its p-value
    (from the pooled model with interactions; exploratory)."""
    plot, effects_table = report.results.plot, report.effects
    primary = report.primary
    levels = _subgroup_layout(report).get(variable, [])
    columns = ["outcome", *levels, *(f"{level}-{levels[0]}" for level in levels[1:])]
    headers = {level: subgroup_label(report, variable, level) for level in levels}
    for level in levels[1:]:
        headers[f"{level}-{levels[0]}"] = say(
            report,
            "columns.difference_between",
            a=subgroup_label(report, variable, level),
            b=subgroup_label(report, variable, levels[0]),
        )
    rows = []
    for outcome in report.plan.outcomes:
        digits = outcome_digits(report, outcome)
        row = {"outcome": outcome_label(report, outcome)}
        for level in levels:
            found = plot[
                (plot["outcome"] == outcome)
                & (plot["estimator"] == primary)
                & (plot["subgroup_var"] == variable)
                & (plot["subgroup"] == level)
            ]
            if len(found) and not _small(report, found.iloc[0]["n"]):
                record = found.iloc[0]
                effect = effect_cell(report, outcome, record["estimate"], digits)
                interval = effect_interval(
                    report, outcome, record["ci_low"], record["ci_high"], digits
                )
                row[level] = f"{effect} {interval}"
        for level in levels[1:]:
            found = effects_table[
                (effects_table["outcome"] == outcome)
                & (effects_table["estimator"] == primary)
                & (effects_table["subgroup_var"] == variable)
                & (effects_table["term"] == "difference")
                & (effects_table["subgroup"] == f"{level} - {levels[0]}")
            ]
            if len(found):
                record = found.iloc[0]
                row[f"{level}-{levels[0]}"] = say(
                    report,
                    "cell_p",
                    value=effect_cell(report, outcome, record["estimate"], digits),
                    p=p_text(report, record["p_value"]),
                )
        rows.append(row)
    return _table(report, rows, columns, right=columns[1:], headers=headers)


def _subgroup_layout(report: EndlineReport) -> dict[str, list[str]]:
    """Subgroup levels estimated for the primary estimator, per variable, in order."""
    plot = report.results.plot
    rows = plot[(plot["estimator"] == report.primary) & (plot["subgroup_var"] != "all")]
    layout: dict[str, list[str]] = {}
    for variable in report.plan.heterogeneity:
        levels = list(dict.fromkeys(rows.loc[rows["subgroup_var"] == variable, "subgroup"]))
        if levels:
            layout[variable] = [str(v) for v in levels]
    return layout


# --------------------------------------------------------------------------- indicators
def indicator_rows(report: EndlineReport) -> pd.DataFrame:
    """The logframe table's impact and outcome indicators that the workbench computes."""
    itt = report.itt
    chosen = itt["level"].isin(["impact", "outcome"]) & (itt["status"] != "not collected")
    return itt[chosen].reset_index(drop=True)


def indicators(report: EndlineReport) -> HtmlTable:
    """Impact and outcome indicators: baseline, target, the latest value with its interval,
    the share of the planned change achieved and the status (hidden under
    ``min_cell_size`` respondents)."""
    rows = []
    for record in indicator_rows(report).itertuples(index=False):
        small = _small(report, record.n)
        value = _indicator_value(report, record.unit)
        rows.append(
            {
                "id": record.id,
                "indicator": record.indicator,
                "baseline": value(record.baseline),
                "target": value(record.target),
                "actual": MISSING if small else value(record.actual),
                "ci": MISSING
                if small
                else _indicator_interval(report, record.unit, record.ci_low, record.ci_high),
                "period": _period_text(report, record.period),
                "pct_of_target": MISSING
                if small
                else format_percent(record.pct_of_target, 0, report.language),
                "status": MISSING if small else _status_text(report, record.status),
            }
        )
    columns = [
        "id",
        "indicator",
        "baseline",
        "target",
        "actual",
        "ci",
        "period",
        "pct_of_target",
        "status",
    ]
    right = ["baseline", "target", "actual", "ci", "pct_of_target"]
    return _table(report, rows, columns, right=right, headers=_level_ci(report))


def _indicator_value(report: EndlineReport, unit: str):
    if unit == "percent":
        return lambda v: format_percent(v, 1, report.language)
    if unit == "count":
        return lambda v: format_count(v, report.language)
    return lambda v: format_number(v, 1, report.language)


def _indicator_interval(report: EndlineReport, unit: str, low: object, high: object) -> str:
    percent = unit == "percent"
    return format_interval(low, high, 1, report.language, percent=percent)


def _period_text(report: EndlineReport, period: object) -> str:
    if period is None or (isinstance(period, float) and np.isnan(period)) or period is pd.NA:
        return MISSING
    found = lookup(report, f"periods.{period}")
    return found or str(period)


def _status_text(report: EndlineReport, status: object) -> str:
    code = str(status).replace(" ", "_")
    return lookup(report, f"status.{code}") or str(status)
