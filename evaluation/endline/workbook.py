"""The endline's donor workbook, written through :class:`evaluation.report.donor.DonorWorkbook`.

Sheets: About (first), Logframe and Headline indicators (every logframe indicator against
baseline, milestone and target), Impact (the effect on every outcome by every estimator),
Impact by subgroup (the primary estimator by sex and age group, exploratory), Attrition
(rates by group of schools and their difference), Attrition balance (baseline outcomes of
the students lost and followed up), Balance (the followed-up students of the two groups
compared), Lee bounds (when shown) and Sample (students by panel status, sex and age group).

The donor workbook hides every number based on fewer than ``min_cell_size`` students (with
secondary suppression where a table has totals), refuses personal fields and neutralises
formulas; this module only chooses the tables, their order and their labels, in the report's
language. Effects stay in the estimators' units: differences in proportions for yes/no
outcomes (0.010 = 1 percentage point), score points otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation.endline.analysis import EndlineReport
from evaluation.endline.labels import (
    arm_label,
    arm_text,
    estimator_label,
    family_label,
    outcome_label,
    say,
    subgroup_label,
)
from evaluation.endline.present import category_label, ordered_arms, ordered_estimators
from evaluation.endline.present import sample_counts as panel_sample_counts
from evaluation.report.donor import TOTAL, DonorWorkbook
from evaluation.report.labels import catalogue

__all__ = [
    "attrition_balance_table",
    "attrition_table",
    "bounds_table",
    "headline_effects",
    "subgroup_effects",
    "write_donor_workbook",
]

NAMESPACES = ("endline.columns", "donor.columns", "table")
"""Where the endline's own sheets look up their headers."""

DIFFERENCE = "difference"
_HEADLINE_COLUMNS = (
    "family", "outcome", "estimator", "estimate", "ci_low_wcb", "ci_high_wcb", "p_value_wcb",
    "p_value_adj", "p_value_rw", "ci_low", "ci_high", "p_value", "std_effect", "n",
)  # fmt: skip
_SUBGROUP_COLUMNS = (
    "outcome", "subgroup_var", "subgroup", "term", "estimate", "ci_low_wcb", "ci_high_wcb",
    "p_value_wcb", "ci_low", "ci_high", "p_value", "std_effect", "n",
)  # fmt: skip


def write_donor_workbook(
    report: EndlineReport, run: Any, name: str = "donor_workbook.xlsx"
) -> Path:
    """Write the endline's donor workbook to ``run.output_path(name)``; return the path.

    Parameters
    ----------
    report : EndlineReport
        From :func:`evaluation.endline.analysis.analyse`.
    run : NotebookRun
        The notebook's run: language, run id, ``min_cell_size``, method notes and recorded
        inputs (listed on the About sheet).
    name : str
        File name; the language goes before the suffix (``donor_workbook.sq.xlsx``).
    """
    book = DonorWorkbook.for_run(run, instruments=[report.instrument])
    book.add_logframe(report.itt, margin=report.logframe.status_rule.margin)
    _add_impact(book, report)
    _add_attrition(book, report)
    if report.bounds_shown and len(report.bounds):
        _add_bounds(book, report)
    book.add_sample(
        panel_sample_counts(report),
        title=say(report, "workbook.sample_title"),
        labels=_sample_labels(report),
    )
    return book.save(run.output_path(name))


# --------------------------------------------------------------------------- impact
def headline_effects(report: EndlineReport) -> pd.DataFrame:
    """The headline rows of the effects (all students), family by family, outcome by
    outcome, the primary estimator first: the columns the Impact sheet shows."""
    effects = report.effects
    rows = effects[(effects["subgroup_var"] == "all") & (effects["term"] == "effect")]
    return _ordered(report, rows)[list(_HEADLINE_COLUMNS)]


def subgroup_effects(report: EndlineReport) -> pd.DataFrame:
    """The primary estimator's subgroup rows: each subgroup's effect and each difference
    between subgroups, outcome by outcome."""
    effects = report.effects
    rows = effects[(effects["subgroup_var"] != "all") & (effects["estimator"] == report.primary)]
    return _ordered(report, rows)[list(_SUBGROUP_COLUMNS)]


