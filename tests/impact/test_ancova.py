"""impact.ancova against R (case b6) and against hand-built regressions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from r_reference import CLUSTER_ROBUST_OLS, R_TO_OURS, REFERENCE

from evaluation.errors import DataError, ParamsError
from evaluation.impact import ancova
from evaluation.results import check_result, result_info

pytestmark = [
    pytest.mark.filterwarnings("ignore::evaluation.errors.FewClustersWarning"),
    pytest.mark.filterwarnings("ignore::evaluation.errors.MissingDataWarning"),
]

REL = 1e-6
CASE = CLUSTER_ROBUST_OLS["b6_ancova_completers"]
R_TERMS = {"(Intercept)": "(Intercept)", "treat": "treatment", "score_base": "baseline"}


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    """Every baseline respondent; score_end missing for those lost at endline."""
    long = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    base = long.loc[long["wave"] == 0, ["youth_id", "cluster", "treat", "female", "age", "score"]]
    end = long.loc[long["wave"] == 1, ["youth_id", "score"]]
    base = base.rename(columns={"score": "score_base"})
    end = end.rename(columns={"score": "score_end"})
    return base.merge(end, on="youth_id", how="left")


def _aligned(table: pd.DataFrame, column: str) -> np.ndarray:
    by_term = table.set_index("term")[column]
    return np.array([by_term[R_TERMS[t]] for t in CASE["terms"]])


@pytest.mark.parametrize("r_name", list(R_TO_OURS))
def test_completers_ancova_matches_r(wide: pd.DataFrame, r_name: str) -> None:
    # Rows without score_end are dropped, which is R's inner join of the two waves.
    with pytest.warns(Warning, match="82 of 498 rows dropped"):
        table = ancova(wide, "score_end", "score_base", "treat", "cluster", vcov=R_TO_OURS[r_name], wild_bootstrap=False)  # fmt: skip
    np.testing.assert_allclose(_aligned(table, "estimate"), CASE["estimate"], rtol=REL)
    np.testing.assert_allclose(_aligned(table, "se"), CASE["se"][r_name], rtol=REL, err_msg=r_name)
    assert (table["n"] == CASE["n"]).all()


def test_cr1_and_cr2_p_values_match_r(wide: pd.DataFrame) -> None:
    cr1 = ancova(wide, "score_end", "score_base", "treat", "cluster", wild_bootstrap=False)
    cr2 = ancova(
        wide, "score_end", "score_base", "treat", "cluster", vcov="CR2", wild_bootstrap=False
    )
    np.testing.assert_allclose(_aligned(cr1, "p_value"), CASE["cluster_hc1_tests"]["p_df_G_minus_1"], rtol=REL, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(_aligned(cr2, "p_value"), CASE["cr2_satterthwaite"]["p"], rtol=REL, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(_aligned(cr2, "df"), CASE["cr2_satterthwaite"]["df"], rtol=REL)


def test_effect_row_extras(wide: pd.DataFrame) -> None:
    table = ancova(wide, "score_end", "score_base", "treat", "cluster", reps=999)
    check_result(table)
    row = table.set_index("term").loc["treatment"]
    sd = wide.loc[wide["treat"] == 0, "score_base"].std(ddof=1)
    assert row["std_effect"] == pytest.approx(row["estimate"] / sd, rel=1e-12)
    assert row["n_clusters"] == 24 and row["n_treated_clusters"] == 12
    assert row["ci_low_wcb"] < row["estimate"] < row["ci_high_wcb"]
    assert 0 <= row["p_value_wcb"] < 0.01
    assert result_info(table).extra["effect_term"] == "treatment"


def test_missing_baseline_gets_a_dummy_and_the_effect_does_not_depend_on_the_fill(
    wide: pd.DataFrame,
) -> None:
    holes = wide.copy()
    holes.loc[holes.index[::7], "score_base"] = np.nan
    table = ancova(
        holes, "score_end", "score_base", "treat", "cluster", vcov="HC1", wild_bootstrap=False
    )
    table = table.set_index("term")
    assert "baseline_missing" in table.index
    # Hand version: fill with 0 (not the mean) plus the dummy, statsmodels HC1.
    data = holes.dropna(subset=["score_end"]).assign(
        miss=lambda d: d["score_base"].isna().astype(float),
        filled=lambda d: d["score_base"].fillna(0.0),
    )
    hand = smf.ols("score_end ~ treat + filled + miss", data).fit(cov_type="HC1")
    assert table.loc["treatment", "estimate"] == pytest.approx(hand.params["treat"], rel=1e-10)
    assert table.loc["treatment", "se"] == pytest.approx(hand.bse["treat"], rel=1e-8)
    assert table.loc["baseline", "estimate"] == pytest.approx(hand.params["filled"], rel=1e-10)
    assert table.loc["treatment", "n"] == len(data)
    assert any("baseline_missing" in note for note in result_info(table).notes)


def test_no_dummy_when_every_baseline_is_present(wide: pd.DataFrame) -> None:
    table = ancova(wide, "score_end", "score_base", "treat", "cluster", wild_bootstrap=False)
    assert "baseline_missing" not in set(table["term"])


def test_covariates_and_several_outcomes(wide: pd.DataFrame) -> None:
    data = wide.assign(score2_end=wide["score_end"] * 2, score2_base=wide["score_base"] * 2)
    table = ancova(
        data, ["score_end", "score2_end"], {"score_end": "score_base", "score2_end": "score2_base"},
        "treat", "cluster", ["female", "age"], wild_bootstrap=False,
    )  # fmt: skip
    effects = table[table["term"] == "treatment"].set_index("outcome")
    assert effects.loc["score2_end", "estimate"] == pytest.approx(
        2 * effects.loc["score_end", "estimate"], rel=1e-10
    )
    assert effects.loc["score2_end", "std_effect"] == pytest.approx(
        effects.loc["score_end", "std_effect"], rel=1e-10
    )
    assert {"female", "age"} <= set(table["term"])


def test_baseline_must_match_outcomes(wide: pd.DataFrame) -> None:
    with pytest.raises(ParamsError, match="one baseline column per outcome"):
        ancova(wide, ["score_end", "score_base"], "score_base", "treat", "cluster")
    with pytest.raises(ParamsError, match="no entry for outcome"):
        ancova(wide, "score_end", {"other": "score_base"}, "treat", "cluster")


def test_all_baselines_missing_is_a_data_error(wide: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="has no values"):
        ancova(wide.assign(score_base=np.nan), "score_end", "score_base", "treat", "cluster")


def test_missing_baseline_column_is_a_data_error(wide: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="score_bas"):
        ancova(wide, "score_end", "score_bas", "treat", "cluster")
