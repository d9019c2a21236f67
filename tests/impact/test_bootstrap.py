"""The WCR wild cluster bootstrap against brute-force re-estimation and ``wildboottest``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evaluation.analysis_plan import ImpactPlan, run_plan
from evaluation.covariance import ClusterIndex
from evaluation.errors import EstimationError, FewClustersWarning, ParamsError
from evaluation.impact import did, wild_cluster_bootstrap
from evaluation.impact.bootstrap import Draws, draw_weights, wcr_bootstrap
from evaluation.results import check_result, result_info

REFERENCE = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def youth() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    return data.assign(tp=data["treat"] * data["post"])


def _arrays(data: pd.DataFrame, weights: bool = False):
    X = np.column_stack([np.ones(len(data)), data["treat"], data["post"], data["tp"]])
    w = data["wt"].to_numpy(float) if weights else None
    return X, data["score"].to_numpy(float), ClusterIndex.from_values(data["cluster"]), w


def _brute_force_t(X, y, clusters, j, v, weights=None):
    """Re-estimate the model for each draw with statsmodels: restricted fit, flip, refit, CR1 t."""
    w = np.ones(len(y)) if weights is None else weights
    others = [c for c in range(X.shape[1]) if c != j]
    restricted = sm.WLS(y, X[:, others], weights=w).fit()
    fitted, resid = restricted.fittedvalues, restricted.resid
    out = []
    for b in range(v.shape[1]):
        y_star = fitted + resid * v[clusters.codes, b]
        refit = sm.WLS(y_star, X, weights=w).fit(
            cov_type="cluster", cov_kwds={"groups": clusters.codes}
        )
        out.append(refit.params[j] / refit.bse[j])
    return np.array(out)


@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "wls"])
def test_bootstrap_t_statistics_equal_brute_force_refits(
    youth: pd.DataFrame, weighted: bool
) -> None:
    X, y, clusters, w = _arrays(youth, weighted)
    draws = draw_weights(clusters.labels, reps=40, weight_type="webb", seed=1)
    result = wcr_bootstrap(X, y, clusters, 3, draws, w, level=None)
    expected = _brute_force_t(X, y, clusters, 3, draws.v, w)
    np.testing.assert_allclose(result.t_star, expected, rtol=1e-8)
    full = sm.WLS(y, X, weights=np.ones(len(y)) if w is None else w).fit(
        cov_type="cluster", cov_kwds={"groups": clusters.codes}
    )
    assert result.t_stat == pytest.approx(full.params[3] / full.bse[3], rel=1e-10)
    assert result.se == pytest.approx(full.bse[3], rel=1e-10)


def test_p_value_counts_draws_at_least_as_extreme(youth: pd.DataFrame) -> None:
    X, y, clusters, _ = _arrays(youth)
    result = wcr_bootstrap(
        X, y, clusters, 3, draw_weights(clusters.labels, 999, seed=2), level=None
    )
    assert result.p_value == pytest.approx(np.mean(np.abs(result.t_star) >= abs(result.t_stat)))


def test_testing_the_estimate_itself_gives_p_one(youth: pd.DataFrame) -> None:
    X, y, clusters, _ = _arrays(youth)
    draws = draw_weights(clusters.labels, 199, seed=2)
    first = wcr_bootstrap(X, y, clusters, 3, draws, level=None)
    at_estimate = wcr_bootstrap(X, y, clusters, 3, draws, null=first.estimate, level=None)
    assert at_estimate.p_value == 1.0


def test_confidence_interval_is_where_the_p_value_crosses_alpha(youth: pd.DataFrame) -> None:
    X, y, clusters, _ = _arrays(youth)
    draws = draw_weights(clusters.labels, 999, seed=3)
    result = wcr_bootstrap(X, y, clusters, 3, draws, level=0.9)
    step = 1e-6 * result.se
    for bound, outward in ((result.ci_low, -1), (result.ci_high, 1)):
        outside = wcr_bootstrap(X, y, clusters, 3, draws, null=bound + outward * step, level=None)
        inside = wcr_bootstrap(X, y, clusters, 3, draws, null=bound - outward * step, level=None)
        assert outside.p_value <= 0.1 < inside.p_value
    assert result.ci_low < result.estimate < result.ci_high


def test_rademacher_draws_are_enumerated_when_few_clusters() -> None:
    draws = draw_weights(range(10), reps=9999)
    assert draws.enumerated and draws.reps == 2**10
    patterns = {tuple(col) for col in draws.v.T}
    assert len(patterns) == 2**10 and set(np.unique(draws.v)) == {-1.0, 1.0}
    assert not draw_weights(range(14), reps=9999).enumerated


def test_webb_weights_take_six_values_with_mean_zero_variance_one() -> None:
    v = draw_weights(range(40), reps=5000, weight_type="webb", seed=5).v
    values = np.unique(v)
    np.testing.assert_allclose(
        values, [-np.sqrt(1.5), -1, -np.sqrt(0.5), np.sqrt(0.5), 1, np.sqrt(1.5)]
    )
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.01


def test_draws_are_reproducible_from_the_seed() -> None:
    a = draw_weights(range(30), reps=100, seed=9).v
    b = draw_weights(range(30), reps=100, seed=9).v
    c = draw_weights(range(30), reps=100, seed=10).v
    assert np.array_equal(a, b) and not np.array_equal(a, c)


# --------------------------------------------------------------------------- wildboottest
@pytest.mark.parametrize(
    ("n_clusters", "weight_type"), [(12, "rademacher"), (24, "webb"), (24, "rademacher")]
)
def test_same_draws_give_the_same_t_statistics_as_wildboottest(
    youth: pd.DataFrame, n_clusters: int, weight_type: str
) -> None:
    wb_module = pytest.importorskip("wildboottest.wildboottest")
    data = youth[youth["cluster"] <= n_clusters]
    X, y, clusters, _ = _arrays(data)
    reps = 9999 if n_clusters <= 12 else 999  # 12 clusters: all 4096 patterns (enumerated)
    wb = wb_module.WildboottestCL(
        X=X, Y=y, cluster=data["cluster"].to_numpy(), R=np.array([0, 0, 0, 1.0]), B=reps, seed=3,
        parallel=False,
    )  # fmt: skip
    wb.get_scores(bootstrap_type="11", impose_null=True)
    wb.get_weights(weights_type=weight_type)
    wb.get_numer()
    wb.get_denom()
    wb.get_tboot()
    wb.get_vcov()
    wb.get_tstat()
    wb.get_pvalue()
    draws = Draws(
        pd.Index(np.unique(data["cluster"])),
        np.asarray(wb.v, float),
        wb.full_enumeration,
        weight_type,
    )
    ours = wcr_bootstrap(X, y, clusters, 3, draws, level=None)
    t_boot = np.ravel(wb.t_boot)
    assert ours.t_stat == pytest.approx(float(np.ravel(wb.t_stat)[0]), rel=1e-10)
    np.testing.assert_allclose(ours.t_star, t_boot, rtol=1e-9, atol=1e-12)
    # wildboottest counts strict exceedances; we also count ties (the identity and sign-flip
    # patterns under enumeration), so ours is higher by at most 2/B.
    assert wb.pvalue <= ours.p_value <= wb.pvalue + 2 / draws.reps + 1e-12
    if wb.full_enumeration:
        assert ours.p_value == pytest.approx(wb.pvalue + 2 / 2**n_clusters)


def test_independent_draws_agree_with_wildboottest_within_monte_carlo_error(
    youth: pd.DataFrame,
) -> None:
    wb_module = pytest.importorskip("wildboottest.wildboottest")
    X, y, clusters, _ = _arrays(youth)
    wb = wb_module.WildboottestCL(
        X=X, Y=y, cluster=youth["cluster"].to_numpy(), R=np.array([0, 0, 0, 1.0]), B=9999, seed=11,
        parallel=False,
    )  # fmt: skip
    wb.get_scores(bootstrap_type="11", impose_null=True)
    wb.get_weights(weights_type="rademacher")
    for step in (
        wb.get_numer,
        wb.get_denom,
        wb.get_tboot,
        wb.get_vcov,
        wb.get_tstat,
        wb.get_pvalue,
    ):
        step()
    ours = wcr_bootstrap(
        X, y, clusters, 3, draw_weights(clusters.labels, 9999, seed=12), level=None
    )
    mc_se = np.sqrt(ours.p_value * (1 - ours.p_value) / 9999)
    assert abs(ours.p_value - wb.pvalue) < 4 * np.sqrt(2) * mc_se + 2 / 9999


# --------------------------------------------------------------------------- public function
def test_public_function_returns_one_tidy_row(youth: pd.DataFrame) -> None:
    table = wild_cluster_bootstrap(
        youth, "score", ["treat", "post", "tp"], "tp", "cluster", reps=999
    )
    check_result(table)
    row = table.iloc[0]
    assert row["term"] == "tp" and row["n"] == len(youth)
    assert row["n_clusters"] == 24 and row["n_treated_clusters"] == 12
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert np.isnan(row["df"]) and row["reps"] == 999
    assert "WCR" in result_info(table).method


def test_public_function_matches_the_engine(youth: pd.DataFrame) -> None:
    table = wild_cluster_bootstrap(
        youth, "score", ["treat", "post", "tp"], "tp", "cluster", reps=499, seed=4
    )
    X, y, clusters, _ = _arrays(youth)
    engine = wcr_bootstrap(X, y, clusters, 3, draw_weights(clusters.labels, 499, seed=4))
    assert table.loc[0, "p_value"] == engine.p_value
    assert table.loc[0, "ci_low"] == pytest.approx(engine.ci_low, rel=1e-12)


def test_bad_arguments_are_params_errors(youth: pd.DataFrame) -> None:
    with pytest.raises(ParamsError, match="not among the regressors"):
        wild_cluster_bootstrap(youth, "score", ["treat", "post"], "tp", "cluster")
    with pytest.raises(ParamsError, match="weight_type"):
        wild_cluster_bootstrap(youth, "score", ["tp"], "tp", "cluster", weight_type="mammen")
    with pytest.raises(ParamsError, match="reps"):
        wild_cluster_bootstrap(youth, "score", ["tp"], "tp", "cluster", reps=0)
    with pytest.raises(ParamsError, match="cluster"):
        wild_cluster_bootstrap(youth, "score", ["tp"], "tp", None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- no variation
@pytest.mark.parametrize("outcome", [0.0, 3.0], ids=["all-zero", "constant"])
def test_outcome_without_variation_is_an_estimation_error(
    youth: pd.DataFrame, outcome: float
) -> None:
    # A constant outcome is fitted exactly: CR1 SE 0 (or rounding noise), t undefined.
    flat = youth.assign(score=outcome)
    with pytest.raises(EstimationError, match="fits the outcome exactly"):
        wild_cluster_bootstrap(flat, "score", ["treat", "post", "tp"], "tp", "cluster", reps=99)
    X, y, clusters, _ = _arrays(flat)
    with pytest.raises(EstimationError, match="no variation"):
        wcr_bootstrap(X, y, clusters, 3, draw_weights(clusters.labels, 99))


def test_did_names_the_outcome_that_cannot_be_bootstrapped(youth: pd.DataFrame) -> None:
    flat = youth.assign(flat=1.0)
    with pytest.raises(EstimationError, match="outcome 'flat': the wild cluster bootstrap"):
        did(flat, ["score", "flat"], "treat", "post", "cluster", wild_bootstrap=True, reps=99)


def test_outcome_with_variation_is_still_bootstrapped(youth: pd.DataFrame) -> None:
    # The guard must not catch a real, if small, residual variation.
    tiny = youth.assign(score=1e-6 * youth["score"] + 5.0)
    table = wild_cluster_bootstrap(tiny, "score", ["treat", "post", "tp"], "tp", "cluster")
    scaled = wild_cluster_bootstrap(youth, "score", ["treat", "post", "tp"], "tp", "cluster")
    assert table.loc[0, "p_value"] == pytest.approx(scaled.loc[0, "p_value"])


def test_run_plan_notes_a_subgroup_without_variation() -> None:
    rng = np.random.default_rng(3)
    schools, size = 12, 20
    school = np.repeat(np.arange(schools), size)
    n = len(school)
    male = rng.random(n) < 0.5
    treated = (school % 2).astype(bool)
    base = pd.DataFrame(
        {
            "school_code": [f"S{s:02d}" for s in school],
            "arm": np.where(treated, "project", "comparison"),
            "wave": "baseline",
            "panel_code": [f"P-{i:04d}" for i in range(n)],
            "sex": np.where(male, "male", "female"),
            "age": rng.integers(13, 18, n),
            "y": np.where(male, rng.normal(size=n), 0.0),  # girls: always 0
        }
    )
    end = base.assign(wave="endline", y=np.where(male, rng.normal(size=n) + 0.3 * treated, 0.0))
    data = pd.concat([base, end], ignore_index=True)
    data["wave"] = pd.Categorical(data["wave"], categories=["baseline", "endline"])
    plan = ImpactPlan.from_params(
        {"families": {"main": ["y"]}, "reps": 99, "heterogeneity": ["sex"]}, source="test"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        effects = run_plan(data, plan).effects
    by_sex = effects[effects["subgroup_var"] == "sex"]
    assert "male" in set(by_sex["subgroup"]) and "female" not in set(by_sex["subgroup"])
    notes = " ".join(result_info(effects).notes)
    assert "sex = female: not estimated (outcome 'y': the wild cluster bootstrap" in notes
