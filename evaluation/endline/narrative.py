"""The endline report's sentences, computed from the analysis, in the report's language.

Each function returns a :class:`Text`, Markdown that a notebook shows as such. The wording
is in ``endline.*`` of the report text files; numbers are formatted by
:mod:`evaluation.report.tables`; notebooks never hard-code prose. An effect is called
clear when its family-adjusted p-value is below ``1 - level`` (0.05) and its interval
excludes zero; whether a change is an improvement follows the direction of the logframe
indicator the outcome measures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from evaluation.endline.analysis import EndlineReport
from evaluation.endline.labels import (
    arm_text,
    effect_interval,
    effect_text,
    estimator_label,
    estimator_short,
    family_label,
    lookup,
    outcome_digits,
    outcome_label,
    p_text,
    say,
    subgroup_label,
    unit_label,
)
from evaluation.endline.present import indicator_rows, ordered_arms, ordered_estimators
from evaluation.report.tables import format_count, format_number, format_percent

__all__ = [
    "Text",
    "attrition",
    "bounds",
    "effects",
    "effects_intro",
    "family_heading",
    "heading",
    "heterogeneity",
    "indicators",
    "method_notes",
    "note_methods",
    "overview",
    "panel",
    "plot",
    "subgroup_heading",
    "workbook",
]


class Text(str):
    """A paragraph (or heading) of Markdown that notebooks render as such."""

    def _repr_markdown_(self) -> str:
        return str(self)


def heading(report: EndlineReport, section: str, level: int = 2) -> Text:
    """``## <section title>`` in the report's language (``endline.sections.<section>``)."""
    return Text("#" * level + " " + say(report, f"sections.{section}"))


def family_heading(report: EndlineReport, family: str) -> Text:
    """``### <family name>``."""
    return Text("### " + family_label(report, family))


def _count(report: EndlineReport, value: object) -> str:
    return format_count(value, report.language)


def _percent(report: EndlineReport, value: object) -> str:
    return format_percent(value, 1, report.language)


def _level(report: EndlineReport) -> str:
    return format_number(100 * report.level, 0, report.language)


def _join(items: Iterable[str]) -> str:
    return "; ".join(items)


def _summary_row(report: EndlineReport, by: str, group: str) -> pd.Series:
    summary = report.results.panel.summary
    return summary[(summary["by"] == by) & (summary["group"] == group)].iloc[0]


# --------------------------------------------------------------------------- sections
def overview(report: EndlineReport) -> Text:
    """What the report estimates, on which students and schools."""
    total = _summary_row(report, "all", "all")
    effects = report.effects
    headline = effects[(effects["subgroup_var"] == "all") & (effects["term"] == "effect")]
    clusters = int(headline["n_clusters"].max())
    treated = int(headline["n_treated_clusters"].max())
    return Text(
        say(
            report,
            "say.overview",
            outcomes=_count(report, len(report.plan.outcomes)),
            families=_count(report, len(report.plan.families)),
            schools=_count(report, clusters),
            project=_count(report, treated),
            baseline=_count(report, total["n_baseline"]),
            endline=_count(report, total["n_endline"]),
            linked=_count(report, total["linked"]),
        )
    )


def panel(report: EndlineReport) -> Text:
    """How many baseline students were found again at endline, and who was not."""
    total = _summary_row(report, "all", "all")
    shared = total["duplicate_baseline"] + total["ambiguous_baseline"]
    return Text(
        say(
            report,
            "say.panel",
            linked=_count(report, total["linked"]),
            baseline=_count(report, total["n_baseline"]),
            rate=_percent(report, total["link_rate"]),
            new=_count(report, total["unmatched_endline"]),
            shared=_count(report, shared),
            no_code=_count(report, total["no_code_baseline"]),
        )
    )