def _ordered(report: EndlineReport, rows: pd.DataFrame) -> pd.DataFrame:
    outcomes = {y: k for k, y in enumerate(report.plan.outcomes)}
    estimators = {e: k for k, e in enumerate(ordered_estimators(report))}
    keys = pd.DataFrame(
        {
            "outcome": rows["outcome"].map(outcomes).to_numpy(),
            "estimator": rows["estimator"].map(estimators).to_numpy(),
            "position": np.arange(len(rows)),
        }
    )
    order = keys.sort_values(["outcome", "estimator", "position"], kind="stable").index
    return rows.iloc[order.to_numpy()].reset_index(drop=True)


def _add_impact(book: DonorWorkbook, report: EndlineReport) -> None:
    labels = _impact_labels(report)
    book.add_impact(
        headline_effects(report),
        columns=list(_HEADLINE_COLUMNS),
        title=say(report, "workbook.impact_title"),
        notes=[say(report, "workbook.impact_note", schools=_schools(report))],
        labels=labels,
    )
    subgroups = subgroup_effects(report)
    if len(subgroups):
        book.add_impact(
            subgroups,
            columns=list(_SUBGROUP_COLUMNS),
            sheet=say(report, "workbook.subgroups"),
            title=say(
                report,
                "workbook.subgroups_title",
                estimator=estimator_label(report, report.primary),
            ),
            labels=labels,
        )


def _impact_labels(report: EndlineReport) -> dict[str, dict[object, str]]:
    plan = report.plan
    subgroups: dict[object, str] = {"all": say(report, "arms.all")}
    pairs = report.effects[["subgroup_var", "subgroup"]].drop_duplicates()
    for variable, value in pairs.itertuples(index=False):
        if variable == "all":
            continue
        if " - " in str(value):
            a, b = str(value).split(" - ", 1)
            subgroups[value] = say(
                report,
                "columns.difference_between",
                a=subgroup_label(report, variable, a),
                b=subgroup_label(report, variable, b),
            )
        else:
            subgroups[value] = subgroup_label(report, variable, value)
    texts = catalogue(report.language)
    return {
        "family": {f: family_label(report, f) for f in plan.families},
        "outcome": {y: outcome_label(report, y) for y in plan.outcomes},
        "estimator": {e: estimator_label(report, e) for e in plan.estimators},
        "subgroup_var": {
            v: texts[f"endline.subgroup_vars.{v}"]
            for v in ("all", *plan.heterogeneity)
            if f"endline.subgroup_vars.{v}" in texts
        },
        "subgroup": subgroups,
        "term": {
            "effect": say(report, "terms.effect"),
            "difference": say(report, "terms.subgroup_difference"),
        },
    }


# --------------------------------------------------------------------------- attrition
def attrition_table(report: EndlineReport) -> pd.DataFrame:
    """Attrition rate of each group of schools (project first) and of all, and the
    difference between the groups: ``group, term, estimate, ci_low, ci_high, p_value, n``
    (shares 0-1; the p-value only for the difference, where it tests equal rates)."""
    table = report.results.attrition
    rates = table[table["section"] == "rate"].copy()
    rates["group"] = rates["group"].astype(str)
    order = {g: k for k, g in enumerate([*ordered_arms(report), "all"])}
    rates = rates.iloc[np.argsort(rates["group"].map(order).fillna(99).to_numpy(), kind="stable")]
    rates["term"] = "rate"
    rates["p_value"] = np.nan  # a rate's test against 0 says nothing here
    gap = table[(table["section"] == "differential") & (table["term"] == "difference")].copy()
    gap["group"] = DIFFERENCE
    gap["term"] = DIFFERENCE
    columns = ["group", "term", "estimate", "ci_low", "ci_high", "p_value", "n"]
    return pd.concat([rates[columns], gap[columns]], ignore_index=True)


