"""evaluation.covariance against R (sandwich, clubSandwich) on every reference case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from r_reference import CLUSTER_ROBUST_OLS as CASES
from r_reference import R_TO_OURS, REFERENCE

from evaluation import covariance
from evaluation.covariance import ClusterIndex, ModelArrays
from evaluation.errors import EstimationError, ParamsError
from evaluation.impact import _regression as reg

REL = 1e-6


def _youth() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    data["treat:post"] = data["treat"] * data["post"]
    return data


def _completers() -> pd.DataFrame:
    data = _youth()
    base = data.loc[data["wave"] == 0, ["youth_id", "cluster", "treat", "score"]]
    end = data.loc[data["wave"] == 1, ["youth_id", "score"]]
    base = base.rename(columns={"score": "score_base"})
    end = end.rename(columns={"score": "score_end"})
    return base.merge(end, on="youth_id").sort_values("youth_id")


# case id -> (data builder, outcome, weights column, family); regressors are the R terms
SPECS = {
    "b1_did_score": (_youth, "score", None, "gaussian"),
    "b2_did_score_controls": (_youth, "score", None, "gaussian"),
    "b3_did_score_weighted": (_youth, "score", "wt", "gaussian"),
    "b4_did_engaged_lpm": (_youth, "engaged", None, "gaussian"),
    "b5_did_engaged_logit": (_youth, "engaged", None, "binomial"),
    "b6_ancova_completers": (_completers, "score_end", None, "gaussian"),
}


def _fit(case_id: str) -> reg.Fit:
    build, outcome, weights, family = SPECS[case_id]
    data = build()
    terms = CASES[case_id]["terms"]
    X = np.column_stack([np.ones(len(data))] + [data[t].to_numpy(float) for t in terms[1:]])
    w = None if weights is None else data[weights].to_numpy(float)
    clusters = ClusterIndex.from_values(data["cluster"])
    return reg.fit(
        X, data[outcome].to_numpy(float), terms, family=family, weights=w, clusters=clusters
    )


@pytest.mark.parametrize("case_id", list(SPECS))
@pytest.mark.parametrize("r_name", list(R_TO_OURS))
def test_standard_errors_match_r(case_id: str, r_name: str) -> None:
    fitted = _fit(case_id)
    cov = reg.variance(fitted, R_TO_OURS[r_name])
    expected = CASES[case_id]["se"][r_name]
    np.testing.assert_allclose(cov.se, expected, rtol=REL, err_msg=f"py_se != r_se ({r_name})")


@pytest.mark.parametrize("case_id", list(SPECS))
def test_coefficients_match_r(case_id: str) -> None:
    np.testing.assert_allclose(_fit(case_id).coef, CASES[case_id]["estimate"], rtol=REL)


@pytest.mark.parametrize("case_id", list(SPECS))
def test_cr2_satterthwaite_df_and_p_match_clubsandwich(case_id: str) -> None:
    fitted = _fit(case_id)
    cov = reg.variance(fitted, "CR2")
    expected = CASES[case_id]["cr2_satterthwaite"]
    np.testing.assert_allclose(cov.df, expected["df"], rtol=REL, err_msg="Satterthwaite df")
    p, _, _ = reg.t_inference(fitted.coef, cov.se, cov.df, 0.95)
    np.testing.assert_allclose(p, expected["p"], rtol=REL, atol=1e-12, err_msg="p_Satt")


@pytest.mark.parametrize("case_id", list(SPECS))
def test_cr1_t_and_p_with_g_minus_1_df_match_coeftest(case_id: str) -> None:
    fitted = _fit(case_id)
    cov = reg.variance(fitted, "CR1")
    expected = CASES[case_id]["cluster_hc1_tests"]
    np.testing.assert_allclose(fitted.coef / cov.se, expected["t"], rtol=REL)
    assert cov.df[0] == expected["df_G_minus_1"]
    p, _, _ = reg.t_inference(fitted.coef, cov.se, cov.df, 0.95)
    np.testing.assert_allclose(p, expected["p_df_G_minus_1"], rtol=REL, atol=1e-12)


def test_residual_df_of_hc_estimators_is_n_minus_k() -> None:
    fitted = _fit("b2_did_score_controls")
    assert reg.variance(fitted, "HC1").df[0] == CASES["b2_did_score_controls"]["df_residual"]


def test_logit_hc_estimators_use_the_normal_reference() -> None:
    fitted = _fit("b5_did_engaged_logit")
    assert np.isinf(reg.variance(fitted, "HC1").df).all()


# --------------------------------------------------------------------------- registry
@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("classical", "iid"), ("stata", "CR1"), ("cl_hc1", "CR1"), ("hc3", "HC3"), ("cr2", "CR2")],
)
def test_aliases_resolve_to_canonical_names(alias: str, canonical: str) -> None:
    assert covariance.canonical_name(alias) == canonical


def test_unknown_estimator_lists_the_valid_names() -> None:
    with pytest.raises(ParamsError) as err:
        covariance.canonical_name("robust2")
    message = str(err.value)
    for name in covariance.ESTIMATORS:
        assert name in message
    assert "robust2" in message


def test_clustered_estimator_without_clusters_is_a_params_error() -> None:
    fitted = _fit("b1_did_score")
    with pytest.raises(ParamsError, match="cluster"):
        covariance.compute("CR1", fitted.model, None)


def test_single_cluster_is_an_estimation_error() -> None:
    fitted = _fit("b1_did_score")
    one = ClusterIndex.from_values(np.zeros(fitted.n))
    with pytest.raises(EstimationError, match="at least 2 clusters"):
        covariance.compute("CR1", fitted.model, one)


def test_leverage_based_estimators_refuse_absorbed_fixed_effects() -> None:
    model = _fit("b1_did_score").model
    absorbed = ModelArrays(**{**model.__dict__, "absorbed": True})
    for name in ("HC2", "HC3", "CR2"):
        with pytest.raises(ParamsError, match="absorbed"):
            covariance.compute(name, absorbed, ClusterIndex.from_values(np.arange(model.n) % 5))


def test_cluster_sums_equal_groupby_sums() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(200, 3))
    codes = rng.integers(0, 7, 200)
    expected = pd.DataFrame(values).groupby(codes).sum().to_numpy()
    np.testing.assert_allclose(covariance.cluster_sums(values, codes, 7), expected, rtol=1e-12)


def test_cr1_with_one_observation_per_cluster_equals_hc1_up_to_factors() -> None:
    # With singleton clusters the cluster meat is the HC meat: CR0 = G/(G-1) * HC0.
    fitted = _fit("b4_did_engaged_lpm")
    singletons = ClusterIndex.from_values(np.arange(fitted.n))
    cr0 = covariance.compute("CR0", fitted.model, singletons).matrix
    hc0 = covariance.compute("HC0", fitted.model).matrix
    np.testing.assert_allclose(cr0, hc0 * fitted.n / (fitted.n - 1), rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "wls"])
def test_cr2_low_rank_path_equals_the_dense_eigendecomposition(weighted: bool) -> None:
    rng = np.random.default_rng(12)
    sizes = [2, 3, 15, 40, 7, 60, 25, 9]  # includes clusters smaller than 2k
    codes = np.repeat(np.arange(len(sizes)), sizes)
    n = len(codes)
    X = np.column_stack([np.ones(n), rng.normal(size=n), codes % 2, rng.normal(size=n)])
    y = X @ [1.0, 0.5, 0.2, -0.3] + rng.normal(size=n)
    w = rng.uniform(0.5, 3, n) if weighted else None
    clusters = ClusterIndex.from_values(codes)
    model = reg.fit_ols(X, y, ["a", "b", "c", "d"], w, clusters).model
    fast = covariance._cr2_parts(model, clusters)
    dense = covariance._cr2_parts(model, clusters, dense=True)
    for e_fast, e_dense in zip(fast.E, dense.E, strict=True):
        np.testing.assert_allclose(e_fast, e_dense, rtol=1e-9, atol=1e-12)
