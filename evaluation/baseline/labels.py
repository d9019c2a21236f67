"""Names readers see for the baseline report's variables, dimensions and categories.

Looked up in this order, in the report's language: the report text files
(``baseline.variables.<name>``, ``baseline.dimensions.<name>``), the logframe (derived
variables' and dimensions' ``label``), the questionnaire (question and choice labels), and
last the code itself. Nothing here is written into a notebook.
"""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from evaluation.baseline.data import MERGED_UNIT, UNIT_COLUMN, BaselineData
from evaluation.baseline.sections import MISSING, dimension_column
from evaluation.privacy import OTHER_RURAL_UNITS
from evaluation.report.donor import TOTAL
from evaluation.report.labels import catalogue, t
from evaluation.report.tables import choice_label, question_label

_CHOICE_LISTS = {UNIT_COLUMN: ("home_unit", "admin_unit"), "unit": ("home_unit", "admin_unit")}


def variable_label(data: BaselineData, name: str) -> str:
    """The reader's name of a variable (derived variable, question or added column)."""
    texts = catalogue(data.language)
    key = f"baseline.variables.{name}"
    if key in texts:
        return texts[key]
    derived = data.logframe.derived.get(data.params["table"], {}).get(name)
    if derived is not None and derived.label.get(data.language):
        return derived.label[data.language]
    return question_label(data.instrument, name, data.language)


def variable_labels(data: BaselineData, names: list[str]) -> dict[str, str]:
    """``{name: label}`` for several variables."""
    return {name: variable_label(data, name) for name in names}


def dimension_label(data: BaselineData, dimension: str) -> str:
    """The reader's name of a dimension (``sex`` → "Sex" / "Gjinia")."""
    found = data.logframe.dimensions.get(dimension)
    if found is not None and found.label.get(data.language):
        return found.label[data.language]
    texts = catalogue(data.language)
    key = f"baseline.dimensions.{dimension}"
    return texts.get(key, variable_label(data, dimension))


def category_labels(data: BaselineData, dimension: str) -> dict[Hashable, str]:
    """Code → label of a dimension's categories, plus the total and "not answered"."""
    lang = data.language
    column = dimension_column(data, dimension)
    labels: dict[Hashable, str] = {
        TOTAL: t("donor.total", lang),
        MISSING: t("baseline.categories.missing", lang),
    }
    values = data.youth[column].dropna().astype(str).unique()
    for code in values:
        labels[code] = _category(data, dimension, column, code)
    return labels


def _category(data: BaselineData, dimension: str, column: str, code: str) -> str:
    lang = data.language
    texts = catalogue(lang)
    if code == MERGED_UNIT:
        return OTHER_RURAL_UNITS.get(lang, OTHER_RURAL_UNITS["en"])
    key = f"baseline.categories.{dimension}.{code}"
    if key in texts:
        return texts[key]
    if f"donor.arms.{code}" in texts and dimension == data.params["balance"]["arm"]:
        return texts[f"donor.arms.{code}"]
    for question in _CHOICE_LISTS.get(column, (column,)):
        label = choice_label(data.instrument, question, code, lang)
        if label != code:
            return label
    bands = data.logframe.derived.get(data.params["table"], {}).get(column)
    if bands is not None and bands.kind == "band":
        return code.replace("_", "–")
    return code


def stratum_label(data: BaselineData, code: object) -> str:
    """A stratum code such as ``project_urban`` as "Project area, urban"; other codes as
    they are."""
    lang = data.language
    texts = catalogue(lang)
    parts = str(code).split("_")
    named = [
        texts.get(f"donor.arms.{p}") or texts.get(f"baseline.categories.urban_rural.{p}")
        for p in parts
    ]
    return ", ".join(named) if all(named) else str(code)  # type: ignore[arg-type]


def labelled(series: pd.Series, labels: dict[Hashable, str]) -> pd.Series:
    """The values of ``series`` through ``labels`` (others as text, missing kept)."""
    return series.map(lambda v: v if pd.isna(v) else labels.get(v, labels.get(str(v), str(v))))