def attrition_balance_table(report: EndlineReport) -> pd.DataFrame:
    """Baseline outcomes of the students lost and followed up, one row per group of
    schools (project first) and outcome: ``arm, variable, mean_lost, mean_followed,
    lost_minus_followed, ci_low, ci_high, p_value, std_diff, n_lost, n_followed, n_min``.

    ``n_min`` drives the suppression: a small group of lost students hides the whole row,
    since the difference and the other mean would give its mean away.
    """
    table = report.results.attrition
    part = table[table["section"] == "attriters_vs_stayers"]
    labels = _baseline_labels(report)
    rows = []
    for arm in ordered_arms(report):
        for variable in labels:
            block = part[(part["group"].astype(str) == arm) & (part["variable"] == variable)]
            row = _lost_followed_row(block, arm, labels[variable])
            if row is not None:
                rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("n_lost", "n_followed", "n_min"):
        if column in frame:
            frame[column] = pd.array(pd.to_numeric(frame[column]), dtype="Int64")
    return frame


def _lost_followed_row(block: pd.DataFrame, arm: str, label: str) -> dict[str, object] | None:
    means = block[block["term"] == "mean"]
    means = means.set_index(means["arm"].astype(str))
    difference = block[block["term"] == "difference"]
    if "attrited" not in means.index or "stayed" not in means.index or difference.empty:
        return None
    diff = difference.iloc[0]
    n_lost, n_followed = means.at["attrited", "n"], means.at["stayed", "n"]
    return {
        "arm": arm,
        "variable": label,
        "mean_lost": means.at["attrited", "estimate"],
        "mean_followed": means.at["stayed", "estimate"],
        "lost_minus_followed": diff["estimate"],
        "ci_low": diff["ci_low"],
        "ci_high": diff["ci_high"],
        "p_value": diff["p_value"],
        "std_diff": diff.get("std_diff", np.nan),
        "n_lost": n_lost,
        "n_followed": n_followed,
        "n_min": min(n_lost, n_followed),
    }


def _add_attrition(book: DonorWorkbook, report: EndlineReport) -> None:
    arms = _arm_labels(report)
    difference = say(
        report,
        "columns.arm_difference",
        arm=arm_label(report, report.plan.treated_value),
        other=arm_text(report, _comparison(report)),
    )
    book.add_table(
        say(report, "workbook.attrition"),
        attrition_table(report),
        title=say(report, "workbook.attrition_title"),
        formats={
            "estimate": "percent",
            "ci_low": "percent",
            "ci_high": "percent",
            "p_value": "p_value",
        },
        labels={
            "group": {**arms, "all": say(report, "arms.all"), DIFFERENCE: difference},
            "term": {
                "rate": say(report, "terms.rate"),
                DIFFERENCE: say(report, "terms.difference"),
            },
        },
        namespaces=NAMESPACES,
    )
    balance = attrition_balance_table(report)
    if len(balance):
        book.add_table(
            say(report, "workbook.attrition_balance"),
            balance,
            title=say(report, "workbook.attrition_balance_title"),
            n="n_min",
            columns=[c for c in balance.columns if c != "n_min"],
            keep=["arm", "variable"],
            formats={"p_value": "p_value", "n_lost": "count", "n_followed": "count"},
            labels={"arm": arms},
            namespaces=NAMESPACES,
        )
    attrition = report.results.attrition
    stayers = attrition[attrition["section"] == "stayers_balance"]
    if len(stayers):
        book.add_balance(
            stayers,
            title=say(report, "workbook.balance_title"),
            labels={"arm": arms, "variable": _baseline_labels(report)},
        )


