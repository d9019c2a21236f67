"""The baseline report's tables and figures for readers, in the report's language.

Every function takes tidy tables from :mod:`evaluation.baseline.sections` and returns what a
notebook cell shows: a :class:`~evaluation.report.tables.HtmlTable` (text cells, numbers
formatted by :mod:`evaluation.report.tables`) or a matplotlib figure
(:mod:`evaluation.report.figures`). Small cells are hidden here exactly as in the donor
workbook: the same :func:`evaluation.report.donor.protect` call with the same threshold, so
the HTML and the workbook never disagree about what is published; a hidden value shows as
``–``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.baseline import labels as lb
from evaluation.baseline.data import BaselineData
from evaluation.baseline.sections import dimension_column
from evaluation.report import figures
from evaluation.report.donor import (
    TOTAL,
    UNIT_FORMATS,
    balance_wide,
    protect,
    protect_sample,
)
from evaluation.report.labels import catalogue, t
from evaluation.report.tables import (
    MISSING,
    ColumnFormat,
    HtmlTable,
    display_table,
    format_interval,
    format_number,
    format_percent,
    show,
)
from evaluation.risk import RiskModel

NAMESPACES = ("baseline.columns", "donor.columns", "table")
"""Where headers are looked up: the baseline report's, then the donor workbook's."""

_ITT_HIDDEN = ("actual", "ci_low", "ci_high", "n", "pct_of_target", "status", "period")


class Text(str):
    """A paragraph (or heading) of Markdown that notebooks render as such."""

    def _repr_markdown_(self) -> str:
        return str(self)


def heading(section: str, language: str, level: int = 2) -> Text:
    """``## <section title>`` in ``language`` (``baseline.sections.<section>``)."""
    return Text("#" * level + " " + t(f"baseline.sections.{section}", language))


# --------------------------------------------------------------------------- values
def indicator_value(value: object, unit: str, language: str) -> str:
    """An indicator's value in its unit: ``27.9%`` for percent, ``71.9`` for scores and
    rates, ``1,155`` for counts; ``–`` when missing or hidden."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return MISSING
    if unit == "percent":
        return format_percent(value, 1, language)
    if unit == "count":
        return format_number(value, 0, language)
    digits = 1 if UNIT_FORMATS.get(unit, "0.00") == "0.0" else 2
    return format_number(value, digits, language)


def indicator_interval(low: object, high: object, unit: str, language: str) -> str:
    """A confidence interval in the indicator's unit (``[24.5%, 31.6%]``)."""
    if unit == "percent":
        return format_interval(low, high, 1, language, percent=True)
    return format_interval(low, high, 1, language)


def _display(
    frame: pd.DataFrame,
    language: str,
    formats: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    right: Sequence[str] = (),
) -> pd.DataFrame:
    shown = display_table(frame, language, formats=formats, headers=headers, namespaces=NAMESPACES)
    names = list(shown.columns)
    for column in right:
        if column in frame.columns:
            shown.attrs["align"][names[list(frame.columns).index(column)]] = "right"
    return shown


# --------------------------------------------------------------------------- response, sample
def response_table(table: pd.DataFrame, data: BaselineData) -> HtmlTable:
    """Submissions per file: read, accepted, set aside, assent refused, respondents, schools."""
    return show(_display(table, data.language))


def sample_table(
    counts: pd.DataFrame, data: BaselineData, skip: Sequence[str] = ("school_code",)
) -> HtmlTable:
    """Respondents by characteristic and area (small counts hidden, with secondary
    suppression), with each category's share of the respondents.

    The dimensions in ``skip`` (one row per school by default: :func:`schools_table`
    summarises them; the workbook's Sample sheet lists them) are left out."""
    protected = protect_sample(counts[~counts["dimension"].isin(skip)], data.min_cell_size)
    wide = protected.table.copy()
    lang = data.language
    names = {d: lb.dimension_label(data, d) for d in dict.fromkeys(wide["dimension"])}
    wide["category"] = [
        lb.category_labels(data, d).get(c, c)
        for d, c in zip(wide["dimension"], wide["category"], strict=True)
    ]
    first = ~wide["dimension"].duplicated()
    wide["dimension"] = wide["dimension"].map(names).where(first, "")
    arm_columns = [c for c in wide.columns if c.startswith("n_")]
    arm_labels = lb.category_labels(data, data.params["balance"]["arm"])
    headers = {
        c: t("donor.columns.arm_n", lang, arm=arm_labels.get(c[2:], c[2:]))
        for c in arm_columns
        if c != "n_total"
    }
    headers["n_total"] = t("donor.columns.n_total", lang)
    return show(
        _display(
            wide,
            lang,
            formats={**{c: "count" for c in arm_columns}, "share": "percent"},
            headers=headers,
        )
    )