def attrition(report: EndlineReport) -> Text:
    """Attrition by arm, whether it differs, whether the lost differed at baseline and
    whether the followed-up students of the two arms are still alike."""
    table = report.results.attrition
    rates = table[table["section"] == "rate"].set_index(
        table[table["section"] == "rate"]["group"].astype(str)
    )
    arms = ordered_arms(report)
    treated, other = arms[0], (arms[1] if len(arms) > 1 else arms[0])
    gap = table[(table["section"] == "differential") & (table["term"] == "difference")]
    parts = [
        say(
            report,
            "say.attrition",
            lost=_count(report, rates.at["all", "n"] * rates.at["all", "estimate"]),
            baseline=_count(report, rates.at["all", "n"]),
            rate=_percent(report, rates.at["all", "estimate"]),
            arm=arm_text(report, treated),
            arm_rate=_percent(report, rates.at[treated, "estimate"]),
            other=arm_text(report, other),
            other_rate=_percent(report, rates.at[other, "estimate"]),
            gap=format_number(100 * gap.iloc[0]["estimate"], 1, report.language)
            if len(gap)
            else "–",
            p=p_text(report, gap.iloc[0]["p_value"]) if len(gap) else "–",
        )
    ]
    joint = table[table["term"] == "joint_f_test"]
    lost = joint[joint["section"] == "attriters_vs_stayers"]
    if len(lost):
        worst = lost.loc[lost["p_value"].idxmin()]
        key = "say.lost_differ" if worst["p_value"] < 1 - report.level else "say.lost_alike"
        parts.append(
            say(
                report,
                key,
                arm=arm_text(report, worst["group"]),
                p=p_text(report, worst["p_value"]),
            )
        )
    stayers = joint[joint["section"] == "stayers_balance"]
    if len(stayers):
        p = stayers.iloc[0]["p_value"]
        key = "say.followed_alike" if p >= 1 - report.level else "say.followed_differ"
        parts.append(say(report, key, p=p_text(report, p)))
    return Text(" ".join(parts))


def bounds(report: EndlineReport) -> Text:
    """Whether the Lee bounds are shown, and what they say."""
    gap = report.attrition_gap
    if not report.bounds_shown:
        if math.isnan(gap):
            return Text(say(report, "say.bounds_none"))
        return Text(
            say(
                report,
                "say.bounds_not_needed",
                gap=format_number(100 * abs(gap), 1, report.language),
            )
        )
    table = report.bounds
    lower = table[table["term"] == "lower_bound"].set_index("outcome")["estimate"]
    upper = table[table["term"] == "upper_bound"].set_index("outcome")["estimate"]
    signed = [y for y in lower.index if (lower[y] > 0) == (upper[y] > 0) and lower[y] != 0]
    trimmed = table[table["term"] == "trim_proportion"]
    arm = trimmed["trimmed_arm"].iloc[0] if len(trimmed) else "treatment"
    trimmed_arm = report.plan.treated_value if arm == "treatment" else _other_arm(report)
    return Text(
        say(
            report,
            "say.bounds",
            arm=arm_text(report, trimmed_arm),
            share=_percent(report, trimmed["estimate"].median() if len(trimmed) else math.nan),
            signed=_count(report, len(signed)),
            outcomes=_count(report, len(lower)),
            names=", ".join(outcome_label(report, y) for y in signed) or "–",
        )
    )


def _other_arm(report: EndlineReport) -> str:
    arms = [a for a in ordered_arms(report) if a != report.plan.treated_value]
    return arms[0] if arms else ""


def effects_intro(report: EndlineReport) -> Text:
    """How to read the effects tables: the three methods, units, inference."""
    return Text(say(report, "say.effects_intro"))


def effects(report: EndlineReport, family: str) -> Text:
    """One line per outcome of ``family``: the primary estimator's effect, whether it is
    clear (family-adjusted p-value) and whether it is an improvement, and what the other
    estimators give."""
    plot = report.results.plot
    headline = plot[plot["subgroup_var"] == "all"]
    lines = []
    for outcome in report.plan.families[family]:
        rows = headline[headline["outcome"] == outcome].set_index("estimator")
        if report.primary not in rows.index:
            continue
        lines.append("- " + _effect_sentence(report, outcome, rows))
    return Text("\n".join(lines))


def _effect_sentence(report: EndlineReport, outcome: str, rows: pd.DataFrame) -> str:
    record = rows.loc[report.primary]
    digits = outcome_digits(report, outcome)
    clear = record["p_value_adj"] < 1 - report.level and (
        record["ci_low"] > 0 or record["ci_high"] < 0
    )
    first = say(
        report,
        "say.effect",
        outcome=outcome_label(report, outcome),
        effect=effect_text(report, outcome, record["estimate"], digits),
        unit=unit_label(report, outcome),
        level=_level(report),
        interval=effect_interval(report, outcome, record["ci_low"], record["ci_high"], digits),
        p=p_text(report, record["p_value_adj"]),
        verdict=say(report, f"verdicts.{_verdict(report, outcome, record['estimate'], clear)}"),
    )
    others = [
        say(
            report,
            "say.other_estimate",
            estimator=estimator_short(report, estimator),
            effect=effect_text(report, outcome, rows.loc[estimator, "estimate"], digits),
        )
        for estimator in ordered_estimators(report)[1:]
        if estimator in rows.index
    ]
    if not others:
        return first
    return first + " " + say(report, "say.others", others=_join(others))


def _verdict(report: EndlineReport, outcome: str, estimate: float, clear: bool) -> str:
    if not clear:
        return "unclear"
    direction = report.direction(outcome)
    if direction is None:
        return "increase" if estimate > 0 else "decrease"
    better = estimate > 0 if direction == "higher" else estimate < 0
    return "better" if better else "worse"


