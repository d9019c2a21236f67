"""Coarsening before suppression: merged rural units and age bands."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.errors import DataError, ParamsError
from evaluation.privacy import (
    OTHER_RURAL_UNITS,
    age_bands,
    merge_small_bands,
    merge_small_categories,
)


def units() -> pd.Series:
    counts = {"Elbasan": 300, "Papër": 40, "Shirgjan": 25, "Funar": 4, "Tregan": 7, "Gjinar": 12}
    return pd.Series([u for u, k in counts.items() for _ in range(k)], name="unit")


def test_small_units_are_merged_into_other_rural_units():
    result = merge_small_categories(units())
    assert result.mapping == {"Funar": "Other rural units", "Tregan": "Other rural units"}
    assert result.values.value_counts()["Other rural units"] == 11
    assert "Funar" not in set(result.values)
    assert "fewer than 10" in result.notes[0]


def test_merged_group_grows_until_it_is_large_enough_and_protected_units_stay():
    values = pd.Series(
        ["Elbasan"] * 5 + ["Funar"] * 3 + ["Tregan"] * 2 + ["Gjinar"] * 30 + ["Papër"] * 20
    )
    result = merge_small_categories(
        values, protect=["Elbasan"], other_label=OTHER_RURAL_UNITS["sq"]
    )
    assert set(result.mapping) == {"Funar", "Tregan", "Papër"}, (
        "5 respondents; add the next smallest"
    )
    assert result.values.value_counts()["Njësi të tjera rurale"] == 25
    assert (result.values == "Elbasan").sum() == 5, "protected even though small"


def test_within_groups_makes_every_cross_cell_large_enough():
    values = pd.Series(["A"] * 20 + ["B"] * 20 + ["C"] * 40)
    sex = pd.Series(["F"] * 3 + ["M"] * 17 + ["F"] * 10 + ["M"] * 10 + ["F"] * 20 + ["M"] * 20)
    assert merge_small_categories(values).mapping == {}
    result = merge_small_categories(values, within=sex)
    assert set(result.mapping) == {"A", "B"}


def test_categorical_input_stays_categorical():
    values = units().astype("category")
    result = merge_small_categories(values)
    assert isinstance(result.values.dtype, pd.CategoricalDtype)
    assert "Other rural units" in result.values.cat.categories
    assert "Funar" not in result.values.cat.categories
    with pytest.raises(ParamsError, match="already a category"):
        merge_small_categories(units(), other_label="Papër")


def test_age_bands():
    bands = age_bands(pd.Series([10, 12, 13, 15.0, 16, 18, 19, 25, None], name="age"))
    assert bands.tolist()[:8] == [
        "10–12",
        "10–12",
        "13–15",
        "13–15",
        "16–18",
        "16–18",
        "19+",
        "19+",
    ]
    assert pd.isna(bands.iloc[8])
    assert list(bands.cat.categories) == ["10–12", "13–15", "16–18", "19+"] and bands.cat.ordered
    assert age_bands([9, 14]).cat.categories[0] == "<10"
    with pytest.raises(DataError, match="not numbers"):
        age_bands(pd.Series(["12", "twelve"], name="age"))
    with pytest.raises(ParamsError, match="increasing"):
        age_bands([12], edges=(13, 10))


def test_small_bands_merge_with_their_smaller_neighbour():
    ages = pd.Series([11] * 30 + [14] * 25 + [17] * 6 + [20] * 5)
    result = merge_small_bands(age_bands(ages))
    assert result.values.value_counts().to_dict() == {"10–12": 30, "13–15": 25, "16+": 11}
    assert result.mapping == {"16–18": "16+", "19+": "16+"}
    assert list(result.values.cat.categories) == ["10–12", "13–15", "16+"]
    ages = pd.Series([11] * 30 + [14] * 25 + [17] * 6 + [20] * 2)  # 16+ still small: merge on
    assert merge_small_bands(age_bands(ages)).values.value_counts().to_dict() == {
        "10–12": 30,
        "13+": 33,
    }
    ages = pd.Series([11] * 30 + [14] * 4 + [17] * 40)
    assert merge_small_bands(age_bands(ages)).mapping == {"10–12": "10–15", "13–15": "10–15"}
    with pytest.raises(ParamsError, match="ordered categorical"):
        merge_small_bands(pd.Series(["a", "b"]))
