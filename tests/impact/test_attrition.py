"""impact.attrition against pandas, statsmodels and balance_table on subsets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaluation.errors import DataError
from evaluation.impact import attrition, balance_table
from evaluation.results import check_result

REFERENCE = Path(__file__).parents[1] / "reference"
COVARIATES = ["age", "female", "score"]


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    long = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    base = long[long["wave"] == 0].reset_index(drop=True)
    found = set(long.loc[long["wave"] == 1, "youth_id"])
    return base.assign(attrited=(~base["youth_id"].isin(found)).astype(int))


@pytest.fixture(scope="module")
def table(baseline: pd.DataFrame) -> pd.DataFrame:
    return attrition(baseline, "attrited", "treat", "cluster", COVARIATES)


def test_contract_and_sections(table: pd.DataFrame) -> None:
    check_result(table)
    assert list(table.columns[:5]) == ["section", "group", "variable", "arm", "term"]
    assert list(table["section"].unique()) == [
        "rate",
        "differential",
        "attriters_vs_stayers",
        "stayers_balance",
    ]


def test_rates_overall_and_by_arm(table: pd.DataFrame, baseline: pd.DataFrame) -> None:
    rates = table[table["section"] == "rate"].set_index("group")
    assert rates.loc["all", "estimate"] == pytest.approx(baseline["attrited"].mean(), rel=1e-12)
    by_arm = baseline.groupby("treat")["attrited"].mean()
    assert rates.loc[0, "estimate"] == pytest.approx(by_arm[0], rel=1e-12)
    assert rates.loc[1, "estimate"] == pytest.approx(by_arm[1], rel=1e-12)
    assert rates.loc["all", "n"] == len(baseline)


def test_differential_attrition_is_the_cluster_robust_lpm(
    table: pd.DataFrame, baseline: pd.DataFrame
) -> None:
    row = table[table["section"] == "differential"].iloc[0]
    fit = smf.ols("attrited ~ treat", baseline).fit(
        cov_type="cluster", cov_kwds={"groups": baseline["cluster"]}
    )
    assert row["estimate"] == pytest.approx(fit.params["treat"], rel=1e-10)
    assert row["se"] == pytest.approx(fit.bse["treat"], rel=1e-8)
    assert row["df"] == 23 and row["arm"] == 1


def test_attriters_versus_stayers_within_each_arm(
    table: pd.DataFrame, baseline: pd.DataFrame
) -> None:
    section = table[(table["section"] == "attriters_vs_stayers") & (table["group"] == 1)]
    diffs = section[section["term"] == "difference"].set_index("variable")
    arm = baseline[baseline["treat"] == 1]
    for variable in COVARIATES:
        means = arm.groupby("attrited")[variable].mean()
        assert diffs.loc[variable, "estimate"] == pytest.approx(means[1] - means[0], rel=1e-10)
        assert diffs.loc[variable, "arm"] == "attrited"


def test_stayers_balance_is_balance_table_on_stayers(
    table: pd.DataFrame, baseline: pd.DataFrame
) -> None:
    section = table[table["section"] == "stayers_balance"].reset_index(drop=True)
    expected = balance_table(baseline[baseline["attrited"] == 0], COVARIATES, "treat", "cluster")
    np.testing.assert_allclose(section["estimate"], expected["estimate"], rtol=1e-12)
    np.testing.assert_allclose(section["p_value"], expected["p_value"], rtol=1e-12)


def test_without_covariates_only_rates_and_the_test(baseline: pd.DataFrame) -> None:
    short = attrition(baseline, "attrited", "treat", "cluster")
    assert set(short["section"]) == {"rate", "differential"}


def test_three_arms_add_a_joint_test(baseline: pd.DataFrame) -> None:
    data = baseline.assign(arm=np.where(baseline["cluster"] % 3 == 0, 2, baseline["treat"]))
    short = attrition(data, "attrited", "arm", "cluster")
    differential = short[short["section"] == "differential"]
    assert list(differential["term"]) == ["difference", "difference", "joint_f_test"]


def test_attrited_must_be_binary(baseline: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="0/1"):
        attrition(baseline, "age", "treat", "cluster")


def test_input_is_not_modified(baseline: pd.DataFrame) -> None:
    before = baseline.copy()
    attrition(baseline, "attrited", "treat", "cluster", COVARIATES, weights="wt")
    pd.testing.assert_frame_equal(baseline, before)
