"""How the donor sheets look: their columns, number formats, fills and words for codes.

The columns each donor sheet shows (and hides when a row is small), the Excel number format
of each indicator unit, the status and total fills, the labels of the codes the workbench
writes (levels, units, statuses, estimators ...) and of the suppression reasons, in the
workbook's language; and :func:`balance_wide`, which lays a balance table out as iebaltab
does.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd

from evaluation.errors import ReportError, format_values
from evaluation.report.donor.protect import TOTAL, require_columns
from evaluation.report.labels import catalogue, t

__all__ = [
    "DONOR_NAMESPACES",
    "STATUS_FILLS",
    "SUPPRESSED_FILL",
    "TOTAL_FILL",
    "UNIT_FORMATS",
    "balance_wide",
    "code_labels",
    "reason_text",
]

DONOR_NAMESPACES: tuple[str, ...] = ("donor.columns", "table")
"""Where column headers are looked up in the report text files (``donor.columns.<column>``
first, then ``table.<column>``)."""

UNIT_FORMATS: dict[str, str] = {
    "percent": "0.0%",
    "score": "0.0",
    "rate": "0.0",
    "mean": "0.00",
    "count": "#,##0",
    "days": "0.0",
}
"""Excel number format of an indicator's values, by the logframe's ``unit``."""

STATUS_FILLS: dict[str, str] = {"on track": "C6EFCE", "at risk": "FFEB9C", "off track": "FFC7CE"}
"""Excel's light green, amber and red fills for the logframe status."""

SUPPRESSED_FILL = "E7E6E6"
"""Grey of a hidden cell."""
TOTAL_FILL = "DDEBF7"
"""Light blue of a total row."""

PERCENT_OF_TARGET = "0%"
ESTIMATE = "0.000"
ITT_VALUES = ("baseline", "milestone", "target", "actual", "ci_low", "ci_high")
"""Logframe columns in the indicator's unit (formatted by each row's unit)."""
ITT_HIDDEN = ("actual", "ci_low", "ci_high", "n", "pct_of_target", "status", "period")
"""Logframe columns hidden when the actual rests on too few respondents."""
ITT_SHOWN = (
    "id", "level", "indicator", "unit", "baseline", "milestone", "milestone_date", "target",
    "target_date", "period", "actual", "ci_low", "ci_high", "n", "pct_of_target", "status",
    "source", "note",
)  # fmt: skip
"""Logframe columns, in order, on the Logframe sheet."""
ITT_WIDTHS: dict[str, float] = {"indicator": 36, "source": 22, "note": 20, "suppressed": 18}
"""Largest widths of the Logframe sheet's text columns (longer text wraps), so that the
sheet prints on a landscape page at a readable size."""
IMPACT_SHOWN = (
    "family", "outcome", "variable", "estimator", "subgroup_var", "subgroup", "term",
    "estimate", "se", "ci_low", "ci_high", "p_value", "ci_low_wcb", "ci_high_wcb",
    "p_value_wcb", "p_value_adj", "p_value_rw", "std_effect", "n", "n_clusters",
)  # fmt: skip
"""Columns of an effects table shown on the Impact sheet, when the table has them."""
P_VALUES = ("p_value", "p_value_wcb", "p_value_adj", "p_value_rw")


def code_labels(language: str) -> dict[str, dict[Hashable, str]]:
    """Labels of the codes the workbench itself writes (levels, units, statuses, periods,
    estimators, terms, arms, totals), by column, in ``language``."""
    texts = catalogue(language)

    def group(name: str, spaces: bool = False) -> dict[Hashable, str]:
        # keys are codes; statuses are written with spaces ("on track") by indicators
        prefix = f"donor.{name}."
        return {
            (k[len(prefix) :].replace("_", " ") if spaces else k[len(prefix) :]): v
            for k, v in texts.items()
            if k.startswith(prefix)
        }

    total = {TOTAL: t("donor.total", language)}
    return {
        "level": group("levels"),
        "unit": group("units"),
        "status": group("status", spaces=True),
        "period": group("periods"),
        "estimator": group("estimators"),
        "term": group("terms"),
        "arm": {**group("arms"), **total},
        "category": total,
    }


def reason_text(reason: str, language: str, min_cell_size: int) -> str:
    """Why a row is hidden, for the "Suppressed" column (``""`` when it is not)."""
    if not reason:
        return ""
    if reason == "secondary":
        return t("donor.suppressed.secondary", language)
    if "count<" in reason:
        return t("donor.suppressed.count", language, min_cell_size=min_cell_size)
    if "unknown" in reason:
        return t("donor.suppressed.unknown", language)
    return t("donor.suppressed.primary", language, min_cell_size=min_cell_size)