def subgroup_heading(report: EndlineReport, variable: str) -> Text:
    """``### <subgroup variable>`` (``endline.subgroup_vars.<name>``, else the name)."""
    name = lookup(report, f"subgroup_vars.{variable}") or variable
    return Text("### " + name)


def plot(report: EndlineReport) -> Text:
    """How to read the coefficient plot."""
    return Text(say(report, "say.plot", level=_level(report)))


def heterogeneity(report: EndlineReport) -> Text:
    """Which subgroup differences (primary estimator) are clear; a reminder that they are
    exploratory."""
    table = report.effects
    rows = table[
        (table["estimator"] == report.primary)
        & (table["term"] == "difference")
        & (table["p_value"] < 1 - report.level)
    ]
    if not len(report.plan.heterogeneity):
        return Text(say(report, "say.heterogeneity_off"))
    found = []
    for record in rows.itertuples(index=False):
        level, reference = str(record.subgroup).split(" - ", 1)
        digits = outcome_digits(report, record.outcome)
        found.append(
            say(
                report,
                "say.difference",
                outcome=outcome_label(report, record.outcome),
                a=subgroup_label(report, record.subgroup_var, level),
                b=subgroup_label(report, record.subgroup_var, reference),
                effect=effect_text(report, record.outcome, record.estimate, digits),
                unit=unit_label(report, record.outcome),
                p=p_text(report, record.p_value),
            )
        )
    first = (
        say(report, "say.heterogeneity", differences=_join(found))
        if found
        else say(report, "say.heterogeneity_none")
    )
    return Text(first + " " + say(report, "say.exploratory"))


def indicators(report: EndlineReport) -> Text:
    """How many indicators are on track, at risk, off track; effects vs indicators."""
    rows = indicator_rows(report)
    small = pd.to_numeric(rows["n"], errors="coerce").fillna(0) < report.min_cell_size
    counts = rows.loc[~small, "status"].value_counts()
    return Text(
        say(
            report,
            "say.indicators",
            total=_count(report, len(rows)),
            on_track=_count(report, counts.get("on track", 0)),
            at_risk=_count(report, counts.get("at risk", 0)),
            off_track=_count(report, counts.get("off track", 0)),
            hidden=_count(report, int(small.sum())),
        )
        + " "
        + say(report, "say.indicators_vs_effects")
    )


def workbook(report: EndlineReport, path: object) -> Text:
    """Where the donor workbook is and what it holds."""
    return Text(
        say(report, "say.workbook", file=Path(str(path)).name, min_cell_size=report.min_cell_size)
    )


# --------------------------------------------------------------------------- method notes
def method_notes(report: EndlineReport) -> list[str]:
    """The method notes of the report (estimand, estimators, clusters, bootstrap, multiple
    testing, standardised effects, heterogeneity, weights, panel and attrition, small
    cells), in the report's language, for ``run.note``."""
    plan = report.plan
    headline = report.effects[report.effects["subgroup_var"] == "all"]
    clusters = int(headline["n_clusters"].max())
    treated = int(headline["n_treated_clusters"].max())
    bootstrap_ran = bool(headline["p_value_wcb"].notna().any())
    notes = [
        say(report, "notes.estimand"),
        say(
            report,
            "notes.estimators",
            primary=estimator_label(report, report.primary),
            estimators=", ".join(estimator_label(report, e) for e in plan.estimators),
        ),
        say(
            report,
            "notes.clusters",
            schools=_count(report, clusters),
            project=_count(report, treated),
            df=_count(report, clusters - 1),
        ),
        say(
            report,
            "notes.bootstrap" if bootstrap_ran else "notes.no_bootstrap",
            reps=_count(report, plan.reps),
            seed=str(plan.seed),
            level=_level(report),
        ),
        say(
            report,
            "notes.multiple_testing",
            method=say(report, f"adjust.{plan.adjust}"),
            families=", ".join(family_label(report, f) for f in plan.families),
        ),
        say(report, "notes.standardised"),
        say(report, "notes.binary"),
        say(report, "notes.weighted" if plan.weights else "notes.unweighted"),
        say(
            report,
            "notes.heterogeneity",
            min_n=_count(report, plan.heterogeneity_min_n),
        ),
        say(report, "notes.panel"),
    ]
    if report.bounds_shown:
        notes.append(say(report, "notes.bounds"))
    notes.append(
        say(report, "notes.indicators", min_cell_size=_count(report, report.min_cell_size))
    )
    return notes


def note_methods(report: EndlineReport, run: object) -> None:
    """Add :func:`method_notes` to the run (the HTML footer, the manifest and the donor
    workbook's About sheet)."""
    for text in method_notes(report):
        run.note(text)  # type: ignore[attr-defined]
