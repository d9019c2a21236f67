"""The baseline report's sentences, computed from its tables, in the report's language.

Each function returns a :class:`~evaluation.baseline.present.Text` (Markdown). The wording
is in ``baseline.say.*`` of the report text files; numbers are formatted by
:mod:`evaluation.report.tables`; only published (protected) numbers are quoted.
"""

from __future__ import annotations

import pandas as pd

from evaluation.baseline import labels as lb
from evaluation.baseline.data import BaselineData
from evaluation.baseline.present import (
    Text,
    indicator_interval,
    indicator_value,
    protected_itt,
    risk_labels,
)
from evaluation.baseline.sections import fieldwork
from evaluation.report.donor import DonorWorkbook
from evaluation.report.labels import t
from evaluation.report.tables import (
    format_count,
    format_date,
    format_number,
    format_p_value,
    format_percent,
)
from evaluation.risk import RiskModel, risk_reading


def _say(data: BaselineData, key: str, **fields: object) -> str:
    return t(f"baseline.say.{key}", data.language, **fields)


def _count(data: BaselineData, value: object) -> str:
    return format_count(value, data.language)


def overview(data: BaselineData) -> Text:
    """Who was surveyed, where and when."""
    respondents = data.respondents
    arm = data.params["balance"]["arm"]
    arms = respondents[arm].astype("string").value_counts()
    first, last = fieldwork(data)
    comparison = data.params["balance"]["comparison"]
    return Text(
        _say(
            data,
            "overview",
            respondents=_count(data, len(respondents)),
            schools=_count(data, respondents["school_code"].nunique()),
            project=_count(data, int(arms.drop(comparison, errors="ignore").sum())),
            comparison=_count(data, int(arms.get(comparison, 0))),
            first=format_date(first),
            last=format_date(last),
        )
    )


def response(table: pd.DataFrame, data: BaselineData) -> Text:
    """Read, set aside, refused, responded."""
    return Text(
        _say(
            data,
            "response",
            read=_count(data, table["rows_read"].sum()),
            quarantined=_count(data, table["rows_quarantined"].sum()),
            refused=_count(data, table["assent_refused"].sum()),
            respondents=_count(data, table["respondents"].sum()),
            schools=_count(data, table["schools"].max()),
        )
    )


def sample(data: BaselineData) -> Text:
    """The small-cell rule of the sample table, and the units merged."""
    parts = [_say(data, "sample", min_cell_size=data.min_cell_size), _merged(data)]
    return Text(" ".join(p for p in parts if p))


def _merged(data: BaselineData) -> str:
    merged = [code for code, new in data.coarsening.mapping.items() if new != code]
    if not merged:
        return ""
    labels = lb.category_labels(data, "unit")
    names = ", ".join(labels.get(u, u) for u in sorted(merged))
    return _say(data, "merged", units=names, min_cell_size=data.min_cell_size)


def design(
    strata: pd.DataFrame, weights: pd.DataFrame, effects: pd.DataFrame, data: BaselineData
) -> Text:
    """Strata, schools, weights and what the design costs in precision."""
    lang = data.language
    overall = weights.iloc[0]
    deff = pd.to_numeric(effects["deff"], errors="coerce").dropna()
    return Text(
        _say(
            data,
            "design",
            strata=_count(data, len(strata)),
            schools=_count(data, strata["n_psu"].sum()),
            low=format_number(overall["min"], 2, lang),
            high=format_number(overall["max"], 2, lang),
            cv=format_number(overall["cv"], 2, lang),
            deff_weights=format_number(overall["deff_weights"], 2, lang),
            deff_low=format_number(deff.min(), 1, lang) if len(deff) else "–",
            deff_high=format_number(deff.max(), 1, lang) if len(deff) else "–",
        )
    )


def balance(table: pd.DataFrame, data: BaselineData, alpha: float = 0.05) -> Text:
    """How many characteristics differ between the areas, the largest gap, the joint test."""
    lang = data.language
    differences = table[table["term"] == "difference"]
    joint = table[table["term"] == "joint_f_test"]
    significant = differences[differences["p_value"] < alpha]
    largest = differences.loc[differences["std_diff"].abs().idxmax()] if len(differences) else None
    names = ", ".join(lb.variable_label(data, v) for v in significant["variable"])
    text = _say(
        data,
        "balance" if len(significant) else "balance_none",
        k=_count(data, len(differences)),
        different=_count(data, len(significant)),
        alpha=format_percent(alpha, 0, lang),
        names=names,
        largest=lb.variable_label(data, largest["variable"]) if largest is not None else "–",
        std_diff=format_number(largest["std_diff"], 2, lang) if largest is not None else "–",
        p_joint=format_p_value(joint["p_value"].iloc[0], 3, lang) if len(joint) else "–",
    )
    return Text(text + " " + _say(data, "balance_meaning"))