def itt_note(status: object, language: str) -> str:
    """The Logframe sheet's note of an indicator without an actual value."""
    if status == "not collected":
        return t("donor.itt_notes.not_collected", language)
    if status == "no data":
        return t("donor.itt_notes.no_data", language)
    return ""


def labelled(table: pd.DataFrame, labels: Mapping[str, Mapping[Hashable, str]]) -> pd.DataFrame:
    """``table`` with the codes of each column in ``labels`` shown as their labels (other
    values as they are; missing values stay missing)."""
    out = table.copy()
    for column, mapping in labels.items():
        if column not in out.columns or not mapping:
            continue
        values = out[column].astype(object)
        out[column] = [
            v if _missing(v) else mapping.get(v, mapping.get(str(v), str(v))) for v in values
        ]
    return out


def percent_text(share: float, language: str) -> str:
    """A share as a whole percentage in the language's style (for notes)."""
    from evaluation.report.tables import format_percent

    return format_percent(share, 0, language)


def joint_label(language: str) -> dict[Hashable, str]:
    """The balance table's joint-test row, labelled."""
    from evaluation.impact.balance import JOINT

    return {JOINT: t("donor.terms.joint_f_test", language)}


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def balance_wide(balance: pd.DataFrame) -> tuple[pd.DataFrame, tuple[Hashable, Hashable]]:
    """A two-arm :func:`evaluation.impact.balance_table` in iebaltab's shape.

    Returns
    -------
    (DataFrame, (comparison, other))
        One row per variable: ``variable, comparison_mean, comparison_sd, comparison_n,
        other_mean, other_sd, other_n, difference, ci_low, ci_high, p_value, std_diff``
        (``difference_adjusted`` when the table has it), ``n_min`` (the smaller arm's n,
        what suppression checks); then the joint test's row (``statistic``, ``p_value``).

    Raises
    ------
    ReportError
        Missing columns, or not exactly two arms.
    """
    require_columns(
        balance, ["variable", "arm", "term", "estimate", "ci_low", "ci_high", "p_value", "n"]
    )
    means = balance[balance["term"] == "mean"]
    differences = balance[balance["term"] == "difference"]
    arms = list(dict.fromkeys(means["arm"]))
    others = list(dict.fromkeys(differences["arm"]))
    if len(arms) != 2 or len(others) != 1:
        raise ReportError(
            f"add_balance shows two arms; the table has {format_values(arms)}. Pass one "
            "balance table per pair of arms"
        )
    other = others[0]
    comparison = next(a for a in arms if a != other)
    rows = []
    for variable in dict.fromkeys(means["variable"]):
        mine = means[means["variable"] == variable].set_index("arm")
        diff = differences[differences["variable"] == variable].iloc[0]
        row = {
            "variable": variable,
            "comparison_mean": mine.at[comparison, "estimate"],
            "comparison_sd": mine.at[comparison, "sd"] if "sd" in mine else np.nan,
            "comparison_n": mine.at[comparison, "n"],
            "other_mean": mine.at[other, "estimate"],
            "other_sd": mine.at[other, "sd"] if "sd" in mine else np.nan,
            "other_n": mine.at[other, "n"],
            "difference": diff["estimate"],
            "ci_low": diff["ci_low"],
            "ci_high": diff["ci_high"],
            "p_value": diff["p_value"],
            "std_diff": diff.get("std_diff", np.nan),
        }
        adjusted = balance[
            (balance["term"] == "difference_adjusted") & (balance["variable"] == variable)
        ]
        if len(adjusted):
            row["difference_adjusted"] = adjusted.iloc[0]["estimate"]
        rows.append(row)
    wide = pd.DataFrame(rows)
    for column in ("comparison_n", "other_n"):
        wide[column] = pd.array(pd.to_numeric(wide[column]).round(), dtype="Int64")
    wide["n_min"] = wide[["comparison_n", "other_n"]].min(axis=1)
    joint = balance[balance["term"] == "joint_f_test"]
    if len(joint):
        test = joint.iloc[0]
        wide = pd.concat(
            [
                wide,
                pd.DataFrame(
                    {
                        "variable": [test["variable"]],
                        "statistic": [test["estimate"]],
                        "p_value": [test["p_value"]],
                        "n_min": [test["n"]],
                    }
                ),
            ],
            ignore_index=True,
        )
        wide["n_min"] = pd.array(pd.to_numeric(wide["n_min"]).round(), dtype="Int64")
    return wide, (comparison, other)
