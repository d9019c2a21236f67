"""Names and numbers of the endline report in its language.

Outcome, family, estimator, arm and subgroup names come from ``endline.*`` in the report
text files (``evaluation/report/i18n/``), falling back to the logframe's labels of derived
variables and indicators, and to the questionnaire's choice labels (sex). Effects are shown
in the outcome's units: percentage points for 0/1 outcomes (a proportion difference of
0.036 is 3.6 points), scale points otherwise. Numbers are formatted by
:mod:`evaluation.report.tables`.
"""

from __future__ import annotations

import re

from evaluation.endline.analysis import SURVEY, EndlineReport
from evaluation.report.labels import catalogue, t
from evaluation.report.tables import MISSING, format_interval, format_number, format_p_value

__all__ = [
    "arm_label",
    "arm_text",
    "effect_cell",
    "effect_digits",
    "effect_interval",
    "effect_scale",
    "effect_text",
    "estimator_label",
    "estimator_short",
    "family_label",
    "lookup",
    "outcome_digits",
    "outcome_label",
    "p_text",
    "say",
    "subgroup_label",
    "unit_label",
]

_UNDER = re.compile(r"^under_(\d+)$")
_PLUS = re.compile(r"^(\d+)_plus$")
_BETWEEN = re.compile(r"^(\d+)_(\d+)$")


def say(report: EndlineReport, key: str, /, **fields: object) -> str:
    """The text ``endline.<key>`` in the report's language."""
    return t(f"endline.{key}", report.language, **fields)


def lookup(report: EndlineReport, key: str) -> str | None:
    """``endline.<key>`` in the report's language if the text files have it, else None."""
    return catalogue(report.language).get(f"endline.{key}")


def outcome_label(report: EndlineReport, outcome: str) -> str:
    """Short name of an outcome: ``endline.outcomes.<name>``, else the logframe's label of
    the derived variable, else the name of the indicator it measures, else the name."""
    found = lookup(report, f"outcomes.{outcome}")
    if found:
        return found
    derived = report.logframe.derived.get(SURVEY, {}).get(outcome)
    if derived is not None and derived.label:
        return derived.label.get(report.language) or derived.label.get("en") or outcome
    indicator = report.indicator_for(outcome)
    if indicator:
        return report.logframe.indicator(indicator).label(report.language)
    return outcome


def family_label(report: EndlineReport, family: str) -> str:
    """Name of a family of outcomes (``endline.families.<name>``, else the name)."""
    return lookup(report, f"families.{family}") or family.replace("_", " ")


def estimator_label(report: EndlineReport, estimator: str) -> str:
    """Name of an estimator (``endline.estimators.<name>``)."""
    return say(report, f"estimators.{estimator}")


def estimator_short(report: EndlineReport, estimator: str) -> str:
    """Short name of an estimator for tables (``endline.estimators_short.<name>``)."""
    return lookup(report, f"estimators_short.{estimator}") or estimator_label(report, estimator)


def arm_label(report: EndlineReport, arm: object) -> str:
    """Name of an arm (``endline.arms.<code>``, else the code)."""
    return lookup(report, f"arms.{arm}") or str(arm)


def arm_text(report: EndlineReport, arm: object) -> str:
    """An arm's name inside a sentence (``endline.arms_text.<code>``: "project schools")."""
    return lookup(report, f"arms_text.{arm}") or arm_label(report, arm)


def subgroup_label(report: EndlineReport, variable: str, value: object) -> str:
    """A subgroup for readers: a choice label of the questionnaire (sex), an age band
    (``under_15`` → "Under 15"), or the code."""
    code = str(value)
    if variable == "all":
        return say(report, "arms.all")
    if variable == "age_group":
        return _age_label(report, code)
    try:
        question = report.instrument.question(variable)
        if question.list_name:
            return report.instrument.choice_label(question.list_name, code, report.language)
    except Exception:  # InstrumentError: not a question of the form (a derived column)
        pass
    return lookup(report, f"subgroups.{code}") or code


def _age_label(report: EndlineReport, code: str) -> str:
    for pattern, key in ((_UNDER, "under"), (_PLUS, "plus")):
        match = pattern.match(code)
        if match:
            return say(report, f"subgroups.{key}", age=match.group(1))
    match = _BETWEEN.match(code)
    if match:
        return say(report, "subgroups.between", low=match.group(1), high=match.group(2))
    return code


def effect_scale(report: EndlineReport, outcome: str) -> float:
    """Factor from the estimate to the units shown: 100 for 0/1 outcomes, else 1."""
    return 100.0 if report.binary.get(outcome, False) else 1.0


def unit_label(report: EndlineReport, outcome: str) -> str:
    """ "percentage points" for 0/1 outcomes, "points" for scores (in the language)."""
    return say(report, "units.points" if report.binary.get(outcome) else "units.score")


def effect_digits(report: EndlineReport, outcome: str, spread: float | None = None) -> int:
    """Decimals of an effect: one for percentage points and wide scales (SD above 5),
    two for narrow scales (1-4)."""
    if report.binary.get(outcome) or (spread is not None and spread > 5):
        return 1
    return 2


def outcome_digits(report: EndlineReport, outcome: str) -> int:
    """Decimals of ``outcome``'s effects (:func:`effect_digits` with the comparison group's
    baseline SD from the effects table)."""
    sds = report.effects.loc[report.effects["outcome"] == outcome, "comparison_sd"].dropna()
    return effect_digits(report, outcome, float(sds.iloc[0]) if len(sds) else None)


def effect_text(report: EndlineReport, outcome: str, value: object, digits: int) -> str:
    """An effect in the outcome's units with its sign (``+3.6``, ``-0.12``)."""
    number = _number(value)
    if number is None:
        return MISSING
    scaled = number * effect_scale(report, outcome)
    text = format_number(scaled, digits, report.language)
    shown_nonzero = any(ch in "123456789" for ch in text)
    return f"+{text}" if scaled > 0 and shown_nonzero else text


def effect_cell(report: EndlineReport, outcome: str, value: object, digits: int) -> str:
    """An effect for a table cell: percentage points carry their short unit (``-3.8 pp``)."""
    text = effect_text(report, outcome, value, digits)
    if report.binary.get(outcome) and text != MISSING:
        return f"{text} {say(report, 'units_short.points')}"
    return text


def effect_interval(
    report: EndlineReport, outcome: str, low: object, high: object, digits: int
) -> str:
    """An interval in the outcome's units (``[-9.2, 1.9]``; Albanian ``[-9,2; 1,9]``)."""
    lo, hi = _number(low), _number(high)
    if lo is None or hi is None:
        return MISSING
    scale = effect_scale(report, outcome)
    return format_interval(lo * scale, hi * scale, digits, report.language)


def p_text(report: EndlineReport, value: object) -> str:
    """A p-value (``0.012``, ``< 0.001``)."""
    return format_p_value(value, 3, report.language)


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else number