def schools_table(counts: pd.DataFrame, data: BaselineData) -> HtmlTable:
    """Schools with respondents per area, and the respondents per school (smallest, median,
    largest); every school has at least ``min_cell_size`` respondents or the smallest is
    hidden."""
    rows = counts[(counts["dimension"] == "school_code") & (counts["category"] != TOTAL)]
    rows = rows[rows["n"] > 0]
    lang = data.language
    arm_labels = lb.category_labels(data, data.params["balance"]["arm"])
    records = []
    for arm, part in [
        *rows[rows["arm"] != TOTAL].groupby("arm", sort=True),
        (TOTAL, rows[rows["arm"] == TOTAL]),
    ]:
        sizes = part["n"].astype(float)
        small = sizes.min() < data.min_cell_size
        records.append(
            {
                "arm": arm_labels.get(arm, arm),
                "schools": len(part),
                "smallest": np.nan if small else sizes.min(),
                "median": sizes.median(),
                "largest": sizes.max(),
            }
        )
    table = pd.DataFrame(records)
    whole = bool((table["median"] % 1 == 0).all())  # a median of counts may end in .5
    return show(
        _display(
            table,
            lang,
            formats={
                "schools": "count",
                "smallest": "count",
                "median": "count" if whole else ColumnFormat("number", 1),
                "largest": "count",
            },
        )
    )


# --------------------------------------------------------------------------- design
def strata_table(strata: pd.DataFrame, data: BaselineData) -> HtmlTable:
    """Per stratum: submissions, respondents, schools (PSUs) and the estimated population."""
    frame = strata[["stratum", "n_rows", "respondents", "n_psu", "sum_weights"]].copy()
    frame["stratum"] = [lb.stratum_label(data, s) for s in frame["stratum"]]
    frame["sum_weights"] = frame["sum_weights"].round()
    return show(
        _display(
            frame,
            data.language,
            formats={
                "n_rows": "count",
                "respondents": "count",
                "n_psu": "count",
                "sum_weights": "count",
            },
        )
    )


def weights_table(summary: pd.DataFrame, data: BaselineData) -> HtmlTable:
    """The weights' distribution overall and by area, with Kish's design effect."""
    frame = summary.copy()
    arm_labels = lb.category_labels(data, data.params["balance"]["arm"])
    frame["arm"] = lb.labelled(frame["arm"], arm_labels)
    frame["population"] = frame["population"].round()
    numbers = {
        c: "number" for c in ("min", "q1", "median", "q3", "max", "mean", "cv", "deff_weights")
    }
    return show(
        _display(
            frame,
            data.language,
            formats={**numbers, "n": "count", "schools": "count", "population": "count"},
        )
    )


def weights_figure(data: BaselineData) -> Figure:
    """Histogram of the respondents' design weights."""
    spec = data.logframe.designs[data.logframe.tables[data.params["table"]].design]
    lang = data.language
    return figures.histogram(
        data.respondents[spec.weights],
        bins=20,
        title=t("baseline.figures.weights", lang),
        xlabel=t("baseline.figures.weight", lang),
        ylabel=t("baseline.figures.respondents", lang),
        language=lang,
    )


def design_effects_table(effects: pd.DataFrame, data: BaselineData) -> HtmlTable:
    """Baseline survey indicators: estimate, CI, design effect, schools, n."""
    lang = data.language
    frame = pd.DataFrame(
        {
            "id": effects["indicator"],
            "indicator": [data.logframe.indicator(i).label(lang) for i in effects["indicator"]],
            "estimate": [
                indicator_value(v, u, lang)
                for v, u in zip(effects["estimate"], effects["unit"], strict=True)
            ],
            "ci": [
                indicator_interval(lo, hi, u, lang)
                for lo, hi, u in zip(
                    effects["ci_low"], effects["ci_high"], effects["unit"], strict=True
                )
            ],
            "deff": effects["deff"],
            "n_psu": effects["n_psu"],
            "n": effects["n"],
        }
    )
    headers = {"ci": t("table.ci", lang, level=_level(data))}
    return show(
        _display(
            frame,
            lang,
            formats={"deff": "number", "n_psu": "count", "n": "count"},
            headers=headers,
            right=("estimate", "ci"),
        )
    )


