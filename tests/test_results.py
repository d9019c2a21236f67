"""The tidy-table contract in evaluation.results."""

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import EstimationError
from evaluation.results import (
    RESULT_COLUMNS,
    ResultInfo,
    check_result,
    make_result,
    result_info,
    stack_results,
)


def _table(estimator: str = "test.one", value: float = 1.0) -> pd.DataFrame:
    info = ResultInfo(estimator=estimator, method="m", vcov="v", n_obs=3, notes=("a",))
    rows = [{"variable": "x", "estimate": value, "se": 0.1, "n": 3, "deff": 1.2}]
    return make_result(rows, info, id_columns=["variable"])


def test_make_result_orders_columns_and_fills_missing_core_columns():
    table = _table()
    assert list(table.columns) == ["variable", *RESULT_COLUMNS, "deff"]
    assert np.isnan(table.loc[0, "p_value"])
    assert str(table["n"].dtype) == "Int64"
    check_result(table)


def test_result_info_is_attached_and_frozen():
    info = result_info(_table())
    assert info.estimator == "test.one"
    with pytest.raises(AttributeError):
        info.level = 0.9  # type: ignore[misc]


def test_result_info_after_concat_with_different_attrs_raises_with_advice():
    combined = pd.concat([_table("a"), _table("b")])
    if "info" in combined.attrs:  # pandas kept attrs: nothing to test on this version
        pytest.skip("this pandas keeps attrs through concat")
    with pytest.raises(EstimationError, match="stack_results"):
        result_info(combined)


def test_stack_results_keeps_contract_and_merges_notes():
    stacked = stack_results([_table("a", 1.0), _table("b", 2.0)], estimator="both")
    check_result(stacked)
    assert stacked["estimate"].tolist() == [1.0, 2.0]
    info = result_info(stacked)
    assert info.estimator == "both"
    assert info.notes == ("a",)


def test_check_result_rejects_reordered_core_columns():
    table = _table()
    swapped = table[["variable", "se", "estimate", "ci_low", "ci_high", "p_value", "df", "n"]]
    swapped.attrs["info"] = table.attrs["info"]
    with pytest.raises(AssertionError, match="out of order"):
        check_result(swapped)