def indicators(itt: pd.DataFrame, data: BaselineData) -> Text:
    """The impact-level survey indicators at baseline, one line each."""
    lang = data.language
    rows = protected_itt(itt, data)
    rows = rows[rows["level"].eq("impact") & rows["actual"].notna()]
    lines = [
        "- "
        + _say(
            data,
            "indicator",
            name=row.indicator,
            value=indicator_value(row.actual, row.unit, lang),
            interval=indicator_interval(row.ci_low, row.ci_high, row.unit, lang),
        )
        for row in rows.itertuples(index=False)
    ]
    return Text(
        _say(data, "indicators") + "\n\n" + "\n".join(lines) + "\n\n" + _say(data, "placeholders")
    )


def disaggregation(data: BaselineData) -> Text:
    """How small cells are hidden in the disaggregations, and where the CIs are."""
    return Text(_say(data, "disaggregation", min_cell_size=data.min_cell_size))


def reliability(table: pd.DataFrame, data: BaselineData) -> Text:
    """Each scale's alpha in words (good, acceptable, questionable, poor), and an item that
    would raise it if dropped."""
    lang = data.language
    lines = []
    for row in table.itertuples(index=False):
        grade = _grade(round(float(row.raw_alpha), 2))  # grade what the reader sees
        line = _say(
            data,
            "alpha",
            scale=lb.variable_label(data, row.scale),
            alpha=format_number(row.raw_alpha, 2, lang),
            grade=t(f"baseline.grades.{grade}", lang),
        )
        if row.best_alpha_if_deleted > row.raw_alpha + 0.005:
            line += " " + _say(
                data,
                "alpha_drop",
                item=t("baseline.quote", lang, text=lb.variable_label(data, row.best_item_to_drop)),
                alpha=format_number(row.best_alpha_if_deleted, 2, lang),
            )
        lines.append("- " + line)
    return Text(_say(data, "reliability") + "\n\n" + "\n".join(lines))


def _grade(alpha: float) -> str:
    """George & Mallery's (2003) words for alpha: 0.8 good, 0.7 acceptable, 0.6
    questionable, below poor."""
    if alpha >= 0.8:
        return "good"
    if alpha >= 0.7:
        return "acceptable"
    return "questionable" if alpha >= 0.6 else "poor"


def risk(model: RiskModel, data: BaselineData) -> Text:
    """:func:`evaluation.risk.risk_reading` with the readers' names of the factors."""
    outcome = t("baseline.quote", data.language, text=lb.variable_label(data, model.outcome))
    return Text(
        risk_reading(model, data.language, labels=risk_labels(model, data), outcome_label=outcome)
    )


def mde(table: pd.DataFrame, data: BaselineData) -> Text:
    """What the endline can detect, in words."""
    lang = data.language
    spec = data.params["mde"]
    effects = []
    for row in table.itertuples(index=False):
        size = (
            t("baseline.units.points", lang, value=format_number(100 * row.estimate, 1, lang))
            if row.units == "proportion points"
            else format_number(row.estimate, 2, lang)
        )
        effects.append(
            _say(
                data,
                "mde_effect",
                outcome=lb.variable_label(data, row.variable),
                size=size,
                sd=format_number(row.mdes, 2, lang),
            )
        )
    first = table.iloc[0]
    return Text(
        _say(
            data,
            "mde",
            schools=_count(data, first["clusters"]),
            per_arm=_count(data, first["clusters_treated"]),
            per_school=format_number(first["cluster_size"], 0, lang),
            attrition=format_percent(spec["attrition"], 0, lang),
            power=format_percent(spec["power"], 0, lang),
            alpha=format_percent(spec["alpha"], 0, lang),
        )
        + "\n\n"
        + "\n".join(f"- {e}" for e in effects)
        + "\n\n"
        + _say(data, "mde_meaning")
    )


def workbook(book: DonorWorkbook | None, data: BaselineData) -> Text:
    """Where the donor workbook is, what it holds, and how many rows were hidden (nothing
    when the run writes no workbook)."""
    if book is None or book.path is None:
        return Text("")
    hidden = _count(data, len(book.suppression_log))
    return Text(
        _say(data, "workbook", file=book.path.name, hidden=hidden, min_cell_size=data.min_cell_size)
    )


def record_notes(data: BaselineData) -> None:
    """Add the report's method notes to the run (HTML footer, manifest, workbook)."""
    for note in method_notes(data):
        data.run.note(note)


def method_notes(data: BaselineData) -> list[str]:
    """The report's method notes (footer of the HTML, About sheet of the workbook)."""
    lang = data.language
    level = format_number(100 * float(data.params["level"]), 0, lang)
    notes = [
        t("notes.design_based", lang, level=level),
        t("notes.suppression", lang, min_cell_size=data.min_cell_size),
        _say(data, "note_balance"),
        _say(data, "note_risk"),
        _say(data, "note_mde"),
        _merged(data),
    ]
    return [n for n in notes if n]