# --------------------------------------------------------------------------- balance
def balance_table(balance: pd.DataFrame, data: BaselineData) -> HtmlTable:
    """Balance between the areas in iebaltab's shape; a variable with fewer than
    ``min_cell_size`` respondents in an area is hidden whole."""
    wide, arms = balance_wide(balance)
    protected = protect(wide, n="n_min", keep=["variable"], threshold=data.min_cell_size).table
    lang = data.language
    arm_labels = lb.category_labels(data, data.params["balance"]["arm"])
    comparison, other = (arm_labels.get(str(a), str(a)) for a in arms)
    joint = (
        protected["statistic"].notna()
        if "statistic" in protected
        else pd.Series(False, index=protected.index)
    )
    frame = pd.DataFrame(
        {
            "variable": [
                t("donor.terms.joint_f_test", lang) if j else lb.variable_label(data, v)
                for v, j in zip(protected["variable"], joint, strict=True)
            ],
            "comparison_mean": protected["comparison_mean"],
            "other_mean": protected["other_mean"],
            "difference": protected["difference"],
            "ci": [
                format_interval(lo, hi, 3, lang)
                for lo, hi in zip(protected["ci_low"], protected["ci_high"], strict=True)
            ],
            "p_value": protected["p_value"],
            "std_diff": protected["std_diff"],
            "comparison_n": protected["comparison_n"],
            "other_n": protected["other_n"],
        }
    )
    if joint.any():  # the F statistic sits in the difference column of the joint row
        frame.loc[joint.to_numpy(), "difference"] = protected.loc[joint, "statistic"].to_numpy()
    headers = {
        "comparison_mean": t("donor.columns.arm_mean", lang, arm=comparison),
        "other_mean": t("donor.columns.arm_mean", lang, arm=other),
        "difference": t("baseline.columns.difference_or_f", lang),
        "ci": t("table.ci", lang, level=_level(data)),
        "comparison_n": t("donor.columns.arm_n", lang, arm=comparison),
        "other_n": t("donor.columns.arm_n", lang, arm=other),
    }
    return show(
        _display(
            frame,
            lang,
            formats={
                "comparison_mean": "number",
                "other_mean": "number",
                "difference": "number",
                "p_value": "p_value",
                "std_diff": "number",
                "comparison_n": "count",
                "other_n": "count",
            },
            headers=headers,
            right=("ci",),
        )
    )


# --------------------------------------------------------------------------- indicators
def protected_itt(itt: pd.DataFrame, data: BaselineData) -> pd.DataFrame:
    """The indicator tracking table with the actuals of small samples hidden (as on the
    workbook's Logframe sheet)."""
    return protect(itt, n="n", hide=_ITT_HIDDEN, threshold=data.min_cell_size).table


def indicator_table(itt: pd.DataFrame, data: BaselineData, levels: Sequence[str] = ()) -> HtmlTable:
    """The indicators the workbench measures: baseline in the logframe, the measured value with
    its CI, n, target and the period measured (every indicator, with its status, is on the
    workbook's Logframe sheet).

    Parameters
    ----------
    levels : sequence of str
        Levels to show (``impact``, ``outcome``, ``output``, ``context``); default all.
    """
    lang = data.language
    rows = protected_itt(itt, data)
    rows = rows[~itt["status"].isin(["not collected"]).to_numpy()]
    if levels:
        rows = rows[rows["level"].isin(levels)]
    units = rows["unit"].astype(str)
    frame = pd.DataFrame(
        {
            "id": rows["id"],
            "indicator": rows["indicator"],
            "baseline": [
                indicator_value(v, u, lang) for v, u in zip(rows["baseline"], units, strict=True)
            ],
            "actual": [
                indicator_value(v, u, lang) for v, u in zip(rows["actual"], units, strict=True)
            ],
            "ci": [
                indicator_interval(lo, hi, u, lang)
                for lo, hi, u in zip(rows["ci_low"], rows["ci_high"], units, strict=True)
            ],
            "n": rows["n"],
            "target": [
                indicator_value(v, u, lang) for v, u in zip(rows["target"], units, strict=True)
            ],
            "period": [_period(p, data) for p in rows["period"]],
        }
    )
    headers = {
        "baseline": t("baseline.columns.baseline_logframe", lang),
        "actual": t("baseline.columns.actual_baseline", lang),
        "ci": t("table.ci", lang, level=_level(data)),
    }
    return show(
        _display(
            frame,
            lang,
            formats={"n": "count"},
            headers=headers,
            right=("baseline", "actual", "ci", "target"),
        )
    )


