"""impact.did against R (lm + sandwich/clubSandwich/lmtest), statsmodels and hand calculation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from r_reference import CLUSTER_ROBUST_OLS as CASES
from r_reference import R_TO_OURS, REFERENCE

from evaluation.errors import DataError, EstimationError, FewClustersWarning, ParamsError
from evaluation.impact import did
from evaluation.results import check_result, result_info

pytestmark = pytest.mark.filterwarnings("ignore::evaluation.errors.FewClustersWarning")

REL = 1e-6
R_TERMS = {"(Intercept)": "(Intercept)", "treat": "treatment", "post": "post", "treat:post": "did"}
# case id -> (outcome, covariates, weights, family)
DID_CASES = {
    "b1_did_score": ("score", [], None, "gaussian"),
    "b2_did_score_controls": ("score", ["age", "female"], None, "gaussian"),
    "b3_did_score_weighted": ("score", [], "wt", "gaussian"),
    "b4_did_engaged_lpm": ("engaged", [], None, "gaussian"),
    "b5_did_engaged_logit": ("engaged", ["age", "female"], None, "binomial"),
}


@pytest.fixture(scope="module")
def youth() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / "youth_did.csv")


def _run(youth: pd.DataFrame, case_id: str, vcov: str = "CR1", **kwargs: object) -> pd.DataFrame:
    outcome, covariates, weights, family = DID_CASES[case_id]
    return did(
        youth, outcome, "treat", "post", "cluster", covariates, weights,
        vcov=vcov, family=family, wild_bootstrap=False, **kwargs,
    )  # fmt: skip


def _aligned(table: pd.DataFrame, case: dict, column: str) -> np.ndarray:
    by_term = table.set_index("term")[column]
    return np.array([by_term[R_TERMS.get(t, t)] for t in case["terms"]])


@pytest.mark.parametrize("case_id", list(DID_CASES))
@pytest.mark.parametrize("r_name", list(R_TO_OURS))
def test_estimates_and_standard_errors_match_r(
    youth: pd.DataFrame, case_id: str, r_name: str
) -> None:
    case = CASES[case_id]
    table = _run(youth, case_id, R_TO_OURS[r_name])
    np.testing.assert_allclose(_aligned(table, case, "estimate"), case["estimate"], rtol=REL)
    np.testing.assert_allclose(
        _aligned(table, case, "se"),
        case["se"][r_name],
        rtol=REL,
        err_msg=f"py_se != r_se ({r_name})",
    )
    assert (table["n"] == case["n"]).all()


@pytest.mark.parametrize("case_id", list(DID_CASES))
def test_cr1_p_values_use_t_with_g_minus_1_df(youth: pd.DataFrame, case_id: str) -> None:
    case = CASES[case_id]
    table = _run(youth, case_id)
    tests = case["cluster_hc1_tests"]
    np.testing.assert_allclose(
        _aligned(table, case, "p_value"), tests["p_df_G_minus_1"], rtol=REL, atol=1e-12
    )
    assert (table["df"] == tests["df_G_minus_1"]).all()
    t = _aligned(table, case, "estimate") / _aligned(table, case, "se")
    np.testing.assert_allclose(t, tests["t"], rtol=REL)


@pytest.mark.parametrize("case_id", list(DID_CASES))
def test_cr2_uses_satterthwaite_df_as_clubsandwich(youth: pd.DataFrame, case_id: str) -> None:
    case = CASES[case_id]
    table = _run(youth, case_id, "CR2")
    expected = case["cr2_satterthwaite"]
    np.testing.assert_allclose(_aligned(table, case, "df"), expected["df"], rtol=REL)
    np.testing.assert_allclose(
        _aligned(table, case, "p_value"), expected["p"], rtol=REL, atol=1e-12
    )


def test_estimatr_stata_and_cr2_cross_check(youth: pd.DataFrame) -> None:
    check = CASES["b1_did_score"]["estimatr_crosscheck"]
    case = CASES["b1_did_score"]
    np.testing.assert_allclose(
        _aligned(_run(youth, "b1_did_score"), case, "se"), check["stata_se"], rtol=REL
    )
    np.testing.assert_allclose(
        _aligned(_run(youth, "b1_did_score", "CR2"), case, "se"), check["CR2_se"], rtol=REL
    )


def test_ci_is_estimate_plus_minus_t_quantile_times_se(youth: pd.DataFrame) -> None:
    from scipy import stats

    table = _run(youth, "b1_did_score", level=0.9).set_index("term")
    q = stats.t.ppf(0.95, 23)
    row = table.loc["did"]
    assert row["ci_low"] == pytest.approx(row["estimate"] - q * row["se"], rel=1e-12)
    assert row["ci_high"] == pytest.approx(row["estimate"] + q * row["se"], rel=1e-12)


def test_table_contract_and_metadata(youth: pd.DataFrame) -> None:
    table = _run(youth, "b1_did_score")
    check_result(table)
    assert list(table.columns[:2]) == ["outcome", "term"]
    assert list(table.columns[9:]) == [
        "n_clusters", "n_treated_clusters", "std_effect", "p_value_wcb", "ci_low_wcb", "ci_high_wcb",
    ]  # fmt: skip
    info = result_info(table)
    assert info.estimator == "impact.did"
    assert "CR1" in info.vcov and "24 clusters" in info.vcov
    assert any("G - 1" in note for note in info.notes)
    row = table.set_index("term").loc["did"]
    assert row["n_clusters"] == 24 and row["n_treated_clusters"] == 12


def test_standardised_effect_divides_by_comparison_baseline_sd(youth: pd.DataFrame) -> None:
    table = _run(youth, "b1_did_score").set_index("term")
    base = youth.loc[(youth["treat"] == 0) & (youth["post"] == 0), "score"]
    assert table.loc["did", "std_effect"] == pytest.approx(
        table.loc["did", "estimate"] / base.std(ddof=1), rel=1e-12
    )
    assert table.drop(index="did")["std_effect"].isna().all()


def test_wild_bootstrap_is_added_automatically_below_50_clusters(youth: pd.DataFrame) -> None:
    table = did(youth, "score", "treat", "post", "cluster", reps=999).set_index("term")
    row = table.loc["did"]
    assert 0 < row["p_value_wcb"] < 0.05
    assert row["ci_low_wcb"] < row["estimate"] < row["ci_high_wcb"]
    assert table.drop(index="did")[["p_value_wcb", "ci_low_wcb"]].isna().all().all()
    assert "bootstrap" in result_info(table).method
    again = did(youth, "score", "treat", "post", "cluster", reps=999).set_index("term")
    assert again.loc["did", "p_value_wcb"] == row["p_value_wcb"], "same seed, same p-value"


def test_no_bootstrap_with_50_or_more_clusters() -> None:
    rng = np.random.default_rng(4)
    n = 2000
    cl = rng.integers(0, 60, n)
    data = pd.DataFrame(
        {"y": rng.normal(size=n), "t": (cl % 2).astype(float), "p": rng.integers(0, 2, n), "cl": cl}
    )
    table = did(data, "y", "t", "p", "cl")
    assert table["p_value_wcb"].isna().all()
    assert result_info(table).extra["bootstrap_reps"] is None


def test_fewer_than_50_clusters_without_bootstrap_warns(youth: pd.DataFrame) -> None:
    with pytest.warns(FewClustersWarning, match="24 clusters"):
        did(youth, "score", "treat", "post", "cluster", wild_bootstrap=False)


def test_list_of_outcomes_gives_one_block_per_outcome(youth: pd.DataFrame) -> None:
    both = did(youth, ["score", "engaged"], "treat", "post", "cluster", wild_bootstrap=False)
    single = _run(youth, "b4_did_engaged_lpm")
    assert list(both["outcome"].unique()) == ["score", "engaged"]
    np.testing.assert_allclose(
        both.loc[both["outcome"] == "engaged", "se"].to_numpy(), single["se"].to_numpy(), rtol=1e-12
    )


def test_unit_fixed_effects_equal_dummy_variable_regression(youth: pd.DataFrame) -> None:
    # LSDV with statsmodels: same coefficients; its CR1 counts every dummy in n - k, ours counts
    # slopes + 1 (units are nested in clusters, the fixest / xtreg convention): rescale.
    table = did(youth, "score", "treat", "post", "cluster", unit="youth_id", wild_bootstrap=False)
    table = table.set_index("term")
    data = youth.assign(tp=youth["treat"] * youth["post"])
    lsdv = smf.ols("score ~ post + tp + C(youth_id)", data).fit(
        cov_type="cluster", cov_kwds={"groups": data["cluster"]}
    )
    assert table.loc["did", "estimate"] == pytest.approx(lsdv.params["tp"], rel=1e-9)
    n, k_lsdv, k_ours = len(data), len(lsdv.params), 3
    factor = np.sqrt((n - k_lsdv) / (n - k_ours))
    assert table.loc["did", "se"] == pytest.approx(lsdv.bse["tp"] * factor, rel=1e-8)
    assert "treatment" not in table.index and "(Intercept)" not in table.index


def test_unit_fixed_effects_on_a_balanced_panel_give_the_pooled_did_estimate(
    youth: pd.DataFrame,
) -> None:
    counts = youth.groupby("youth_id")["wave"].transform("size")
    panel = youth[counts == 2]
    pooled = did(panel, "score", "treat", "post", "cluster", wild_bootstrap=False).set_index("term")
    fe = did(panel, "score", "treat", "post", "cluster", unit="youth_id", wild_bootstrap=False)
    assert fe.set_index("term").loc["did", "estimate"] == pytest.approx(
        pooled.loc["did", "estimate"], rel=1e-10
    )


def test_weighted_did_equals_wls(youth: pd.DataFrame) -> None:
    table = _run(youth, "b3_did_score_weighted", "HC1").set_index("term")
    data = youth.assign(tp=youth["treat"] * youth["post"])
    wls = smf.wls("score ~ treat + post + tp", data, weights=data["wt"]).fit(cov_type="HC1")
    assert table.loc["did", "estimate"] == pytest.approx(wls.params["tp"], rel=1e-10)
    assert table.loc["did", "se"] == pytest.approx(wls.bse["tp"], rel=1e-8)


def test_missing_values_are_dropped_with_a_warning_and_a_note(youth: pd.DataFrame) -> None:
    holes = youth.copy()
    holes.loc[holes.index[:10], "score"] = np.nan
    with pytest.warns(Warning, match="10 of 914 rows dropped"):
        table = did(holes, "score", "treat", "post", "cluster", wild_bootstrap=False)
    assert (table["n"] == 904).all()
    assert any("10 of 914" in note for note in result_info(table).notes)


def test_categorical_covariates_become_dummies(youth: pd.DataFrame) -> None:
    data = youth.assign(sex=np.where(youth["female"] == 1, "f", "m"))
    table = did(data, "score", "treat", "post", "cluster", ["sex"], wild_bootstrap=False)
    numeric = did(data, "score", "treat", "post", "cluster", ["female"], wild_bootstrap=False)
    assert "sex[T.m]" in set(table["term"])
    assert table.set_index("term").loc["did", "se"] == pytest.approx(
        numeric.set_index("term").loc["did", "se"], rel=1e-10
    )


def test_input_is_not_modified(youth: pd.DataFrame) -> None:
    before = youth.copy()
    did(youth, "score", "treat", "post", "cluster", unit="youth_id", reps=99)
    pd.testing.assert_frame_equal(youth, before)


# --------------------------------------------------------------------------- bad input
def test_non_binary_treatment_is_a_data_error(youth: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"'age'.*0/1"):
        did(youth, "score", "age", "post", "cluster")


def test_missing_column_is_a_data_error_with_a_hint(youth: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="did you mean 'score'"):
        did(youth, "scor", "treat", "post", "cluster")


def test_empty_cell_is_an_estimation_error(youth: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match="treat=1, post=0"):
        did(
            youth[~((youth["treat"] == 1) & (youth["post"] == 0))],
            "score",
            "treat",
            "post",
            "cluster",
        )


def test_treatment_varying_within_unit_is_a_data_error(youth: pd.DataFrame) -> None:
    bad = youth.copy()
    bad.loc[bad.index[1], "treat"] = 1 - bad.loc[bad.index[1], "treat"]
    with pytest.raises(DataError, match="changes within 1 youth_id"):
        did(bad, "score", "treat", "post", "cluster", unit="youth_id")


def test_collinear_covariate_is_an_estimation_error(youth: pd.DataFrame) -> None:
    data = youth.assign(age2=youth["age"] * 2)
    with pytest.raises(EstimationError, match="age2"):
        did(data, "score", "treat", "post", "cluster", ["age", "age2"], wild_bootstrap=False)


def test_unknown_vcov_and_family_are_params_errors(youth: pd.DataFrame) -> None:
    with pytest.raises(ParamsError, match="choose one of"):
        did(youth, "score", "treat", "post", "cluster", vcov="robust2")
    with pytest.raises(ParamsError, match="family"):
        did(youth, "score", "treat", "post", "cluster", family="poisson")
    with pytest.raises(ParamsError, match="level"):
        did(youth, "score", "treat", "post", "cluster", level=95)


def test_clustered_vcov_without_cluster_is_a_params_error(youth: pd.DataFrame) -> None:
    with pytest.raises(ParamsError, match="cluster"):
        did(youth, "score", "treat", "post", None)
    table = did(youth, "score", "treat", "post", None, vcov="HC1")
    assert table["n_clusters"].isna().all()
