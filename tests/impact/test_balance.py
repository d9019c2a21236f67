"""impact.balance_table against pandas, statsmodels and hand calculation (no R reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaluation.errors import DataError, ParamsError
from evaluation.impact import balance_table
from evaluation.results import check_result, result_info

REFERENCE = Path(__file__).parents[1] / "reference"
VARIABLES = ["age", "female", "score"]


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    long = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    data = long[long["wave"] == 0].reset_index(drop=True)
    return data.assign(
        stratum=data["cluster"] % 3, arm3=np.where(data["cluster"] % 3 == 0, 2, data["treat"])
    )


def _cluster_ols(formula: str, data: pd.DataFrame):
    return smf.ols(formula, data).fit(cov_type="cluster", cov_kwds={"groups": data["cluster"]})


def test_means_sds_and_counts_per_arm(baseline: pd.DataFrame) -> None:
    table = balance_table(baseline, VARIABLES, "treat", cluster="cluster")
    check_result(table)
    means = table[table["term"] == "mean"].set_index(["variable", "arm"])
    grouped = baseline.groupby("treat")[VARIABLES]
    for variable in VARIABLES:
        for arm in (0, 1):
            row = means.loc[(variable, arm)]
            assert row["estimate"] == pytest.approx(grouped.mean().loc[arm, variable], rel=1e-12)
            assert row["sd"] == pytest.approx(grouped.std(ddof=1).loc[arm, variable], rel=1e-12)
            assert row["n"] == grouped.count().loc[arm, variable]


def test_difference_is_treated_minus_comparison_with_cluster_robust_se(
    baseline: pd.DataFrame,
) -> None:
    table = balance_table(baseline, VARIABLES, "treat", cluster="cluster")
    diffs = table[table["term"] == "difference"].set_index("variable")
    for variable in VARIABLES:
        fit = _cluster_ols(f"{variable} ~ treat", baseline)
        row = diffs.loc[variable]
        assert row["arm"] == 1
        assert row["estimate"] == pytest.approx(fit.params["treat"], rel=1e-10)
        assert row["se"] == pytest.approx(fit.bse["treat"], rel=1e-8)
        assert row["df"] == 23
        sds = baseline.groupby("treat")[variable].std(ddof=1)
        assert row["std_diff"] == pytest.approx(
            row["estimate"] / np.sqrt((sds[0] ** 2 + sds[1] ** 2) / 2), rel=1e-12
        )


def test_mean_standard_error_without_clusters_is_sd_over_root_n(baseline: pd.DataFrame) -> None:
    table = balance_table(baseline, ["score"], "treat")
    row = table[(table["term"] == "mean") & (table["arm"] == 0)].iloc[0]
    assert row["se"] == pytest.approx(row["sd"] / np.sqrt(row["n"]), rel=1e-12)
    assert result_info(table).vcov == "HC1"


def test_joint_f_test_matches_statsmodels_cluster_wald(baseline: pd.DataFrame) -> None:
    table = balance_table(baseline, VARIABLES, "treat", cluster="cluster")
    joint = table[table["term"] == "joint_f_test"].iloc[0]
    fit = _cluster_ols("treat ~ age + female + score", baseline)
    test = fit.f_test("age = 0, female = 0, score = 0")
    assert joint["variable"] == "(joint F-test)"
    assert joint["estimate"] == pytest.approx(float(test.fvalue), rel=1e-8)
    assert joint["p_value"] == pytest.approx(float(test.pvalue), rel=1e-8)
    assert (joint["df"], joint["df_num"]) == (test.df_denom, test.df_num) == (23, 3)
    assert result_info(table).extra["joint_tests"][0]["p_value"] == joint["p_value"]


def test_adjusted_difference_absorbs_fixed_effects_like_dummies(baseline: pd.DataFrame) -> None:
    table = balance_table(baseline, VARIABLES, "treat", cluster="cluster", fixed_effects="stratum")
    adjusted = table[table["term"] == "difference_adjusted"].set_index("variable")
    raw = table[table["term"] == "difference"].set_index("variable")
    assert set(adjusted.index) == set(raw.index) == set(VARIABLES)
    for variable in VARIABLES:
        fit = _cluster_ols(f"{variable} ~ treat + C(stratum)", baseline)
        assert adjusted.loc[variable, "estimate"] == pytest.approx(fit.params["treat"], rel=1e-10)
        assert adjusted.loc[variable, "se"] == pytest.approx(fit.bse["treat"], rel=1e-8)
    joint = table[table["term"] == "joint_f_test"].iloc[0]
    fit = _cluster_ols("treat ~ age + female + score + C(stratum)", baseline)
    assert joint["estimate"] == pytest.approx(
        float(fit.f_test("age = 0, female = 0, score = 0").fvalue), rel=1e-8
    )


def test_no_adjusted_rows_without_fixed_effects_or_covariates(baseline: pd.DataFrame) -> None:
    table = balance_table(baseline, VARIABLES, "treat", cluster="cluster")
    assert "difference_adjusted" not in set(table["term"])


def test_three_arms_compare_each_to_the_comparison_arm(baseline: pd.DataFrame) -> None:
    table = balance_table(baseline, ["score"], "arm3", cluster="cluster", comparison=0)
    diffs = table[table["term"] == "difference"].set_index("arm")
    assert sorted(diffs.index) == [1, 2]
    means = baseline.groupby("arm3")["score"].mean()
    assert diffs.loc[2, "estimate"] == pytest.approx(means[2] - means[0], rel=1e-10)
    assert len(table[table["term"] == "joint_f_test"]) == 2


def test_weighted_means_and_differences(baseline: pd.DataFrame) -> None:
    table = balance_table(baseline, ["score"], "treat", cluster="cluster", weights="wt")
    arm1 = baseline[baseline["treat"] == 1]
    mean = table[(table["term"] == "mean") & (table["arm"] == 1)].iloc[0]
    assert mean["estimate"] == pytest.approx(
        np.average(arm1["score"], weights=arm1["wt"]), rel=1e-12
    )
    fit = smf.wls("score ~ treat", baseline, weights=baseline["wt"]).fit(
        cov_type="cluster", cov_kwds={"groups": baseline["cluster"]}
    )
    diff = table[table["term"] == "difference"].iloc[0]
    assert diff["se"] == pytest.approx(fit.bse["treat"], rel=1e-8)


def test_missing_values_are_dropped_per_variable(baseline: pd.DataFrame) -> None:
    holes = baseline.copy()
    holes.loc[holes.index[:20], "age"] = np.nan
    table = balance_table(holes, VARIABLES, "treat", cluster="cluster")
    diffs = table[table["term"] == "difference"].set_index("variable")
    assert diffs.loc["age", "n"] == len(holes) - 20
    assert diffs.loc["score", "n"] == len(holes)
    assert table[table["term"] == "joint_f_test"].iloc[0]["n"] == len(holes) - 20


def test_too_many_variables_for_the_clusters_gives_nan_not_a_crash() -> None:
    rng = np.random.default_rng(1)
    n = 200
    data = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(6)])
    data["cl"] = np.arange(n) % 6
    data["t"] = (data["cl"] % 2).astype(float)
    table = balance_table(data, [f"x{i}" for i in range(6)], "t", cluster="cl")
    assert np.isnan(table[table["term"] == "joint_f_test"].iloc[0]["estimate"])


def test_bad_input(baseline: pd.DataFrame) -> None:
    with pytest.raises(ParamsError, match="comparison=5"):
        balance_table(baseline, VARIABLES, "treat", comparison=5)
    with pytest.raises(DataError, match="only"):
        balance_table(baseline[baseline["treat"] == 1], VARIABLES, "treat")
    with pytest.raises(DataError, match="sco"):
        balance_table(baseline, ["sco"], "treat")
    with pytest.raises(ParamsError, match="one column"):
        balance_table(baseline, VARIABLES, "treat", fixed_effects=["stratum", "cluster"])  # type: ignore[arg-type]


def test_input_is_not_modified(baseline: pd.DataFrame) -> None:
    before = baseline.copy()
    balance_table(
        baseline, VARIABLES, "treat", cluster="cluster", fixed_effects="stratum", weights="wt"
    )
    pd.testing.assert_frame_equal(baseline, before)