def _period(period: object, data: BaselineData) -> str:
    if not isinstance(period, str):
        return MISSING
    return catalogue(data.language).get(f"donor.periods.{period}", period)


def indicators_figure(itt: pd.DataFrame, data: BaselineData) -> Figure | None:
    """Horizontal bars of the survey's percent indicators at baseline (hidden ones left out)."""
    lang = data.language
    rows = protected_itt(itt, data)
    rows = rows[
        rows["unit"].eq("percent") & rows["actual"].notna() & rows["period"].eq(data.params["wave"])
    ]
    if rows.empty:
        return None
    table = pd.DataFrame(
        {
            "label": [
                textwrap.fill(f"{i} {n}", 44, max_lines=2, placeholder=" …")
                for i, n in zip(rows["id"], rows["indicator"], strict=True)
            ],
            "value": rows["actual"].astype(float),
        }
    )
    return figures.bar(
        table,
        "label",
        "value",
        title=t("baseline.figures.indicators", lang),
        language=lang,
        percent=True,
        horizontal=True,
    )


def _short(text: str, width: int = 48) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def disaggregation_tables(tables: Mapping[str, pd.DataFrame], data: BaselineData) -> list[object]:
    """For each dimension, a ``###`` heading and a table: one row per indicator, one column
    per category (total first), estimates in the indicator's unit. Cells based on fewer
    than ``min_cell_size`` respondents, or fewer with the characteristic, are hidden, and so
    are the cells that would give them away (the same protection as the workbook's sheets)."""
    out: list[object] = []
    for dimension, table in tables.items():
        out.append(Text(f"### {lb.dimension_label(data, dimension)}"))
        out.append(show(_disaggregation_display(dimension, table, data)))
    return out


def protected_disaggregation(
    dimension: str, table: pd.DataFrame, data: BaselineData
) -> pd.DataFrame:
    """A disaggregation table after small-cell suppression (as on its workbook sheet)."""
    column = dimension_column(data, dimension)
    return protect(
        table,
        n="n",
        by=column,
        split_by=["indicator", "period"],
        count="count" if "count" in table.columns else None,
        keep=[c for c in ("indicator_name", "unit") if c in table.columns],
        threshold=data.min_cell_size,
    ).table


def _disaggregation_display(
    dimension: str, table: pd.DataFrame, data: BaselineData
) -> pd.DataFrame:
    lang = data.language
    column = dimension_column(data, dimension)
    rows = protected_disaggregation(dimension, table, data)
    labels = lb.category_labels(data, dimension)
    order = list(dict.fromkeys(rows[column].astype(str)))
    order = [TOTAL] + [c for c in order if c != TOTAL]
    records = []
    for indicator_id, part in rows.groupby("indicator", sort=False):
        unit = str(part["unit"].iloc[0])
        record = {"id": indicator_id, "indicator": _short(part["indicator_name"].iloc[0], 60)}
        values = dict(zip(part[column].astype(str), part["estimate"], strict=True))
        for code in order:
            record[labels.get(code, code)] = indicator_value(values.get(code), unit, lang)
        records.append(record)
    frame = pd.DataFrame(records)
    categories = [labels.get(c, c) for c in order]
    headers = {"id": t("donor.columns.id", lang), **{c: c for c in categories}}
    return _display(frame, lang, headers=headers, right=categories)