# --------------------------------------------------------------------------- bounds
def bounds_table(report: EndlineReport) -> pd.DataFrame:
    """Lee bounds, one row per outcome: ``family, outcome, observed_difference,
    lower_bound, upper_bound, ci_low, ci_high`` (Imbens–Manski interval for the effect),
    ``trim_proportion, trimmed_arm, response_treated, response_comparison, n``."""
    rows = []
    for (family, outcome), block in report.bounds.groupby(["family", "outcome"], sort=False):
        terms = block.set_index("term")
        rows.append(
            {
                "family": family,
                "outcome": outcome,
                "observed_difference": terms.at["observed_difference", "estimate"],
                "lower_bound": terms.at["lower_bound", "estimate"],
                "upper_bound": terms.at["upper_bound", "estimate"],
                "ci_low": terms.at["effect", "ci_low"],
                "ci_high": terms.at["effect", "ci_high"],
                "trim_proportion": terms.at["trim_proportion", "estimate"],
                "trimmed_arm": terms.at["trim_proportion", "trimmed_arm"],
                "response_treated": terms.at["trim_proportion", "response_treated"],
                "response_comparison": terms.at["trim_proportion", "response_comparison"],
                "n": terms.at["lower_bound", "n"],
            }
        )
    frame = pd.DataFrame(rows)
    frame["n"] = pd.array(pd.to_numeric(frame["n"]), dtype="Int64")
    return frame


def _add_bounds(book: DonorWorkbook, report: EndlineReport) -> None:
    comparison = _comparison(report)
    level = f"{100 * report.level:.0f}"
    book.add_table(
        say(report, "workbook.bounds"),
        bounds_table(report),
        title=say(report, "workbook.bounds_title"),
        notes=[say(report, "notes.bounds")],
        keep=["family", "outcome"],
        formats={
            "observed_difference": "0.000",
            "lower_bound": "0.000",
            "upper_bound": "0.000",
            "ci_low": "0.000",
            "ci_high": "0.000",
            "trim_proportion": "percent",
            "response_treated": "percent",
            "response_comparison": "percent",
        },
        labels={
            "family": {f: family_label(report, f) for f in report.plan.families},
            "outcome": {y: outcome_label(report, y) for y in report.plan.outcomes},
            "trimmed_arm": {
                "treatment": arm_label(report, report.plan.treated_value),
                "comparison": arm_label(report, comparison),
            },
        },
        headers={
            "ci_low": f"{say(report, 'columns.ci_bounds', level=level)}: {_donor('ci_low', report)}",
            "ci_high": f"{say(report, 'columns.ci_bounds', level=level)}: {_donor('ci_high', report)}",
            "trim_proportion": say(report, "columns.trimmed"),
            "response_treated": say(
                report, "columns.response_rate", arm=arm_label(report, report.plan.treated_value)
            ),
            "response_comparison": say(
                report, "columns.response_rate", arm=arm_label(report, comparison)
            ),
        },
        namespaces=NAMESPACES,
    )


# --------------------------------------------------------------------------- labels
def _schools(report: EndlineReport) -> str:
    from evaluation.report.tables import format_count

    clusters = report.effects["n_clusters"].max()
    return format_count(clusters, report.language)


def _donor(column: str, report: EndlineReport) -> str:
    return catalogue(report.language).get(f"donor.columns.{column}", column)


def _arm_labels(report: EndlineReport) -> dict[str, str]:
    return {a: arm_label(report, a) for a in ordered_arms(report)}


def _comparison(report: EndlineReport) -> str:
    others = [a for a in ordered_arms(report) if a != report.plan.treated_value]
    return others[0] if others else ""


def _baseline_labels(report: EndlineReport) -> dict[str, str]:
    plan = report.plan
    return {f"{y}_{plan.baseline}": outcome_label(report, y) for y in plan.outcomes}


def _sample_labels(report: EndlineReport) -> dict[str, dict[object, str]]:
    counts = panel_sample_counts(report)
    texts = catalogue(report.language)
    dimensions = {
        d: texts[f"endline.dimensions.{d}"]
        for d in dict.fromkeys(counts["dimension"])
        if f"endline.dimensions.{d}" in texts
    }
    pairs = counts[["dimension", "category"]].drop_duplicates()
    categories = {c: category_label(report, d, c) for d, c in pairs.itertuples(index=False)}
    arms = {**_arm_labels(report), TOTAL: say(report, "arms.all")}
    return {"dimension": dimensions, "category": categories, "arm": arms}