# --------------------------------------------------------------------------- scales
def reliability_table(reliability: pd.DataFrame, data: BaselineData) -> HtmlTable:
    """Per scale: items, respondents, Cronbach's alpha (raw and standardised), mean
    inter-item correlation (the item that fits least is named in the text)."""
    frame = reliability[["scale", "k", "n", "raw_alpha", "std_alpha", "average_r"]].copy()
    frame["scale"] = [lb.variable_label(data, s) for s in frame["scale"]]
    return show(
        _display(
            frame,
            data.language,
            formats={
                "k": "count",
                "n": "count",
                "raw_alpha": "number",
                "std_alpha": "number",
                "average_r": "number",
            },
        )
    )


# --------------------------------------------------------------------------- risk
def risk_labels(model: RiskModel, data: BaselineData) -> dict[str, str]:
    """Readers' names of the model's factors and terms."""
    names = {f.name: lb.variable_label(data, f.name) for f in model.factors}
    for factor in model.factors:
        for level in factor.levels[1:]:
            names[f"{factor.name}[{level}]"] = f"{names[factor.name]}: {level}"
    return names


def odds_ratio_table(model: RiskModel, data: BaselineData) -> HtmlTable:
    """Odds ratios with their design-based CIs and p-values, one row per factor term."""
    table = model.odds_ratios
    labels = risk_labels(model, data)
    lang = data.language
    frame = pd.DataFrame(
        {
            "factor": [labels.get(term, term) for term in table["term"]],
            "odds_ratio": table["estimate"],
            "ci": [
                format_interval(lo, hi, 2, lang)
                for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
            "p_value": table["p_value"],
        }
    )
    return show(
        _display(
            frame,
            lang,
            formats={"odds_ratio": "number", "p_value": "p_value"},
            headers={"ci": t("table.ci", lang, level=_level(data))},
            right=("ci",),
        )
    )


def marginal_effects_table(model: RiskModel, data: BaselineData) -> HtmlTable:
    """Average marginal effects on the probability, in percentage points."""
    table = model.marginal_effects
    labels = risk_labels(model, data)
    lang = data.language
    points = 100 * table["estimate"]
    frame = pd.DataFrame(
        {
            "factor": [labels.get(term, term) for term in table["term"]],
            "ame": points,
            "ci": [
                format_interval(100 * lo, 100 * hi, 1, lang)
                for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
            "p_value": table["p_value"],
            "kind": [t(f"baseline.ame_kinds.{k}", lang) for k in table["kind"]],
        }
    )
    return show(
        _display(
            frame,
            lang,
            formats={"ame": "number", "p_value": "p_value"},
            headers={"ci": t("table.ci", lang, level=_level(data))},
            right=("ci",),
        )
    )


# --------------------------------------------------------------------------- MDE
def mde_table(mde: pd.DataFrame, data: BaselineData) -> HtmlTable:
    """Per outcome: the comparison areas' baseline mean, the ICC with its CI, and the MDE in
    the outcome's units and in SDs (schools, school size and attrition are in the text)."""
    lang = data.language
    binary = mde["units"].eq("proportion points")
    frame = pd.DataFrame(
        {
            "outcome": [lb.variable_label(data, v) for v in mde["variable"]],
            "comparison_mean": [
                format_percent(v, 1, lang) if b else format_number(v, 2, lang)
                for v, b in zip(mde["comparison_mean"], binary, strict=True)
            ],
            "icc": mde["icc_estimate"],
            "icc_ci": [
                format_interval(lo, hi, 3, lang)
                for lo, hi in zip(mde["icc_ci_low"], mde["icc_ci_high"], strict=True)
            ],
            "mde": [
                t("baseline.units.points", lang, value=format_number(100 * v, 1, lang))
                if b
                else format_number(v, 2, lang)
                for v, b in zip(mde["estimate"], binary, strict=True)
            ],
            "mdes": mde["mdes"],
        }
    )
    return show(
        _display(
            frame,
            lang,
            formats={
                "icc": ColumnFormat("number", 3),
                "mdes": "number",
            },
            right=("comparison_mean", "icc_ci", "mde"),
        )
    )


def _level(data: BaselineData) -> str:
    level = 100 * float(data.params["level"])
    return format_number(level, 0 if level.is_integer() else 1, data.language)
